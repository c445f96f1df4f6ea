//! Nothing leaks under churn: open fds return to where they started.
//! One test in its own binary, because fds are counted per process.

mod util;

use std::io::{Read, Write};

use evloop::{EventLoop, SelectorKind};
use util::net::*;

#[test]
fn connections_and_loops_release_their_fds() {
    let before = open_fds();
    for kind in [SelectorKind::Epoll, SelectorKind::Poll, SelectorKind::Select] {
        let lp = EventLoop::with_selector(kind).unwrap();
        let made = Made::default();
        let (server, addr) = serve(&lp, &made, || Recorder { echo: true, ..Default::default() });
        for i in 0..200 {
            let mut c = client(addr);
            c.write_all(b"x").unwrap();
            let mut got = [0u8; 1];
            // The loop must run for the echo: step it until the byte is back.
            c.set_nonblocking(true).unwrap();
            run_until(&lp, "echo", || matches!(c.read(&mut got), Ok(1)));
            drop(c);
            run_until(&lp, "lost", || made.get(i).lost());
        }
        assert_eq!(server.client_count(), 0);
        let closed = server.close_and_wait();
        lp.run_until_complete(&closed).unwrap();
        lp.close().unwrap();
        drop((server, made));
    }
    for _ in 0..100 {
        EventLoop::new().unwrap().close().unwrap();
        drop(EventLoop::with_selector(SelectorKind::Poll).unwrap());
    }
    assert_eq!(open_fds(), before, "every socket, selector and pipe was closed");
}
