//! Server object conformance over loopback (reference §8.2).

mod util;

use std::rc::Rc;

use evloop::{Error, EventLoop, ServerOptions};
use util::net::*;

fn refused(addr: std::net::SocketAddr) -> bool {
    matches!(std::net::TcpStream::connect(addr), Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused)
}

on_every_selector! {
    // S-25, S-22, S-23
    fn created_server_is_serving(lp: EventLoop) {
        let made = Made::default();
        let (server, addr) = serve(&lp, &made, Recorder::default);
        assert!(server.is_serving());
        assert!(server.get_loop().ptr_eq(&lp));
        assert!(addr.port() > 0);
        let _c = client(addr);
        run_until(&lp, "accepted", || made.len() == 1);
        server.close();
        assert!(!server.is_serving());
    }

    // S-23, S-11 (start_serving), and not listening before it.
    fn start_serving_false_is_bound_not_listening(lp: EventLoop) {
        let made = Made::default();
        let (server, addr) = serve_with(&lp, &made, Recorder::default, ServerOptions { start_serving: false, ..Default::default() });
        assert!(!server.is_serving());
        assert!(refused(addr), "bound but not listening: connections are refused");
        let started = server.start_serving().unwrap();
        assert!(server.is_serving());
        lp.run_until_complete(&started).unwrap();
        server.start_serving().unwrap();
        let _c = client(addr);
        run_until(&lp, "accepted", || made.len() == 1);
    }

    // S-03, S-04, S-06 and the sockets view.
    fn close_is_synchronous_and_idempotent(lp: EventLoop) {
        let made = Made::default();
        let (server, addr) = serve(&lp, &made, Recorder::default);
        let view = server.sockets().remove(0);
        assert!(view.fileno() >= 0);
        server.close();
        assert!(refused(addr), "refused right after close()");
        assert!(server.sockets().is_empty());
        assert_eq!(view.fileno(), -1, "a view of a closed socket");
        server.close();
        assert!(!server.is_serving());
        let e = server.start_serving().err().unwrap();
        assert!(matches!(e, Error::Runtime(ref m) if m == "server <Server sockets=()> is closed"), "{e}");
        assert_eq!(format!("{server:?}"), "<Server sockets=()>");
    }

    // S-02
    fn transport_socket_is_a_safe_view(lp: EventLoop) {
        let made = Made::default();
        let (server, addr) = serve(&lp, &made, Recorder::default);
        let a = server.sockets();
        let b = server.sockets();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].fileno(), b[0].fileno());
        let s = &a[0];
        s.settimeout(Some(0.0)).unwrap();
        s.setblocking(false).unwrap();
        assert_eq!(s.settimeout(Some(1.0)).unwrap_err().message(), "settimeout(): only 0 timeout is allowed on transport sockets");
        assert_eq!(s.setblocking(true).unwrap_err().message(), "setblocking(): transport sockets cannot be blocking");
        assert_eq!(s.gettimeout(), 0.0);
        assert_eq!(s.getsockopt(libc::SOL_SOCKET, libc::SO_REUSEADDR).unwrap(), 1);
        assert_eq!(s.getsockopt(libc::SOL_SOCKET, libc::SO_KEEPALIVE).unwrap(), 0);
        assert_eq!(inet(&s.getsockname().unwrap()), addr);
        assert_eq!((s.family(), s.socket_type(), s.proto()), (libc::AF_INET, libc::SOCK_STREAM, libc::IPPROTO_TCP));
        assert!(format!("{server:?}").starts_with("<Server sockets=(<TransportSocket fd="));
    }

    // S-07, S-08, S-10
    fn serve_forever_rules(lp: EventLoop) {
        let made = Made::default();
        let (server, _addr) = serve(&lp, &made, Recorder::default);
        let forever = server.serve_forever().unwrap();
        let e = server.serve_forever().err().unwrap();
        assert!(e.message().contains("is already being awaited on serve_forever()"), "{e}");
        let s2 = server.clone();
        lp.call_soon(move || s2.close()).unwrap();
        let r = lp.run_until_complete(&forever);
        assert!(matches!(r, Err(Error::Cancelled(_))), "{r:?}");
        assert!(forever.cancelled());
        let e = server.serve_forever().err().unwrap();
        assert!(e.message().ends_with("is closed"), "{e}");
    }

    // S-09, S-11
    fn cancelling_serve_forever_closes_the_server(lp: EventLoop) {
        let made = Made::default();
        let (server, addr) = serve_with(&lp, &made, Recorder::default, ServerOptions { start_serving: false, ..Default::default() });
        let forever = server.serve_forever().unwrap();
        assert!(server.is_serving(), "serve_forever starts a server created with start_serving=false");
        let _c = client(addr);
        made.wait_connected(&lp, 1, "accepted");
        made.get(0).transport().close();
        run_until(&lp, "client gone", || made.get(0).lost());
        assert!(forever.cancel(None));
        assert!(matches!(lp.run_until_complete(&forever), Err(Error::Cancelled(_))));
        assert!(server.sockets().is_empty());
        assert!(!server.is_serving());
    }

    // S-21: cancelling with an idle client waits for it (gh-123720, as CPython).
    fn cancel_serve_forever_waits_for_idle_clients(lp: EventLoop) {
        let made = Made::default();
        let (server, addr) = serve(&lp, &made, Recorder::default);
        let forever = server.serve_forever().unwrap();
        let c = client(addr);
        made.wait_connected(&lp, 1, "accepted");
        forever.cancel(None);
        iterate(&lp, 5);
        assert!(!forever.done(), "pending while the client is connected");
        assert!(server.sockets().is_empty());
        drop(c);
        run_until(&lp, "serve_forever done", || forever.done());
        assert!(forever.cancelled());
    }

    // S-12, S-15, S-16
    fn wait_closed_waits_for_connections(lp: EventLoop) {
        let made = Made::default();
        let (server, addr) = serve(&lp, &made, Recorder::default);
        let early_idle = server.wait_closed();
        let c = client(addr);
        made.wait_connected(&lp, 1, "accepted");
        let early_busy = server.wait_closed();
        let done = server.close_and_wait();
        iterate(&lp, 3);
        assert!(!early_idle.done() && !early_busy.done() && !done.done(), "pending while a client is connected");
        drop(c);
        run_until(&lp, "drained", || done.done());
        assert!(early_idle.done() && early_busy.done());
        assert!(made.get(0).lost(), "after connection_lost");
        assert!(server.wait_closed().done(), "a drained server returns at once");
        assert!(server.wait_closed().done());
    }

    // S-17
    fn scheduled_close_race(lp: EventLoop) {
        let made = Made::default();
        let (server, addr) = serve(&lp, &made, Recorder::default);
        let early = server.wait_closed();
        let _c = client(addr);
        made.wait_connected(&lp, 1, "accepted");
        let s2 = server.clone();
        lp.call_soon(move || s2.close()).unwrap();
        let t = made.get(0).transport();
        lp.call_soon(move || t.close()).unwrap();
        let w = server.wait_closed();
        lp.run_until_complete(&w).unwrap();
        assert!(early.done());
    }

    // S-18, and close_clients on an open server keeps it serving.
    fn close_clients_then_wait_closed(lp: EventLoop) {
        let made = Made::default();
        let (server, addr) = serve(&lp, &made, Recorder::default);
        let mut c = client(addr);
        made.wait_connected(&lp, 1, "accepted");
        server.close_clients();
        run_until(&lp, "lost", || made.get(0).lost());
        assert!(server.is_serving(), "close_clients on an open server keeps serving");
        let _c2 = client(addr);
        made.wait_connected(&lp, 2, "second");
        server.close();
        server.close_clients();
        let w = server.wait_closed();
        iterate(&lp, 2);
        assert!(w.done(), "within two iterations");
        let (_, eof) = read_available(&mut c);
        assert!(eof);
    }

    // S-19
    fn abort_clients_with_a_full_buffer(lp: EventLoop) {
        let made = Made::default();
        let (server, addr) = serve(&lp, &made, Recorder::default);
        let _c = client(addr);
        let t = made.wait_connected(&lp, 1, "accepted").transport();
        let chunk = vec![0u8; 1 << 20];
        while t.get_write_buffer_size() == 0 {
            t.write(&chunk).unwrap();
        }
        server.close();
        server.abort_clients();
        let w = server.wait_closed();
        iterate(&lp, 2);
        assert!(w.done(), "within two iterations");
        assert_eq!(t.get_write_buffer_size(), 0, "buffered bytes discarded");
    }

    // S-26: backlog=2, three clients pending -> all accepted, at most 2 per iteration.
    fn accept_batches_up_to_backlog(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve_with(&lp, &made, Recorder::default, ServerOptions { backlog: 2, ..Default::default() });
        let clients: Vec<_> = (0..3).map(|_| client(addr)).collect();
        let mut per_iteration = vec![];
        run_until(&lp, "three accepted", || {
            per_iteration.push(made.len());
            made.len() == 3
        });
        let increments: Vec<usize> = per_iteration.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(increments.iter().all(|&d| d <= 2), "{per_iteration:?}");
        drop(clients);
    }

    // S-28: a close between accept and transport creation closes the
    // accepted socket silently; the factory never runs.
    fn close_between_accept_and_attach(lp: EventLoop) {
        let reports = util::Log::new();
        let sink = reports.clone();
        lp.set_exception_handler(Some(Rc::new(move |_: &EventLoop, ctx: &evloop::ExceptionContext| sink.push(ctx.message.clone()))));
        let made = Made::default();
        let (server, addr) = serve(&lp, &made, Recorder::default);
        let mut c = client(addr);
        // Wait for the accept itself (the reader ran), not the transport.
        run_until(&lp, "accept queued", || lp.stats().ready > 0);
        server.close();
        let w = server.wait_closed();
        iterate(&lp, 3);
        assert_eq!(made.len(), 0, "factory never called");
        assert!(w.done());
        assert!(reports.get().is_empty());
        c.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 1];
        assert!(matches!(std::io::Read::read(&mut c, &mut buf), Ok(0) | Err(_)), "the accepted socket was closed");
    }
}
