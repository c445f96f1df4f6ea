//! Loop-core conformance (reference §8.1), each body on every selector.

mod util;

use std::cell::Cell;
use std::rc::Rc;

use evloop::{get_running_loop, Error, EventLoop};
use util::{run_once, Log};

fn runtime_message(e: Error) -> String {
    assert_eq!(e.name(), "RuntimeError", "{e}");
    e.message()
}

on_every_selector! {
    // L-01
    fn call_soon_is_fifo(lp: EventLoop) {
        let log = Log::new();
        lp.call_soon(log.pusher(("a", 1))).unwrap();
        lp.call_soon(log.pusher(("b", 2))).unwrap();
        let stopper = lp.clone();
        lp.call_soon(move || stopper.stop()).unwrap();
        lp.run_forever().unwrap();
        assert_eq!(log.get(), [("a", 1), ("b", 2)]);
    }

    // L-02: the batch of an iteration is fixed when it starts.
    fn callbacks_scheduled_in_a_callback_wait_an_iteration(lp: EventLoop) {
        let log = Log::new();
        fn chain(lp: EventLoop, log: Log<(u64, u32)>, n: u32) {
            log.push((lp.stats().iterations, n));
            if n < 4 {
                let next = lp.clone();
                lp.call_soon(move || chain(next, log, n + 1)).unwrap();
            } else {
                lp.stop();
            }
        }
        let (lp2, log2) = (lp.clone(), log.clone());
        lp.call_soon(move || chain(lp2, log2, 1)).unwrap();
        lp.run_forever().unwrap();
        let got = log.get();
        assert_eq!(got.len(), 4);
        for pair in got.windows(2) {
            assert_eq!(pair[1].0, pair[0].0 + 1, "{got:?}");
        }
        // Black-box form: A schedules B and stops; B waits for the next run.
        let log = Log::new();
        let (lp2, log2) = (lp.clone(), log.clone());
        lp.call_soon(move || {
            log2.push("A");
            lp2.call_soon(log2.pusher("B")).unwrap();
            lp2.stop();
        })
        .unwrap();
        lp.run_forever().unwrap();
        assert_eq!(log.get(), ["A"]);
        run_once(&lp);
        assert_eq!(log.get(), ["A", "B"]);
    }

    // L-04
    fn pre_stopped_loop_runs_exactly_one_iteration(lp: EventLoop) {
        let log = Log::new();
        lp.stop();
        let (lp2, log2) = (lp.clone(), log.clone());
        lp.call_soon(move || {
            log2.push("X");
            lp2.call_soon(log2.pusher("Y")).unwrap();
        })
        .unwrap();
        let before = lp.stats().iterations;
        lp.run_forever().unwrap();
        assert_eq!(lp.stats().iterations, before + 1);
        assert_eq!(lp.stats().last_select_timeout, Some(0.0));
        assert_eq!(log.get(), ["X"]);
    }

    // §2.6: stop() lets the current batch finish.
    fn stop_finishes_the_current_batch(lp: EventLoop) {
        let log = Log::new();
        let stopper = lp.clone();
        lp.call_soon(move || stopper.stop()).unwrap();
        lp.call_soon(log.pusher("after stop, same batch")).unwrap();
        lp.run_forever().unwrap();
        assert_eq!(log.get(), ["after stop, same batch"]);
        assert!(!lp.is_stopping(), "run_forever clears the stop request");
    }

    // §2.5.3: ready before the poll, then I/O, then due timers.
    fn soon_callbacks_run_before_due_timers(lp: EventLoop) {
        let log = Log::new();
        lp.call_later(0.0, log.pusher("later0")).unwrap();
        lp.call_soon(log.pusher("soon1")).unwrap();
        lp.call_later(-1.0, log.pusher("later-1")).unwrap();
        lp.call_soon(log.pusher("soon2")).unwrap();
        let stopper = lp.clone();
        lp.call_later(0.01, move || stopper.stop()).unwrap();
        lp.run_forever().unwrap();
        assert_eq!(log.get(), ["soon1", "soon2", "later-1", "later0"]);
    }

    // L-15
    fn closed_loop_rejects_scheduling(lp: EventLoop) {
        let ran = Rc::new(Cell::new(false));
        let flag = ran.clone();
        let token = Rc::new(());
        let held = token.clone();
        lp.call_soon(move || { flag.set(true); drop(held) }).unwrap();
        lp.close().unwrap();
        lp.close().unwrap();
        assert!(lp.is_closed());
        assert_eq!(Rc::strong_count(&token), 1, "close drops queued callbacks without running them");
        let closed = "Event loop is closed";
        assert_eq!(runtime_message(lp.call_soon(|| ()).unwrap_err()), closed);
        assert_eq!(runtime_message(lp.call_later(1.0, || ()).unwrap_err()), closed);
        assert_eq!(runtime_message(lp.call_at(1.0, || ()).unwrap_err()), closed);
        assert_eq!(runtime_message(lp.call_soon_threadsafe(|| ()).unwrap_err()), closed);
        assert_eq!(runtime_message(lp.remote().call_soon_threadsafe(|_| ()).err().unwrap()), closed);
        assert_eq!(runtime_message(lp.run_forever().unwrap_err()), closed);
        assert_eq!(runtime_message(lp.run_until_complete(&lp.create_future::<()>()).unwrap_err()), closed);
        assert_eq!(runtime_message(lp.create_task(async {}).err().unwrap()), closed);
        assert_eq!(runtime_message(lp.add_reader(0, || ()).unwrap_err()), closed);
        assert_eq!(runtime_message(lp.add_writer(1, || ()).unwrap_err()), closed);
        assert!(!lp.remove_reader(0).unwrap());
        assert!(!lp.remove_writer(1).unwrap());
        let fut = lp.create_future::<u8>();
        assert!(!fut.done(), "create_future still works on a closed loop");
        assert!(!ran.get());
    }

    // L-16
    fn close_while_running_is_an_error(lp: EventLoop) {
        let seen = Log::new();
        let (lp2, seen2) = (lp.clone(), seen.clone());
        lp.call_soon(move || {
            seen2.push(runtime_message(lp2.close().unwrap_err()));
            lp2.stop();
        })
        .unwrap();
        lp.run_forever().unwrap();
        assert_eq!(seen.get(), ["Cannot close a running event loop"]);
        assert!(!lp.is_closed());
    }

    // L-17
    fn running_twice_is_an_error(lp: EventLoop) {
        let seen = Log::new();
        let other = EventLoop::with_selector(evloop::SelectorKind::Poll).unwrap();
        let (lp2, seen2) = (lp.clone(), seen.clone());
        lp.call_soon(move || {
            seen2.push(runtime_message(lp2.run_forever().unwrap_err()));
            seen2.push(runtime_message(lp2.run_until_complete(&lp2.create_future::<()>()).unwrap_err()));
            seen2.push(runtime_message(other.run_forever().unwrap_err()));
            lp2.stop();
        })
        .unwrap();
        lp.run_forever().unwrap();
        assert_eq!(
            seen.get(),
            [
                "This event loop is already running",
                "This event loop is already running",
                "Cannot run the event loop while another loop is running"
            ]
        );
    }

    // L-30
    fn running_state_and_running_loop(lp: EventLoop) {
        assert!(!lp.is_running());
        assert_eq!(runtime_message(get_running_loop().err().unwrap()), "no running event loop");
        let seen = Rc::new(Cell::new(false));
        let (lp2, seen2) = (lp.clone(), seen.clone());
        lp.call_soon(move || {
            seen2.set(lp2.is_running() && get_running_loop().unwrap().ptr_eq(&lp2));
            lp2.stop();
        })
        .unwrap();
        lp.run_forever().unwrap();
        assert!(seen.get());
        assert!(!lp.is_running());
        assert!(get_running_loop().is_err());
    }

    // A panicking callback goes to the exception handler; the loop goes on.
    fn panicking_callback_is_reported_and_loop_continues(lp: EventLoop) {
        let reports = Log::new();
        let sink = reports.clone();
        lp.set_exception_handler(Some(Rc::new(move |_lp: &EventLoop, ctx: &evloop::ExceptionContext| {
            sink.push((ctx.message.clone(), ctx.exception.clone().unwrap_or_default()));
        })));
        let log = Log::new();
        lp.call_soon(|| panic!("boom")).unwrap();
        lp.call_soon(log.pusher("next")).unwrap();
        run_once(&lp);
        assert_eq!(log.get(), ["next"]);
        let got = reports.get();
        assert_eq!(got.len(), 1);
        assert!(got[0].0.starts_with("Exception in callback <Handle "), "{}", got[0].0);
        assert_eq!(got[0].1, "panic: boom");
    }

    // L-25 and L-36: a fatal error escapes run_forever and leaves no stale stop.
    fn fatal_error_escapes_and_loop_can_run_again(lp: EventLoop) {
        let log = Log::new();
        lp.call_soon(|| std::panic::panic_any(evloop::Fatal(Error::Runtime("exit".into())))).unwrap();
        lp.call_soon(log.pusher("left in the batch")).unwrap();
        let err = lp.run_forever().unwrap_err();
        assert_eq!(err.message(), "exit");
        assert!(!lp.is_running());
        assert!(log.get().is_empty(), "the rest of the batch waits");
        // L-36: callSoon(() => callSoon(f)), f stops: f must run.
        let (lp2, log2) = (lp.clone(), log.clone());
        lp.call_soon(move || {
            let lp3 = lp2.clone();
            lp2.call_soon(move || { log2.push("f"); lp3.stop() }).unwrap();
        })
        .unwrap();
        lp.run_forever().unwrap();
        assert_eq!(log.get(), ["left in the batch", "f"]);
    }
}

// Debug-mode thread checks (L-27) and callable checks (L-28) are enforced
// by the type system in Rust: `EventLoop` is `!Send`, so only its own thread
// can call it, and every callback is a closure.
#[test]
fn event_loop_is_not_send() {
    fn assert_send<T: Send>() {}
    assert_send::<evloop::LoopRemote>();
    // `is_send::<EventLoop>()` does not compile.
}
