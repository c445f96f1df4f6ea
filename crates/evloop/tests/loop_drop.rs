//! A loop dropped without `close()` (in a binding: garbage collected)
//! releases what it holds, and in debug mode warns "unclosed event loop", as
//! asyncio's `__del__` does with a `ResourceWarning`. Its own binary: fds
//! are counted per process.

mod util;

use evloop::{EventLoop, SelectorKind};
use util::logs;

fn kinds() -> Vec<Box<dyn Fn() -> EventLoop>> {
    let mut out: Vec<Box<dyn Fn() -> EventLoop>> = [SelectorKind::Epoll, SelectorKind::Poll, SelectorKind::Select]
        .into_iter()
        .map(|k| Box::new(move || EventLoop::with_selector(k).unwrap()) as Box<dyn Fn() -> EventLoop>)
        .collect();
    #[cfg(target_os = "linux")]
    if EventLoop::proactor().is_ok() {
        out.push(Box::new(|| EventLoop::proactor().unwrap()));
    }
    out
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn unclosed_warnings() -> Vec<String> {
    logs::take().into_iter().map(|(_, m)| m).filter(|m| m.starts_with("unclosed event loop")).collect()
}

#[test]
fn an_unclosed_loop_dropped_releases_its_fds_and_warns_in_debug_mode() {
    logs::start();
    let before = open_fds();
    for make in kinds() {
        // Debug mode: one warning per loop dropped unclosed.
        for _ in 0..20 {
            let lp = make();
            lp.set_debug(true);
            lp.call_soon(|| ()).unwrap();
            util::run_once(&lp);
            drop(lp);
        }
        let w = unclosed_warnings();
        assert_eq!(w.len(), 20, "{w:?}");
        assert!(w[0].contains("closed=false debug=true"), "{}", w[0]);
        // Not in debug mode, or closed: no warning.
        drop(make());
        let lp = make();
        lp.set_debug(true);
        lp.close().unwrap();
        drop(lp);
        assert_eq!(unclosed_warnings(), Vec::<String>::new());
        assert_eq!(open_fds(), before, "a dropped loop released its selector, self-pipe or ring");
    }
}
