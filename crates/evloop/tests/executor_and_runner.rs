//! Executor (L-38) and run()/Runner (L-40).

mod util;

use std::rc::Rc;

use evloop::{run, run_with, Error, EventLoop, Runner, ThreadPoolExecutor};

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

    // set_default_executor: run_in_executor uses the given pool; a pool of
    // one thread runs the jobs one after another on the same thread.
    fn default_executor_can_be_replaced(lp: EventLoop) {
        let pool = ThreadPoolExecutor::new(Some(1)).unwrap();
        assert_eq!(pool.max_workers(), 1);
        lp.set_default_executor(pool.clone());
        let a = lp.run_in_executor(|| std::thread::current().name().map(str::to_owned)).unwrap();
        let b = lp.run_in_executor_on(&pool, || std::thread::current().name().map(str::to_owned)).unwrap();
        let (a, b) = (lp.run_until_complete(&a).unwrap(), lp.run_until_complete(&b).unwrap());
        assert_eq!(a, b);
        assert!(a.unwrap().starts_with("evloop_"));
        pool.shutdown(true);
        let e = lp.run_in_executor_on(&pool, || 1).err().unwrap();
        assert_eq!(e.message(), "cannot schedule new futures after shutdown");
        assert_eq!(ThreadPoolExecutor::new(Some(0)).err().unwrap().name(), "ValueError");
    }

    // shutdown_default_executor(timeout): a job that is still running when
    // the timeout passes gets asyncio's warning, and the shutdown completes.
    fn shutdown_timeout_warns_and_completes(lp: EventLoop) {
        util::logs::start();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = std::sync::mpsc::channel::<()>();
        let job = lp.run_in_executor(move || {
            started_tx.send(()).unwrap();
            wait.recv().unwrap();
        }).unwrap();
        started.recv().unwrap();
        let shutdown = lp.shutdown_default_executor_timeout(Some(0.0)).unwrap();
        lp.run_until_complete(&shutdown).unwrap();
        let logs = util::logs::take();
        assert!(
            logs.iter().any(|(_, m)| m == "The executor did not finishing joining its threads within 0 seconds."),
            "{logs:?}"
        );
        release.send(()).unwrap();
        lp.run_until_complete(&job).unwrap();
        assert_eq!(lp.shutdown_default_executor_timeout(Some(-1.0)).err().unwrap().name(), "ValueError");
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
