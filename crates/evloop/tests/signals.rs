//! add_signal_handler / remove_signal_handler with real signals, on every
//! loop kind (asyncio's unix_events rules).
//!
//! A signal's disposition belongs to the whole process, and the tests of
//! this file run on parallel threads of one process: each takes `SERIAL`
//! so that two loops never own the same signal at once.

mod util;

use std::sync::Mutex;

use evloop::EventLoop;
use util::Log;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// The signal's current handler address (`SIG_DFL` is 0).
fn disposition(sig: i32) -> libc::sighandler_t {
    // SAFETY: querying the disposition into a zeroed struct.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(sig, std::ptr::null(), &mut old), 0);
        old.sa_sigaction
    }
}

fn raise(sig: i32) {
    // SAFETY: raising a signal whose handler this test installed.
    assert_eq!(unsafe { libc::raise(sig) }, 0);
}

on_every_selector! {
    fn handler_runs_as_a_loop_callback(lp: EventLoop) {
        let _serial = serial();
        let log = Log::new();
        let (log2, lp2) = (log.clone(), lp.clone());
        lp.add_signal_handler(libc::SIGUSR1, move || {
            log2.push("signal");
            lp2.stop();
        })
        .unwrap();
        assert_ne!(disposition(libc::SIGUSR1), libc::SIG_DFL);
        let log3 = log.clone();
        lp.call_soon(move || {
            raise(libc::SIGUSR1);
            // The handler does not run inside raise(): the loop queues it.
            log3.push("after raise");
        })
        .unwrap();
        lp.run_forever().unwrap();
        assert_eq!(log.get(), ["after raise", "signal"]);
        // It runs again for the next signal: a handler stays until removed.
        lp.call_soon(|| raise(libc::SIGUSR1)).unwrap();
        lp.run_forever().unwrap();
        assert_eq!(log.len(), 3);
        assert!(lp.remove_signal_handler(libc::SIGUSR1).unwrap());
        assert!(!lp.remove_signal_handler(libc::SIGUSR1).unwrap());
        assert_eq!(disposition(libc::SIGUSR1), libc::SIG_DFL);
        lp.close().unwrap();
    }

    // A signal sent to the process from another thread wakes a loop that
    // waits with nothing else to do.
    fn signal_wakes_a_blocked_loop(lp: EventLoop) {
        let _serial = serial();
        let log = Log::new();
        let (log2, lp2) = (log.clone(), lp.clone());
        lp.add_signal_handler(libc::SIGUSR2, move || {
            log2.push("usr2");
            lp2.stop();
        })
        .unwrap();
        let sender = std::thread::spawn(|| {
            // SAFETY: signalling our own process, whose handler is installed.
            assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGUSR2) }, 0);
        });
        lp.run_forever().unwrap();
        sender.join().unwrap();
        assert_eq!(log.get(), ["usr2"]);
        lp.close().unwrap();
    }

    fn adding_again_replaces_the_handler(lp: EventLoop) {
        let _serial = serial();
        let log = Log::new();
        let log1 = log.clone();
        lp.add_signal_handler(libc::SIGUSR1, move || log1.push("first")).unwrap();
        let (log2, lp2) = (log.clone(), lp.clone());
        lp.add_signal_handler(libc::SIGUSR1, move || {
            log2.push("second");
            lp2.stop();
        })
        .unwrap();
        assert_eq!(lp.signal_handlers(), [libc::SIGUSR1]);
        lp.call_soon(|| raise(libc::SIGUSR1)).unwrap();
        lp.run_forever().unwrap();
        assert_eq!(log.get(), ["second"]);
        lp.close().unwrap();
    }

    fn bad_signals_are_refused(lp: EventLoop) {
        let _serial = serial();
        for sig in [0, -1, 65, 1000] {
            let err = lp.add_signal_handler(sig, || {}).unwrap_err();
            assert_eq!(err.name(), "ValueError", "{sig}");
            assert_eq!(err.message(), format!("invalid signal number {sig}"));
            assert_eq!(lp.remove_signal_handler(sig).unwrap_err().name(), "ValueError");
        }
        for sig in [libc::SIGKILL, libc::SIGSTOP] {
            let err = lp.add_signal_handler(sig, || {}).unwrap_err();
            assert_eq!(err.name(), "RuntimeError");
            assert_eq!(err.message(), format!("sig {sig} cannot be caught"));
        }
        assert!(lp.signal_handlers().is_empty());
        lp.close().unwrap();
        let err = lp.add_signal_handler(libc::SIGUSR1, || {}).unwrap_err();
        assert_eq!(err.message(), "Event loop is closed");
    }

    // close() removes every handler and gives the signals their default
    // disposition back; SIGINT's default is to interrupt the process.
    fn close_restores_the_defaults(lp: EventLoop) {
        let _serial = serial();
        lp.add_signal_handler(libc::SIGINT, || {}).unwrap();
        lp.add_signal_handler(libc::SIGHUP, || {}).unwrap();
        assert_ne!(disposition(libc::SIGINT), libc::SIG_DFL);
        assert_eq!(lp.signal_handlers(), [libc::SIGHUP, libc::SIGINT]);
        assert!(lp.remove_signal_handler(libc::SIGINT).unwrap());
        assert_eq!(disposition(libc::SIGINT), libc::SIG_DFL);
        lp.close().unwrap();
        assert_eq!(disposition(libc::SIGHUP), libc::SIG_DFL);
        assert!(lp.signal_handlers().is_empty());
    }
}

// The newest loop to add a handler for a signal receives it, and an older
// loop's removal leaves the newer one's handler installed.
#[test]
fn the_newest_loop_owns_a_signal() {
    let _serial = serial();
    let old = EventLoop::new().unwrap();
    let new = EventLoop::new().unwrap();
    let log = Log::new();
    let log1 = log.clone();
    old.add_signal_handler(libc::SIGUSR2, move || log1.push("old")).unwrap();
    let (log2, new2) = (log.clone(), new.clone());
    new.add_signal_handler(libc::SIGUSR2, move || {
        log2.push("new");
        new2.stop();
    })
    .unwrap();
    assert!(old.remove_signal_handler(libc::SIGUSR2).unwrap());
    assert_ne!(disposition(libc::SIGUSR2), libc::SIG_DFL);
    new.call_soon(|| raise(libc::SIGUSR2)).unwrap();
    new.run_forever().unwrap();
    assert_eq!(log.get(), ["new"]);
    old.close().unwrap();
    new.close().unwrap();
    assert_eq!(disposition(libc::SIGUSR2), libc::SIG_DFL);
}

// A loop dropped without close() gives its signals their default disposition
// back before its wake-up pipe closes: no later signal may write into an fd
// number that something else holds by then.
#[test]
fn a_loop_dropped_unclosed_restores_its_signals() {
    let _serial = serial();
    let lp = EventLoop::new().unwrap();
    lp.add_signal_handler(libc::SIGUSR2, || {}).unwrap();
    assert_ne!(disposition(libc::SIGUSR2), libc::SIG_DFL);
    drop(lp);
    assert_eq!(disposition(libc::SIGUSR2), libc::SIG_DFL);
}
