//! `getaddrinfo`, `getnameinfo` and `create_connection`'s address options
//! (`local_addr` by name, `happy_eyeballs_delay`, `interleave`,
//! `all_errors`) over real sockets, on every selector and the proactor.
//!
//! Two addresses per name without DNS: `getaddrinfo(NULL, port)` gives the
//! loopback addresses `::1` and `127.0.0.1`, in that order. A black hole
//! the test can make: a listener on `[::1]:port` with a backlog of 0 whose
//! queue one connection fills (it never accepts), so later SYNs go
//! unanswered and their connects hang.

#![cfg(target_os = "linux")]

mod util;

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::rc::Rc;

use evloop::net::SOCK_STREAM;
use evloop::{AddrInfoHints, Address, ConnectionOptions, Error, ExtraInfo, Protocol};
use util::net::*;

/// Binds `[::1]:0` with a backlog of 0 and fills its queue: connects to
/// it from then on get no answer. Returns the listener, the filler and the port.
fn black_hole() -> (socket2::Socket, TcpStream, u16) {
    use socket2::{Domain, Socket, Type};
    let l = Socket::new(Domain::IPV6, Type::STREAM, None).unwrap();
    l.bind(&"[::1]:0".parse::<SocketAddr>().unwrap().into()).unwrap();
    l.listen(0).unwrap();
    let port = l.local_addr().unwrap().as_socket().unwrap().port();
    let filler = TcpStream::connect(("::1", port)).unwrap();
    (l, filler, port)
}

/// The TCP sockets this process has open, by inode: a lookup of an earlier
/// test still running on an executor thread may open and close other
/// sockets (netlink, DNS) meanwhile, so those do not count.
fn open_tcp_sockets() -> std::collections::HashSet<String> {
    let mut tcp = std::collections::HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        tcp.extend(text.lines().skip(1).filter_map(|l| l.split_whitespace().nth(9).map(str::to_owned)));
    }
    let fds = std::fs::read_dir("/proc/self/fd").unwrap();
    fds.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| Some(l.to_string_lossy().strip_prefix("socket:[")?.trim_end_matches(']').to_owned()))
        .filter(|inode| tcp.contains(inode))
        .collect()
}

/// A port on which neither loopback address listens.
fn refused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    assert!(std::net::TcpListener::bind(("::1", port)).is_ok(), "::1 has the port free too");
    port
}

/// The tests of this file one at a time: one counts the process's fds.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

fn protocol() -> impl FnOnce() -> Rc<dyn Protocol> {
    || Rc::new(Recorder::default()) as Rc<dyn Protocol>
}

on_every_selector! {
    // The entries of the C resolver, the same ones std's resolver finds.
    fn getaddrinfo_finds_what_the_system_resolver_finds(lp: EventLoop) {
        let _serial = serial();
        let hints = AddrInfoHints { socktype: SOCK_STREAM, ..Default::default() };
        let infos = block_on(&lp, lp.getaddrinfo(Some("localhost".into()), Some("80".into()), hints)).unwrap();
        let mut got: Vec<SocketAddr> = infos.iter().map(|ai| inet(&ai.addr)).collect();
        let mut want: Vec<SocketAddr> = ("localhost", 80).to_socket_addrs().unwrap().collect();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        assert!(infos.iter().all(|ai| ai.socktype == SOCK_STREAM && ai.proto == 6 && ai.canonname.is_empty()));
        // A service name, and AI_CANONNAME on the first entry.
        let hints = AddrInfoHints { socktype: SOCK_STREAM, flags: libc::AI_CANONNAME, ..Default::default() };
        let infos = block_on(&lp, lp.getaddrinfo(Some("127.0.0.1".into()), Some("http".into()), hints)).unwrap();
        assert_eq!(infos[0].addr, Address::Inet("127.0.0.1:80".parse().unwrap()));
        assert_eq!(infos[0].canonname, "127.0.0.1");
    }

    fn a_name_that_does_not_resolve_is_a_gaierror(lp: EventLoop) {
        let _serial = serial();
        let e = block_on(&lp, lp.getaddrinfo(Some("name.invalid".into()), Some("80".into()), Default::default())).unwrap_err();
        assert_eq!(e.name(), "gaierror");
        assert_eq!(e.errno(), Some(-2));
        assert_eq!(e.code(), Some("ENOTFOUND"));
        assert_eq!(e.message(), "[Errno -2] Name or service not known");
        let Error::Gai(os) = &e else { panic!("{e:?}") };
        assert_eq!(os.syscall, "getaddrinfo");
        // The same error from create_connection.
        let fut = lp.create_connection(protocol(), Some("name.invalid".into()), Some(80), Default::default());
        let e = block_on(&lp, fut).map(|_| ()).unwrap_err();
        assert_eq!((e.name(), e.errno()), ("gaierror", Some(-2)));
    }

    fn getnameinfo_of_the_loopback_address(lp: EventLoop) {
        let _serial = serial();
        let numeric = libc::NI_NUMERICHOST | libc::NI_NUMERICSERV;
        let got = block_on(&lp, lp.getnameinfo("127.0.0.1".into(), 8080, numeric)).unwrap();
        assert_eq!(got, ("127.0.0.1".to_string(), "8080".to_string()));
        let (host, _) = block_on(&lp, lp.getnameinfo("127.0.0.1".into(), 80, 0)).unwrap();
        assert_eq!(host, "localhost", "/etc/hosts names 127.0.0.1");
        // The host must be numeric, as Python's getnameinfo wants it.
        let e = block_on(&lp, lp.getnameinfo("name.invalid".into(), 80, 0)).unwrap_err();
        assert_eq!((e.name(), e.errno()), ("gaierror", Some(-2)));
    }

    // The lookup waits for a worker of the default executor while the loop
    // keeps running callbacks: it never runs on the loop's thread.
    fn getaddrinfo_runs_on_the_default_executor(lp: EventLoop) {
        let _serial = serial();
        lp.set_default_executor(evloop::ThreadPoolExecutor::new(Some(1)).unwrap());
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let busy = lp.run_in_executor(move || wait.recv().unwrap()).unwrap();
        let lookup = lp.create_task(lp.getaddrinfo(Some("localhost".into()), Some("80".into()), Default::default())).unwrap();
        let ticks = Rc::new(std::cell::Cell::new(0));
        for _ in 0..20 {
            let t = ticks.clone();
            lp.call_soon(move || t.set(t.get() + 1)).unwrap();
            util::run_once(&lp);
        }
        assert_eq!(ticks.get(), 20, "the loop kept running");
        assert!(!lookup.done(), "the only worker is busy: the lookup waits for it");
        release.send(()).unwrap();
        assert!(!lp.run_until_complete(&lookup).unwrap().unwrap().is_empty());
        assert!(busy.done());
    }

    // A lookup whose wait is dropped leaves the loop working.
    fn a_cancelled_lookup_drops_its_result(lp: EventLoop) {
        let _serial = serial();
        let task = lp.create_task(lp.getaddrinfo(Some("localhost".into()), Some("80".into()), Default::default())).unwrap();
        assert!(task.cancel());
        let later = block_on(&lp, lp.getaddrinfo(Some("localhost".into()), None, Default::default())).unwrap();
        assert!(!later.is_empty());
        assert!(task.cancelled());
    }

    // One address hangs, one is live: after the delay the live one wins,
    // and the hanging attempt is closed.
    fn happy_eyeballs_wins_on_the_live_address_and_closes_the_loser(lp: EventLoop) {
        let _serial = serial();
        let (_hole, _filler, port) = black_hole();
        let made = Made::default();
        let server = lp.create_server(made.factory(Recorder::default), Some("127.0.0.1".into()), Some(port), Default::default());
        let _server = block_on(&lp, server).unwrap();
        let before = open_tcp_sockets();
        let opts = ConnectionOptions { happy_eyeballs_delay: Some(0.05), ..Default::default() };
        let (t, _) = block_on(&lp, lp.create_connection(protocol(), None, Some(port), opts)).unwrap();
        let Some(ExtraInfo::Address(peer)) = t.get_extra_info("peername") else { panic!("no peername") };
        assert_eq!(peer, Address::Inet(SocketAddr::from(([127, 0, 0, 1], port))));
        run_until(&lp, "accepted", || made.len() == 1);
        // The winner and its accepted end are open; the attempt on ::1 is not.
        assert_eq!(open_tcp_sockets().difference(&before).count(), 2);
        t.close();
        run_until(&lp, "closed", || made.get(0).lost());
    }

    fn all_errors_gives_every_error_in_attempt_order(lp: EventLoop) {
        let _serial = serial();
        let port = refused_port();
        let opts = ConnectionOptions { all_errors: true, happy_eyeballs_delay: Some(0.05), ..Default::default() };
        let e = block_on(&lp, lp.create_connection(protocol(), None, Some(port), opts)).map(|_| ()).unwrap_err();
        let Error::Group { message, errors } = &e else { panic!("{e:?}") };
        assert_eq!(message, "create_connection failed");
        assert_eq!(e.message(), "create_connection failed (2 sub-exceptions)");
        let texts: Vec<String> = errors.iter().map(Error::message).collect();
        assert_eq!(texts, [
            format!("[Errno 111] Connect call failed ('::1', {port}, 0, 0)"),
            format!("[Errno 111] Connect call failed ('127.0.0.1', {port})"),
        ]);
        assert!(errors.iter().all(|e| e.name() == "ConnectionRefusedError"));
        // Without all_errors: asyncio's one error for different texts.
        let e = block_on(&lp, lp.create_connection(protocol(), None, Some(port), Default::default())).map(|_| ()).unwrap_err();
        assert_eq!(e.name(), "OSError");
        assert_eq!(e.message(), format!("Multiple exceptions: {}, {}", texts[0], texts[1]));
    }

    // interleave: 2 of the first family first; the error order shows the attempt order.
    fn interleave_orders_the_attempts(lp: EventLoop) {
        let _serial = serial();
        let port = refused_port();
        for (interleave, first) in [(Some(1), "::1"), (Some(2), "::1"), (None, "::1")] {
            let opts = ConnectionOptions { all_errors: true, interleave, ..Default::default() };
            let e = block_on(&lp, lp.create_connection(protocol(), None, Some(port), opts)).map(|_| ()).unwrap_err();
            let Error::Group { errors, .. } = &e else { panic!("{e:?}") };
            assert!(errors[0].message().contains(&format!("('{first}'")), "{interleave:?}: {e:?}");
        }
    }

    fn local_addr_by_name(lp: EventLoop) {
        let _serial = serial();
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let opts = ConnectionOptions { local_addr: Some(("localhost".into(), 0)), ..Default::default() };
        let (t, _) = block_on(&lp, lp.create_connection(protocol(), Some("127.0.0.1".into()), Some(addr.port()), opts)).unwrap();
        let Some(ExtraInfo::Address(Address::Inet(local))) = t.get_extra_info("sockname") else { panic!() };
        assert_eq!(local.ip().to_string(), "127.0.0.1");
        t.close();
        // No local address of the remote's family: asyncio's error.
        let opts = ConnectionOptions { local_addr: Some(("127.0.0.1".into(), 0)), ..Default::default() };
        let (_hole, _filler, port) = black_hole();
        let e = block_on(&lp, lp.create_connection(protocol(), Some("::1".into()), Some(port), opts)).map(|_| ()).unwrap_err();
        assert_eq!(e.message(), "no matching local address with family=<AddressFamily.AF_INET6: 10> found");
        // A local name that does not resolve.
        let opts = ConnectionOptions { local_addr: Some(("name.invalid".into(), 0)), ..Default::default() };
        let e = block_on(&lp, lp.create_connection(protocol(), Some("127.0.0.1".into()), Some(addr.port()), opts)).map(|_| ()).unwrap_err();
        assert_eq!(e.name(), "gaierror");
    }

    fn a_negative_delay_is_refused(lp: EventLoop) {
        let _serial = serial();
        let opts = ConnectionOptions { happy_eyeballs_delay: Some(-1.0), ..Default::default() };
        let e = block_on(&lp, lp.create_connection(protocol(), Some("127.0.0.1".into()), Some(1), opts)).map(|_| ()).unwrap_err();
        assert_eq!(e.name(), "ValueError");
    }
}
