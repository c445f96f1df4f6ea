//! Many short children: no fd leaks, no zombies, on every loop kind, with
//! pidfds and with the polling fallback. One test in its own binary, so
//! the fd count of the process is this test's alone.

#![cfg(target_os = "linux")]

mod util;

use evloop::subprocess::{force_exit_polling, Stdio, SubprocessOptions};
use evloop::EventLoop;
use util::net::open_fds;
use util::proc::*;

/// 250 children, 25 at a time, each writing to a pipe; every one reaped
/// with the right code and output.
fn churn(lp: &EventLoop) -> Vec<i32> {
    let mut pids = Vec::new();
    for batch in 0..10 {
        let mut running = Vec::new();
        for i in 0..25 {
            let n = batch * 25 + i;
            let o = SubprocessOptions { stdin: Stdio::DevNull, ..SubprocessOptions::default() };
            let (t, rec) = exec(lp, "sh", &["-c", &format!("echo {n}; exit {}", n % 7)], o);
            pids.push(t.get_pid());
            running.push((n, t, rec));
        }
        for (n, t, rec) in running {
            assert_eq!(wait(lp, &t), n % 7);
            assert_eq!(rec.output(1), format!("{n}\n").into_bytes());
            assert!(rec.lost());
        }
    }
    pids
}

#[test]
fn hundreds_of_short_children_leave_no_fds_and_no_zombies() {
    type MakeLoop = fn() -> EventLoop;
    let loops: Vec<(&str, MakeLoop)> = vec![
        ("epoll", || EventLoop::with_selector(evloop::SelectorKind::Epoll).unwrap()),
        ("poll", || EventLoop::with_selector(evloop::SelectorKind::Poll).unwrap()),
        ("select", || EventLoop::with_selector(evloop::SelectorKind::Select).unwrap()),
        ("proactor", || EventLoop::proactor().unwrap()),
    ];
    for polling in [false, true] {
        force_exit_polling(polling);
        for (name, make) in &loops {
            let lp = make();
            // A first child, so lazily made things (the loop's thread-local
            // buffers, ...) exist before counting.
            let (t, _) = exec(&lp, "true", &[], SubprocessOptions::default());
            wait(&lp, &t);
            drop(t);
            let before = open_fds();
            let pids = churn(&lp);
            assert_eq!(pids.len(), 250);
            assert_eq!(open_fds(), before, "{name} (polling: {polling}): fds leaked");
            let zombies: Vec<i32> = pids.iter().copied().filter(|&p| zombie(p)).collect();
            assert!(zombies.is_empty(), "{name} (polling: {polling}): zombies {zombies:?}");
            lp.close().unwrap();
        }
    }
    force_exit_polling(false);
}
