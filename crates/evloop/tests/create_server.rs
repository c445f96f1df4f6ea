//! create_server / create_unix_server conformance (reference §8.3).

mod util;

use std::os::fd::IntoRawFd;
use std::rc::Rc;

use evloop::{Error, EventLoop, Family, Host, ServerOptions, UnixServerOptions};
use util::net::*;

fn factory() -> impl Fn() -> Rc<dyn evloop::Protocol> + 'static {
    || Rc::new(Recorder::default()) as Rc<dyn evloop::Protocol>
}

fn create(lp: &EventLoop, host: Option<Host>, port: Option<u16>, opts: ServerOptions) -> evloop::Result<evloop::Server> {
    block_on(lp, lp.create_server(factory(), host, port, opts))
}

fn ports(server: &evloop::Server) -> Vec<(i32, u16)> {
    server.sockets().iter().map(|s| (s.family(), s.getsockname().unwrap().port().unwrap())).collect()
}

fn tcp_socket(kind: socket2::Type) -> socket2::Socket {
    socket2::Socket::new(socket2::Domain::IPV4, kind, None).unwrap()
}

on_every_selector! {
    // C-01, C-02
    fn host_port_and_sock_conflict(lp: EventLoop) {
        let s = tcp_socket(socket2::Type::STREAM);
        let fd = std::os::fd::AsRawFd::as_raw_fd(&s);
        let e = create(&lp, Some("127.0.0.1".into()), Some(0), ServerOptions { sock: Some(fd), ..Default::default() }).err().unwrap();
        assert_eq!((e.name(), e.message()), ("ValueError", "host/port and sock can not be specified at the same time".to_string()));
        let e = create(&lp, None, Some(0), ServerOptions { sock: Some(fd), ..Default::default() }).err().unwrap();
        assert_eq!(e.message(), "host/port and sock can not be specified at the same time");
        let e = create(&lp, None, None, Default::default()).err().unwrap();
        assert_eq!((e.name(), e.message()), ("ValueError", "Neither host/port nor sock were specified".to_string()));
        let e = create(&lp, None, None, ServerOptions { family: Family::Inet, ..Default::default() }).err().unwrap();
        assert_eq!(e.message(), "Neither host/port nor sock were specified");
    }

    // C-03
    fn datagram_sock_is_rejected(lp: EventLoop) {
        let s = tcp_socket(socket2::Type::DGRAM);
        let fd = s.into_raw_fd();
        let e = create(&lp, None, None, ServerOptions { sock: Some(fd), ..Default::default() }).err().unwrap();
        assert_eq!(e.name(), "ValueError");
        assert!(e.message().starts_with("A Stream Socket was expected, got <socket.socket fd="), "{e}");
        // SAFETY: the rejected fd stays the caller's; close it.
        unsafe { libc::close(fd) };
    }

    // C-08, C-09, C-10
    fn hosts_and_ports(lp: EventLoop) {
        let dup = create(&lp, Some(vec!["127.0.0.1", "127.0.0.1"].into()), Some(0), Default::default()).unwrap();
        assert_eq!(dup.sockets().len(), 1, "duplicates bind once");
        let two = create(&lp, Some(vec!["127.0.0.1", "127.0.0.2"].into()), Some(0), Default::default()).unwrap();
        let p = ports(&two);
        assert_eq!(p.len(), 2);
        assert_ne!(p[0].1, p[1].1, "each socket has its own ephemeral port");
        let no_port = create(&lp, Some("127.0.0.1".into()), None, Default::default()).unwrap();
        assert!(ports(&no_port)[0].1 > 0);
        match create(&lp, Some("::1".into()), Some(0), Default::default()) {
            Ok(v6) => assert_eq!(v6.sockets()[0].family(), libc::AF_INET6),
            Err(e) => assert_eq!(e.code(), Some("EADDRNOTAVAIL"), "{e}"),
        }
        for s in [dup, two, no_port] { s.close(); }
    }

    // C-07: all interfaces -> one socket per family, v6only, own ports.
    fn all_interfaces_one_socket_per_family(lp: EventLoop) {
        let srv = create(&lp, Some("".into()), Some(0), Default::default()).unwrap();
        let p = ports(&srv);
        assert!(p.iter().any(|(f, _)| *f == libc::AF_INET));
        for s in srv.sockets() {
            if s.family() == libc::AF_INET6 {
                assert_eq!(s.getsockopt(libc::IPPROTO_IPV6, libc::IPV6_V6ONLY).unwrap(), 1);
            }
        }
        let srv2 = create(&lp, None, Some(0), ServerOptions { family: Family::Inet, ..Default::default() }).unwrap();
        assert_eq!(ports(&srv2).len(), 1);
        assert_eq!(srv2.sockets()[0].getsockname().unwrap().to_string().split(',').next().unwrap(), "('0.0.0.0'");
        srv.close();
        srv2.close();
    }

    // C-12, C-15
    fn resolution_errors(lp: EventLoop) {
        let e = create(&lp, Some("no.such.host.invalid".into()), Some(0), Default::default()).err().unwrap();
        assert_eq!(e.name(), "gaierror", "{e}");
        assert!(e.code().is_some());
        let e = create(&lp, Some("127.0.0.1".into()), Some(0), ServerOptions { family: Family::Inet6, ..Default::default() }).err().unwrap();
        assert_eq!(e.name(), "gaierror", "{e}");
        assert!(e.message().contains("Address family for hostname not supported"), "{e}");
    }

    // C-13, C-14
    fn nothing_bound_is_an_error(lp: EventLoop) {
        let e = create(&lp, Some("192.0.2.1".into()), Some(0), Default::default()).err().unwrap();
        assert_eq!((e.name(), e.message()), ("OSError", "could not bind on any address out of [('192.0.2.1', 0)]".to_string()));
        // asyncio's error has no errno here; evloop keeps the reason (docs/net.md).
        assert_eq!(e.code(), Some("EADDRNOTAVAIL"));
        let e = create(&lp, Some(Host::Names(vec![])), Some(0), Default::default()).err().unwrap();
        assert_eq!(e.message(), "could not bind on any address out of []");
    }

    // C-06: address in use.
    fn address_in_use(lp: EventLoop) {
        let first = create(&lp, Some("127.0.0.1".into()), Some(0), Default::default()).unwrap();
        let port = ports(&first)[0].1;
        let e = create(&lp, Some("127.0.0.1".into()), Some(port), Default::default()).err().unwrap();
        assert_eq!(e.code(), Some("EADDRINUSE"));
        assert_eq!(e.errno(), Some(libc::EADDRINUSE));
        assert_eq!(
            e.message(),
            format!("[Errno 98] error while attempting to bind on address ('127.0.0.1', {port}): [errno 98] address already in use")
        );
        first.close();
    }

    // C-16, C-17, and reuse_address's default.
    fn socket_options(lp: EventLoop) {
        let plain = create(&lp, Some("127.0.0.1".into()), Some(0), Default::default()).unwrap();
        let s = &plain.sockets()[0];
        assert_eq!(s.getsockopt(libc::SOL_SOCKET, libc::SO_REUSEADDR).unwrap(), 1);
        assert_eq!(s.getsockopt(libc::SOL_SOCKET, libc::SO_REUSEPORT).unwrap(), 0);
        assert_eq!(s.getsockopt(libc::SOL_SOCKET, libc::SO_KEEPALIVE).unwrap(), 0);
        let opts = || ServerOptions { reuse_port: Some(true), keep_alive: Some(true), reuse_address: Some(false), ..Default::default() };
        let a = create(&lp, Some("127.0.0.1".into()), Some(0), opts()).unwrap();
        let sa = &a.sockets()[0];
        assert_eq!(sa.getsockopt(libc::SOL_SOCKET, libc::SO_REUSEPORT).unwrap(), 1);
        assert_eq!(sa.getsockopt(libc::SOL_SOCKET, libc::SO_KEEPALIVE).unwrap(), 1);
        assert_eq!(sa.getsockopt(libc::SOL_SOCKET, libc::SO_REUSEADDR).unwrap(), 0);
        let port = ports(&a)[0].1;
        let b = create(&lp, Some("127.0.0.1".into()), Some(port), opts()).unwrap();
        assert_eq!(ports(&b)[0].1, port, "reuse_port lets two servers share a port");
        for s in [plain, a, b] { s.close(); }
    }

    // C-18
    fn serving_on_a_given_socket(lp: EventLoop) {
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM.nonblocking(), None).unwrap();
        s.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into()).unwrap();
        let addr = s.local_addr().unwrap().as_socket().unwrap();
        let fd = s.into_raw_fd();
        let made = Made::default();
        let fut = lp.create_server(made.factory(Recorder::default), None, None, ServerOptions { sock: Some(fd), ..Default::default() });
        let server = block_on(&lp, fut).unwrap();
        assert_eq!(server.sockets()[0].fileno(), fd);
        assert_eq!(inet(&server.sockets()[0].getsockname().unwrap()), addr);
        let _c = client(addr);
        run_until(&lp, "accepted", || made.len() == 1);
        let view = server.sockets().remove(0);
        server.close();
        assert_eq!(view.fileno(), -1);
        // The fd number may be reused at once by another test's thread, so
        // check the socket itself: nothing listens on its address any more.
        assert!(std::net::TcpStream::connect(addr).is_err(), "close() closed the given socket");
    }

    // C-19
    fn backlog_zero_is_accepted(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve_with(&lp, &made, Recorder::default, ServerOptions { backlog: 0, ..Default::default() });
        let _c = client(addr);
        run_until(&lp, "accepted", || made.len() == 1);
    }

    // C-20, C-21
    fn unix_server_and_cleanup(lp: EventLoop) {
        let dir = tempdir();
        let path = format!("{dir}/srv.sock");
        let made = Made::default();
        let fut = lp.create_unix_server(made.factory(|| Recorder { echo: true, ..Default::default() }), Some(path.clone()), Default::default());
        let server = block_on(&lp, fut).unwrap();
        assert_eq!(server.sockets()[0].getsockname().unwrap(), evloop::Address::Unix(path.clone()));
        let client_proto = Rc::new(Recorder::default());
        let cp = client_proto.clone();
        let conn = lp.create_unix_connection(move || cp as Rc<dyn evloop::Protocol>, Some(path.clone()), None);
        let (t, _) = block_on(&lp, conn).unwrap();
        t.write(b"over unix").unwrap();
        run_until(&lp, "echo", || client_proto.data() == b"over unix");
        t.close();
        server.close();
        assert!(!std::path::Path::new(&path).exists(), "close() removes the socket file");

        // A stale socket file is replaced; close() then removes it.
        let stale = std::os::unix::net::UnixListener::bind(&path).unwrap();
        drop(stale);
        assert!(std::path::Path::new(&path).exists());
        let s2 = block_on(&lp, lp.create_unix_server(factory(), Some(path.clone()), Default::default())).unwrap();
        // Gone before close: no error.
        std::fs::remove_file(&path).unwrap();
        s2.close();

        // Replaced by another socket: left alone.
        let s3 = block_on(&lp, lp.create_unix_server(factory(), Some(path.clone()), Default::default())).unwrap();
        std::fs::remove_file(&path).unwrap();
        let other = std::os::unix::net::UnixListener::bind(&path).unwrap();
        s3.close();
        assert!(std::path::Path::new(&path).exists(), "a replacement is not removed");
        drop(other);
        std::fs::remove_file(&path).unwrap();

        // cleanup_socket=false keeps the file.
        let s4 = block_on(&lp, lp.create_unix_server(factory(), Some(path.clone()), UnixServerOptions { cleanup_socket: false, ..Default::default() })).unwrap();
        s4.close();
        assert!(std::path::Path::new(&path).exists());

        // A regular file is EADDRINUSE.
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"not a socket").unwrap();
        let e = block_on(&lp, lp.create_unix_server(factory(), Some(path.clone()), Default::default())).err().unwrap();
        assert_eq!(e.code(), Some("EADDRINUSE"));
        assert_eq!(e.message(), format!("[Errno 98] Address '{path}' is already in use"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn unix_server_argument_errors(lp: EventLoop) {
        let e = block_on(&lp, lp.create_unix_server(factory(), None, Default::default())).err().unwrap();
        assert_eq!(e.message(), "path was not specified, and no sock specified");
        let s = tcp_socket(socket2::Type::STREAM);
        let fd = std::os::fd::AsRawFd::as_raw_fd(&s);
        let e = block_on(&lp, lp.create_unix_server(factory(), Some("/x".into()), UnixServerOptions { sock: Some(fd), ..Default::default() })).err().unwrap();
        assert_eq!(e.message(), "path and sock can not be specified at the same time");
        let fd = s.into_raw_fd();
        let e = block_on(&lp, lp.create_unix_server(factory(), None, UnixServerOptions { sock: Some(fd), ..Default::default() })).err().unwrap();
        assert!(e.message().starts_with("A UNIX Domain Stream Socket was expected, got "), "{e}");
        // SAFETY: the rejected fd stays ours.
        unsafe { libc::close(fd) };
    }
}

fn tempdir() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("evloop-test-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    std::fs::create_dir_all(&dir).unwrap();
    dir.to_string_lossy().into_owned()
}

#[test]
fn errors_name_python_classes() {
    let e = Error::os_with_message("bind", libc::EADDRINUSE, "x");
    assert_eq!((e.name(), e.code()), ("OSError", Some("EADDRINUSE")));
    let e = Error::os_with_message("connect", libc::ECONNREFUSED, "x");
    assert_eq!(e.name(), "ConnectionRefusedError");
}
