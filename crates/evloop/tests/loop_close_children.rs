//! A loop closed while a child process it started still runs: asyncio's
//! subprocess transport kills a running child when it is closed or
//! collected (a `ResourceWarning`, and "Close running child process: kill"
//! in debug mode). Here the transport, its exit watch and its protocol hold
//! each other, and nothing runs on a closed loop, so `close()` does it: the
//! pipes are closed, the child is killed and reaped (no zombie), the pidfd
//! is closed, and the protocol is forgotten without `connection_lost`. On
//! every loop kind, and with the polling fallback (no pidfd). One test in
//! its own binary, because fds are counted per process.

#![cfg(target_os = "linux")]

mod util;

use evloop::subprocess::{force_exit_polling, SubprocessOptions};
use evloop::{live_objects, EventLoop, SelectorKind};
use util::net::open_fds;
use util::proc::*;

fn kinds() -> Vec<(&'static str, fn() -> EventLoop)> {
    vec![
        ("epoll", || EventLoop::with_selector(SelectorKind::Epoll).unwrap()),
        ("poll", || EventLoop::with_selector(SelectorKind::Poll).unwrap()),
        ("select", || EventLoop::with_selector(SelectorKind::Select).unwrap()),
        ("proactor", || EventLoop::proactor().unwrap()),
    ]
}

/// Whether `pid` is still a process of ours (running or a zombie).
fn exists(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// Whether `pid` exited and waits to be reaped.
fn zombie(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'))
}

#[test]
fn close_kills_and_reaps_running_children_and_releases_their_fds() {
    util::logs::start();
    for polling in [false, true] {
        force_exit_polling(polling);
        for (name, make) in kinds() {
            let name = format!("{name}{}", if polling { " (polling)" } else { "" });
            let before_fds = open_fds();
            let before = live_objects();
            let lp = make();
            lp.set_debug(true);
            let (t, rec) = exec(&lp, "sleep", &["30"], SubprocessOptions::default());
            // A second child that exited already (reaped by close(), if the loop did not yet).
            let (done, done_rec) = exec(&lp, "true", &[], SubprocessOptions::default());
            let (pid, done_pid) = (t.get_pid(), done.get_pid());
            while exists(done_pid) && !zombie(done_pid) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            assert!(exists(pid));
            // The protocol holds the transport (a cycle, as a binding's protocol does).
            assert!(rec.transport.borrow().is_some());
            let _ = util::logs::take();

            lp.close().unwrap();

            assert!(!exists(pid), "{name}: the running child was killed and reaped (no zombie)");
            assert!(!exists(done_pid), "{name}: the exited child was reaped");
            assert_eq!(t.get_returncode(), Some(-libc::SIGKILL), "{name}");
            assert_eq!(done.get_returncode(), Some(0), "{name}");
            assert!(t.is_closing(), "{name}");
            assert!(!rec.events().contains(&PEv::Lost), "{name}: no connection_lost on a closed loop");
            assert_eq!(open_fds(), before_fds, "{name}: pipes, pidfds and the loop's own fds closed");
            let logged = util::logs::take();
            assert_eq!(
                logged.iter().filter(|(_, m)| m.starts_with("Close running child process: kill <_UnixSubprocessTransport")).count(),
                1,
                "{name}: one debug warning, for the running child: {logged:?}"
            );
            // Calls on the released transport are harmless.
            t.close();
            assert!(t.kill().is_ok());
            drop((t, rec, done, done_rec, lp));
            assert_eq!(live_objects(), before, "{name}: no pipe transport, future or loop kept alive");
        }
    }
    force_exit_polling(false);
}
