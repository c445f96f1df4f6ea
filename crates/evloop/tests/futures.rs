//! Futures, tasks and run_until_complete (reference §2.6, §8.1 L-19, L-20).

mod util;

use std::rc::Rc;

use evloop::{Error, EventLoop};
use util::{run_once, Log};

on_every_selector! {
    fn future_states_and_errors(lp: EventLoop) {
        let f = lp.create_future::<u32>();
        assert!(matches!(f.result(), Err(Error::InvalidState(ref m)) if m == "Result is not set."));
        assert!(matches!(f.exception(), Err(Error::InvalidState(ref m)) if m == "Exception is not set."));
        f.set_result(7).unwrap();
        assert!(matches!(f.set_result(8), Err(Error::InvalidState(_))));
        assert!(!f.cancel(None));
        assert_eq!(f.result().unwrap(), 7);
        assert!(f.exception().unwrap().is_none());
        let g = lp.create_future::<u32>();
        g.set_exception(Error::Value("bad".into())).unwrap();
        assert_eq!(g.exception().unwrap().unwrap().message(), "bad");
        assert!(matches!(g.result(), Err(Error::Value(_))));
        let c = lp.create_future::<u32>();
        assert!(c.cancel(Some("why")));
        assert!(c.cancelled() && c.done());
        assert!(matches!(c.result(), Err(Error::Cancelled(ref m)) if m == "why"));
    }

    // Done callbacks go through call_soon: never synchronous.
    fn done_callbacks_are_scheduled(lp: EventLoop) {
        let log = Log::new();
        let f = lp.create_future::<u32>();
        let l2 = log.clone();
        f.add_done_callback(move |f| l2.push(f.result().unwrap()));
        let l3 = log.clone();
        let removed = f.add_done_callback(move |_| l3.push(99));
        assert_eq!(f.remove_done_callback(removed), 1);
        f.set_result(5).unwrap();
        assert!(log.get().is_empty(), "not called synchronously");
        run_once(&lp);
        assert_eq!(log.get(), [5]);
        let l4 = log.clone();
        f.add_done_callback(move |_| l4.push(6));
        run_once(&lp);
        assert_eq!(log.get(), [5, 6]);
    }

    // L-19
    fn already_done_future_takes_one_iteration(lp: EventLoop) {
        let f = lp.create_future::<&str>();
        f.set_result("done").unwrap();
        let before = lp.stats().iterations;
        assert_eq!(lp.run_until_complete(&f).unwrap(), "done");
        assert_eq!(lp.stats().iterations, before + 1);
    }

    // L-20
    fn foreign_future_is_a_value_error(lp: EventLoop) {
        let other = EventLoop::with_selector(evloop::SelectorKind::Poll).unwrap();
        let f = other.create_future::<()>();
        let e = lp.run_until_complete(&f).unwrap_err();
        assert_eq!(e.name(), "ValueError");
        assert_eq!(e.message(), "The future belongs to a different loop than the one specified as the loop argument");
    }

    // §2.6 (E6a)
    fn stopped_before_complete(lp: EventLoop) {
        let f = lp.create_future::<()>();
        let stopper = lp.clone();
        lp.call_soon(move || stopper.stop()).unwrap();
        let e = lp.run_until_complete(&f).unwrap_err();
        assert_eq!(e.message(), "Event loop stopped before Future completed.");
        // Its error comes back as the result.
        let g = lp.create_future::<()>();
        let g2 = g.clone();
        lp.call_soon(move || g2.set_exception(Error::Value("nope".into())).unwrap()).unwrap();
        assert_eq!(lp.run_until_complete(&g).unwrap_err().message(), "nope");
    }

    fn tasks_await_futures_and_timers(lp: EventLoop) {
        let lp2 = lp.clone();
        let f = lp.create_future::<u32>();
        let f2 = f.clone();
        lp.call_later(0.01, move || f2.set_result(20).unwrap()).unwrap();
        let task = lp
            .create_task(async move {
                let a = f.await.unwrap();
                lp2.sleep(0.001).unwrap().await.unwrap();
                a + 22
            })
            .unwrap();
        assert_eq!(lp.run_until_complete(&task).unwrap(), 42);
        assert_eq!(lp.task_count(), 0);
    }

    // A task woken in iteration N resumes in N+1, as asyncio's tasks do.
    fn task_resumes_one_iteration_after_its_future(lp: EventLoop) {
        let log = Log::new();
        let f = lp.create_future::<()>();
        let (f2, lp2, log2) = (f.clone(), lp.clone(), log.clone());
        let task = lp.create_task(async move {
            f2.await.unwrap();
            log2.push(lp2.stats().iterations);
        }).unwrap();
        let (lp3, log3) = (lp.clone(), log.clone());
        lp.call_later(0.0, move || { log3.push(lp3.stats().iterations); f.set_result(()).unwrap(); }).unwrap();
        lp.run_until_complete(&task).unwrap();
        let got = log.get();
        assert_eq!(got[1], got[0] + 1, "{got:?}");
    }

    fn task_cancel_drops_the_body(lp: EventLoop) {
        let token = Rc::new(());
        let held = token.clone();
        let lp2 = lp.clone();
        let task = lp.create_task(async move {
            let _held = held;
            lp2.sleep(3600.0).unwrap().await.unwrap();
        }).unwrap();
        run_once(&lp);
        assert_eq!(Rc::strong_count(&token), 2);
        assert!(task.cancel());
        assert_eq!(Rc::strong_count(&token), 1, "cancelling drops the task's future");
        assert!(matches!(lp.run_until_complete(&task), Err(Error::Cancelled(_))));
        assert!(!task.cancel());
    }

    fn task_panic_becomes_its_error(lp: EventLoop) {
        let task = lp.create_task(async { panic!("in task") }).unwrap();
        let e = lp.run_until_complete(&task).unwrap_err();
        assert_eq!(e.message(), "panic: in task");
    }

    // Wakers fired from another thread reach the loop through its inbox.
    fn task_woken_from_another_thread(lp: EventLoop) {
        use std::sync::{Arc, Mutex};
        use std::task::{Poll, Waker};
        let slot: Arc<Mutex<(bool, Option<Waker>)>> = Arc::new(Mutex::new((false, None)));
        let s2 = slot.clone();
        let task = lp.create_task(std::future::poll_fn(move |cx| {
            let mut s = s2.lock().unwrap();
            if s.0 { Poll::Ready(1) } else { s.1 = Some(cx.waker().clone()); Poll::Pending }
        })).unwrap();
        let s3 = slot.clone();
        let t = std::thread::spawn(move || {
            loop {
                let mut s = s3.lock().unwrap();
                if let Some(w) = s.1.take() { s.0 = true; w.wake(); break; }
                drop(s);
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        assert_eq!(lp.run_until_complete(&task).unwrap(), 1);
        t.join().unwrap();
    }
}
