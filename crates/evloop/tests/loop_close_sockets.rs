//! A loop closed while its servers listen and its connections are open
//! releases their sockets at `close()`, even while the server, the
//! transports and the protocols (which hold their transports: a cycle) are
//! all still referenced. Found by the random call sequences at the FFI
//! (tests/node/ffi-sequences.test.ts): in a binding the protocol and its
//! transport hold each other through native code, so nothing else would
//! ever close them. The protocols get no `connection_lost`: nothing runs on
//! a closed loop. One test in its own binary, because fds are counted per
//! process.

mod util;

use std::rc::Rc;

use evloop::{EventLoop, Protocol, SelectorKind};
use util::net::*;

fn loops() -> Vec<(&'static str, EventLoop)> {
    let mut out: Vec<(&'static str, EventLoop)> = [SelectorKind::Epoll, SelectorKind::Poll, SelectorKind::Select]
        .into_iter()
        .map(|k| ("selector", EventLoop::with_selector(k).unwrap()))
        .collect();
    #[cfg(target_os = "linux")]
    if let Ok(lp) = EventLoop::proactor() {
        out.push(("proactor", lp));
    }
    out
}

#[test]
fn close_releases_the_sockets_of_open_servers_and_connections() {
    let before = open_fds();
    let mut kept = Vec::new();
    for (name, lp) in loops() {
        let made = Made::default();
        let (server, addr) = serve(&lp, &made, Recorder::default);
        let client = Rc::new(Recorder::default());
        let c2 = client.clone();
        let fut = lp.create_connection(
            move || c2 as Rc<dyn Protocol>,
            Some("127.0.0.1".into()),
            Some(addr.port()),
            Default::default(),
        );
        let (transport, _) = block_on(&lp, fut).unwrap();
        made.wait_connected(&lp, 1, "the server side");
        // Unsent data stays in the buffer: the peer's window is not the point here.
        transport.write(b"pending").unwrap();
        // A serve_forever() waits, as does a wait_closed().
        let forever = server.serve_forever().unwrap();
        let waiting = server.wait_closed();
        assert!(open_fds() > before, "{name}: the sockets are open");

        lp.close().unwrap();

        assert!(server.sockets().is_empty(), "{name}: the listening socket is closed");
        assert!(!server.is_serving(), "{name}");
        assert!(transport.is_closing(), "{name}");
        assert!(made.get(0).transport().is_closing(), "{name}");
        // Nothing runs on a closed loop: no connection_lost, nothing settles.
        assert!(!client.lost() && !made.get(0).lost(), "{name}: no connection_lost on a closed loop");
        assert!(!forever.done(), "{name}: serve_forever() stays pending");
        // The server is drained (closed, no client left): wait_closed() is
        // done, though its callbacks cannot run any more.
        assert!(waiting.done(), "{name}");
        // Calls on what was released are harmless.
        transport.write(b"after").unwrap();
        transport.close();
        transport.abort();
        server.close();
        server.close_clients();
        kept.push((lp, server, made, client, transport, forever, waiting));
    }
    assert_eq!(open_fds(), before, "every listening and connected socket was closed by close()");
    drop(kept);
    assert_eq!(open_fds(), before);
}
