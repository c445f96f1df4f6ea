//! call_soon_threadsafe (reference §8.1 L-26).

mod util;

use std::time::Duration;

#[allow(unused_imports)]
use evloop::EventLoop;
use util::Log;

on_every_selector! {
    // L-26, same thread: FIFO with call_soon.
    fn threadsafe_keeps_fifo_on_the_loop_thread(lp: EventLoop) {
        let log = Log::new();
        lp.call_soon_threadsafe(log.pusher("a")).unwrap();
        lp.call_soon(log.pusher("b")).unwrap();
        lp.call_soon_threadsafe(log.pusher("c")).unwrap();
        util::run_once(&lp);
        assert_eq!(log.get(), ["a", "b", "c"]);
    }

    // L-26, other thread: wakes a loop blocked on a far timer.
    fn threadsafe_wakes_a_blocked_loop(lp: EventLoop) {
        let far = Log::new();
        lp.call_later(30.0, far.pusher("far timer")).unwrap();
        let remote = lp.remote();
        let start = lp.time();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            remote.call_soon_threadsafe(|lp| lp.stop()).unwrap()
        });
        lp.run_forever().unwrap();
        let handle = t.join().unwrap();
        assert!(!handle.cancelled());
        assert!(far.get().is_empty());
        assert!(lp.time() - start < 30.0, "woken before the timer");
    }

    // Many threads, many calls: every one runs exactly once.
    fn threadsafe_from_many_threads(lp: EventLoop) {
        let remote = lp.remote();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let remote = remote.clone();
                std::thread::spawn(move || {
                    for i in 0..250 {
                        remote.call_soon_threadsafe(move |lp| {
                            let n: u32 = lp.stats().iterations as u32; // touch the loop
                            let _ = (t, i, n);
                        }).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let c2 = count.clone();
        remote.call_soon_threadsafe(move |lp| { c2.fetch_add(1, std::sync::atomic::Ordering::SeqCst); lp.stop() }).unwrap();
        lp.run_forever().unwrap();
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(lp.stats().ready, 0, "all 1000 ran in that iteration");
    }

    // A threadsafe handle cancelled before the loop runs it never runs.
    fn threadsafe_handle_cancel(lp: EventLoop) {
        let hit = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let h2 = hit.clone();
        let h = lp.remote().call_soon_threadsafe(move |_| h2.store(true, std::sync::atomic::Ordering::SeqCst)).unwrap();
        h.cancel();
        util::run_once(&lp);
        assert!(h.cancelled());
        assert!(!hit.load(std::sync::atomic::Ordering::SeqCst));
    }
}
