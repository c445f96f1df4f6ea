//! Executor (L-38) and run()/Runner (L-40).

mod util;

use std::rc::Rc;

use evloop::{run, run_with, Error, EventLoop, Runner};

on_every_selector! {
    fn executor_runs_blocking_work(lp: EventLoop) {
        let main_thread = std::thread::current().id();
        let fut = lp.run_in_executor(move || std::thread::current().id() != main_thread).unwrap();
        assert!(lp.run_until_complete(&fut).unwrap(), "ran on a worker thread");
        let boom = lp.run_in_executor(|| -> u8 { panic!("in executor") }).unwrap();
        assert_eq!(lp.run_until_complete(&boom).unwrap_err().message(), "panic: in executor");
    }

    // L-38
    fn executor_shutdown_refuses_new_work(lp: EventLoop) {
        let warm = lp.run_in_executor(|| 1).unwrap();
        lp.run_until_complete(&warm).unwrap();
        let shutdown = lp.shutdown_default_executor().unwrap();
        lp.run_until_complete(&shutdown).unwrap();
        let e = lp.run_in_executor(|| 1).err().unwrap();
        assert_eq!(e.name(), "RuntimeError");
        assert_eq!(e.message(), "Executor shutdown has been called");
    }
}

// L-40
#[test]
fn run_returns_main_result_and_closes_the_loop() {
    let seen = Rc::new(std::cell::RefCell::new(None::<EventLoop>));
    let s2 = seen.clone();
    let out = run(move |lp| async move {
        *s2.borrow_mut() = Some(lp.clone());
        lp.sleep(0.001).unwrap().await.unwrap();
        "main result"
    })
    .unwrap();
    assert_eq!(out, "main result");
    assert!(seen.borrow().as_ref().unwrap().is_closed());
}

#[test]
fn run_cancels_leftover_tasks() {
    let token = Rc::new(());
    let held = token.clone();
    let leftover = Rc::new(std::cell::RefCell::new(None));
    let l2 = leftover.clone();
    run(move |lp| async move {
        let lp2 = lp.clone();
        let t = lp
            .create_task(async move {
                let _held = held;
                lp2.sleep(3600.0).unwrap().await.unwrap();
            })
            .unwrap();
        *l2.borrow_mut() = Some(t);
    })
    .unwrap();
    let task = leftover.borrow_mut().take().unwrap();
    assert!(task.cancelled());
    assert_eq!(Rc::strong_count(&token), 1);
}

#[test]
fn runner_errors() {
    let mut runner = Runner::with_loop_factory(|| EventLoop::with_selector(evloop::SelectorKind::Poll)).debug(true);
    assert!(runner.run(|lp| async move { lp.get_debug() }).unwrap());
    assert_eq!(runner.get_loop().unwrap().selector_name(), "poll");
    // run() inside a running loop.
    let lp = runner.get_loop().unwrap();
    let inner = lp.create_future::<String>();
    let i2 = inner.clone();
    lp.call_soon(move || {
        let e = run(|_| async {}).unwrap_err();
        let mut r = Runner::new();
        let e2 = r.run(|_| async {}).unwrap_err();
        i2.set_result(format!("{} / {}", e.message(), e2.message())).unwrap();
    })
    .unwrap();
    assert_eq!(
        lp.run_until_complete(&inner).unwrap(),
        "asyncio.run() cannot be called from a running event loop / Runner.run() cannot be called from a running event loop"
    );
    runner.close().unwrap();
    runner.close().unwrap();
    let e = runner.run(|_| async {}).unwrap_err();
    assert!(matches!(e, Error::Runtime(ref m) if m == "Runner is closed"));
    assert!(lp.is_closed());
    let failing = run_with(Runner::new(), |_| async { panic!("main failed") }).err().unwrap();
    assert_eq!(failing.message(), "panic: main failed");
}
