//! Timer conformance (reference §8.1 L-06..L-14, L-31, L-34).

mod util;

use evloop::{Error, EventLoop};
use util::{run_once, Log};

fn stop_after(lp: &EventLoop, delay: f64) {
    let stopper = lp.clone();
    lp.call_later(delay, move || stopper.stop()).unwrap();
}

on_every_selector! {
    // L-06
    fn negative_delays_are_due_in_deadline_order(lp: EventLoop) {
        let log = Log::new();
        lp.call_later(-1.0, log.pusher("a")).unwrap();
        lp.call_later(-2.0, log.pusher("b")).unwrap();
        run_once(&lp);
        assert_eq!(log.get(), ["b", "a"]);
    }

    // L-07
    fn timers_run_in_deadline_order(lp: EventLoop) {
        let log = Log::new();
        lp.call_later(0.05, log.pusher("c")).unwrap();
        lp.call_later(0.01, log.pusher("a")).unwrap();
        lp.call_later(0.03, log.pusher("b")).unwrap();
        stop_after(&lp, 0.06);
        lp.run_forever().unwrap();
        assert_eq!(log.get(), ["a", "b", "c"]);
    }

    // L-08: all six run exactly once, in one iteration; order not asserted.
    fn equal_deadlines_all_run_in_one_iteration(lp: EventLoop) {
        let log = Log::new();
        let when = lp.time() + 0.01;
        for i in 0..6 {
            let (lp2, log2) = (lp.clone(), log.clone());
            lp.call_at(when, move || log2.push((i, lp2.stats().iterations))).unwrap();
        }
        stop_after(&lp, 0.02);
        lp.run_forever().unwrap();
        let got = log.get();
        let mut ids: Vec<i32> = got.iter().map(|(i, _)| *i).collect();
        ids.sort();
        assert_eq!(ids, [0, 1, 2, 3, 4, 5]);
        assert!(got.iter().all(|(_, it)| *it == got[0].1), "{got:?}");
    }

    // L-09
    fn when_and_no_early_firing(lp: EventLoop) {
        let w = lp.time() + 0.1;
        let fired_at = Log::new();
        let (lp2, log2) = (lp.clone(), fired_at.clone());
        let h = lp.call_at(w, move || { log2.push(lp2.time()); lp2.stop() }).unwrap();
        assert_eq!(h.when(), w);
        let before = lp.time();
        let h2 = lp.call_later(0.5, || ()).unwrap();
        assert!(h2.when() >= before + 0.5 && h2.when() <= lp.time() + 0.5);
        lp.run_forever().unwrap();
        assert!(fired_at.get()[0] >= w - lp.clock_resolution());
    }

    // L-10
    fn cancelled_handles_never_run(lp: EventLoop) {
        let log = Log::new();
        let h = lp.call_soon(log.pusher("soon")).unwrap();
        let t = lp.call_later(0.0, log.pusher("timer")).unwrap();
        h.cancel();
        h.cancel();
        t.cancel();
        assert!(h.cancelled() && t.cancelled());
        // Cancelled from within the same batch (E4a): still skipped.
        let victim = std::rc::Rc::new(std::cell::RefCell::new(None::<evloop::Handle>));
        let v2 = victim.clone();
        lp.call_soon(move || v2.borrow().as_ref().unwrap().cancel()).unwrap();
        *victim.borrow_mut() = Some(lp.call_soon(log.pusher("victim")).unwrap());
        run_once(&lp);
        run_once(&lp);
        assert!(log.get().is_empty());
        // Cancelling after it ran (E4b) just sets the flag.
        let ran = lp.call_soon(log.pusher("ran")).unwrap();
        run_once(&lp);
        ran.cancel();
        assert!(ran.cancelled());
        assert_eq!(log.get(), ["ran"]);
    }

    // L-12
    fn cancelled_timer_leaves_the_heap(lp: EventLoop) {
        let t1 = lp.call_later(10.0, || ()).unwrap();
        lp.call_later(20.0, || ()).unwrap();
        t1.cancel();
        assert_eq!(lp.stats().cancelled_timers, 1);
        run_once(&lp);
        let stats = lp.stats();
        assert_eq!((stats.timers, stats.cancelled_timers), (1, 0));
        let timeout = lp.next_timeout().unwrap();
        assert!(timeout > 19.0 && timeout <= 20.0, "{timeout}");
    }

    // L-13
    fn bulk_purge_of_cancelled_timers(lp: EventLoop) {
        let mut timers = vec![];
        for i in 0..100 {
            timers.push(lp.call_later(100.0 + i as f64, || ()).unwrap());
        }
        for t in timers.iter().skip(50) {
            t.cancel();
        }
        run_once(&lp);
        let s = lp.stats();
        assert_eq!((s.timers, s.cancelled_timers), (100, 50));
        let extra = [lp.call_later(300.0, || ()).unwrap(), lp.call_later(301.0, || ()).unwrap()];
        extra.iter().for_each(|t| t.cancel());
        run_once(&lp);
        let s = lp.stats();
        assert_eq!((s.timers, s.cancelled_timers), (50, 0));
    }

    // L-14
    fn missing_times_are_type_errors(lp: EventLoop) {
        let e = lp.call_later(f64::NAN, || ()).unwrap_err();
        assert!(matches!(e, Error::Type(ref m) if m == "delay must not be None"), "{e}");
        let e = lp.call_at(f64::NAN, || ()).unwrap_err();
        assert!(matches!(e, Error::Type(ref m) if m == "when cannot be None"), "{e}");
    }

    // L-31: timeouts are rounded up, so tiny sleeps do not spin.
    fn tiny_sleeps_do_not_spin(lp: EventLoop) {
        let lp2 = lp.clone();
        let start_iterations = lp.stats().iterations;
        let task = lp
            .create_task(async move {
                for d in [1e-2, 1e-4, 1e-6, 1e-8, 1e-10] {
                    lp2.sleep(d).unwrap().await.unwrap();
                }
            })
            .unwrap();
        lp.run_until_complete(&task).unwrap();
        let used = lp.stats().iterations - start_iterations;
        assert!(used <= 20, "{used} iterations");
        let start = lp.time();
        let sleep = lp.sleep(0.1).unwrap();
        lp.run_until_complete(&sleep).unwrap();
        assert!(lp.time() - start >= 0.1 - lp.clock_resolution());
    }

    // L-34
    fn poll_timeout_follows_the_state(lp: EventLoop) {
        assert_eq!(lp.next_timeout(), None, "nothing scheduled: block");
        let t = lp.call_later(10.0, || ()).unwrap();
        let timeout = lp.next_timeout().unwrap();
        assert!(timeout > 9.0 && timeout <= 10.0);
        t.cancel();
        run_once(&lp);
        lp.call_later(3.0 * 86400.0, || ()).unwrap();
        assert_eq!(lp.next_timeout(), Some(86400.0));
        lp.call_soon(|| ()).unwrap();
        assert_eq!(lp.next_timeout(), Some(0.0));
        run_once(&lp);
        lp.stop();
        assert_eq!(lp.next_timeout(), Some(0.0));
        lp.run_forever().unwrap();
        assert_eq!(lp.stats().last_select_timeout, Some(0.0));
    }

    // The blocking case of L-34, observed: the select timeout was None.
    fn idle_loop_blocks_until_woken(lp: EventLoop) {
        let remote = lp.remote();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            remote.call_soon_threadsafe(|lp| lp.stop()).unwrap();
        });
        lp.run_forever().unwrap();
        t.join().unwrap();
        assert_eq!(lp.stats().last_select_timeout, None);
    }
}
