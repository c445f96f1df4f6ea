//! Transport and protocol conformance over loopback (reference §8.4).

mod util;

use std::io::{Read, Write};
use std::rc::Rc;

use evloop::{Error, EventLoop, ExtraInfo};
use util::logs;
use util::net::*;

on_every_selector! {
    // T-01, T-03
    fn callback_sequence_and_extra_info(lp: EventLoop) {
        let made = Made::default();
        let (server, addr) = serve(&lp, &made, Recorder::default);
        let mut c = client(addr);
        run_until(&lp, "connection_made", || made.len() == 1 && !made.get(0).events().is_empty());
        let p = made.get(0);
        let t = p.transport();
        match t.get_extra_info("peername") {
            Some(ExtraInfo::Address(a)) => assert_eq!(inet(&a), c.local_addr().unwrap()),
            other => panic!("{other:?}"),
        }
        match t.get_extra_info("sockname") {
            Some(ExtraInfo::Address(a)) => assert_eq!(inet(&a), addr),
            other => panic!("{other:?}"),
        }
        assert!(matches!(t.get_extra_info("socket"), Some(ExtraInfo::Socket(_))));
        assert!(t.get_extra_info("nonsense").is_none());
        send(&mut c, b"hello");
        c.shutdown(std::net::Shutdown::Write).unwrap();
        run_until(&lp, "connection_lost", || p.lost());
        assert_eq!(p.events(), [Ev::Made, Ev::Data(b"hello".to_vec()), Ev::Eof, Ev::Lost(None)]);
        t.close();
        t.abort();
        iterate(&lp, 2);
        assert_eq!(p.events().iter().filter(|e| matches!(e, Ev::Lost(_))).count(), 1, "lost exactly once");
        server.close();
    }

    // T-04, echo through writelines
    fn write_and_writelines(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let mut c = client(addr);
        let t = made.wait_connected(&lp, 1, "accepted").transport();
        t.write(b"").unwrap();
        t.write(b"x").unwrap();
        t.writelines([&b"a"[..], b"b", b"c"]).unwrap();
        let mut got = vec![0u8; 4];
        c.read_exact(&mut got).unwrap();
        assert_eq!(got, b"xabc");
    }

    // T-05
    fn write_eof_half_closes(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let mut c = client(addr);
        let t = made.wait_connected(&lp, 1, "accepted").transport();
        assert!(t.can_write_eof());
        t.write(b"data").unwrap();
        t.write_eof();
        t.write_eof();
        let e = t.write(b"more").unwrap_err();
        assert!(matches!(e, Error::Runtime(ref m) if m == "Cannot call write() after write_eof()"));
        let mut all = Vec::new();
        c.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"data");
    }

    // T-07
    fn abort_discards_the_buffer(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let mut c = client(addr);
        let p = made.wait_connected(&lp, 1, "accepted");
        let t = p.transport();
        let chunk = vec![7u8; 1 << 20];
        while t.get_write_buffer_size() == 0 {
            t.write(&chunk).unwrap();
        }
        t.abort();
        assert!(t.is_closing());
        assert!(!p.lost());
        iterate(&lp, 1);
        assert_eq!(p.events().last(), Some(&Ev::Lost(None)), "connection_lost(None) in the next iteration");
        t.abort();
        t.close();
        iterate(&lp, 2);
        assert_eq!(p.events().iter().filter(|e| matches!(e, Ev::Lost(_))).count(), 1);
        // The client sees the connection end, not all the data.
        let mut total = 0usize;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match c.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
        assert!(total < chunk.len() * 64, "buffered bytes were not all sent");
    }

    // T-08
    fn writes_after_close_are_dropped_with_warnings(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let _c = client(addr);
        let t = made.wait_connected(&lp, 1, "accepted").transport();
        t.close();
        logs::start();
        for _ in 0..7 {
            t.write(b"late").unwrap();
        }
        let warnings = logs::take().into_iter().filter(|(_, m)| m == "socket.send() raised exception.").count();
        assert_eq!(warnings, 3);
    }

    // T-09, T-16 and the flow-control contract
    fn write_buffer_limits_and_flow_control(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let mut c = client(addr);
        let p = made.wait_connected(&lp, 1, "accepted");
        let t = p.transport();
        assert_eq!(t.get_write_buffer_limits(), (16384, 65536));
        t.set_write_buffer_limits(Some(1000), None).unwrap();
        assert_eq!(t.get_write_buffer_limits(), (250, 1000));
        t.set_write_buffer_limits(None, Some(100)).unwrap();
        assert_eq!(t.get_write_buffer_limits(), (100, 400));
        let e = t.set_write_buffer_limits(Some(10), Some(20)).unwrap_err();
        assert_eq!(e.message(), "high (10) must be >= low (20) must be >= 0");
        t.set_write_buffer_limits(None, None).unwrap();
        // Fill past the high mark while the client does not read.
        let chunk = vec![1u8; 64 * 1024];
        while t.get_write_buffer_size() < 10 * 1024 {
            t.write(&chunk).unwrap();
        }
        let pauses = || p.events().iter().filter(|e| **e == Ev::PauseWriting).count();
        let resumes = || p.events().iter().filter(|e| **e == Ev::ResumeWriting).count();
        if t.get_write_buffer_size() <= 65536 {
            // T-16: lowering the limits pauses synchronously.
            assert_eq!(pauses(), 0);
            t.set_write_buffer_limits(Some(1000), None).unwrap();
        }
        assert_eq!(pauses(), 1, "pause_writing once");
        t.write(&chunk).unwrap();
        assert_eq!(pauses(), 1, "not again while paused");
        // The client drains; resume_writing comes once at the low mark.
        let mut buf = vec![0u8; 1 << 16];
        run_until(&lp, "resume_writing", || {
            c.set_nonblocking(true).unwrap();
            while let Ok(n) = c.read(&mut buf) { if n == 0 { break } }
            resumes() == 1
        });
        assert_eq!((pauses(), resumes()), (1, 1));
        assert!(t.get_write_buffer_size() <= t.get_write_buffer_limits().0);
    }

    // T-11
    fn pause_and_resume_reading(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let mut c = client(addr);
        let p = made.wait_connected(&lp, 1, "accepted");
        let t = p.transport();
        run_until(&lp, "reading", || t.is_reading());
        t.pause_reading();
        t.pause_reading();
        assert!(!t.is_reading());
        send(&mut c, b"while paused");
        iterate(&lp, 5);
        assert!(p.data().is_empty());
        t.resume_reading();
        t.resume_reading();
        assert!(t.is_reading());
        run_until(&lp, "data", || p.data() == b"while paused");
        t.close();
        assert!(!t.is_reading());
        t.pause_reading();
        t.resume_reading();
        assert!(!t.is_reading());
    }

    // T-12
    fn error_in_data_received_closes_with_it(lp: EventLoop) {
        let reports = util::Log::new();
        let sink = reports.clone();
        lp.set_exception_handler(Some(Rc::new(move |_: &EventLoop, ctx: &evloop::ExceptionContext| {
            let keys: Vec<String> = ctx.extra.iter().map(|(k, _)| k.clone()).collect();
            sink.push((ctx.message.clone(), ctx.exception.is_some(), keys));
        })));
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, || Recorder { fail_on_data: Some(Error::Value("bad data".into())), ..Default::default() });
        let mut c = client(addr);
        send(&mut c, b"x");
        run_until(&lp, "lost", || made.len() == 1 && made.get(0).lost());
        assert_eq!(
            reports.get(),
            [("Fatal error: protocol.data_received() call failed.".to_string(), true, vec!["transport".to_string(), "protocol".to_string()])]
        );
        assert_eq!(made.get(0).events().last(), Some(&Ev::Lost(Some("ValueError: bad data".into()))));
    }

    // T-13
    fn peer_reset_is_connection_reset(lp: EventLoop) {
        let reports = util::Log::new();
        let sink = reports.clone();
        lp.set_exception_handler(Some(Rc::new(move |_: &EventLoop, ctx: &evloop::ExceptionContext| sink.push(ctx.message.clone()))));
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let c = client(addr);
        made.wait_connected(&lp, 1, "accepted");
        socket2::SockRef::from(&c).set_linger(Some(std::time::Duration::ZERO)).unwrap();
        drop(c);
        run_until(&lp, "lost", || made.get(0).lost());
        match made.get(0).events().last() {
            Some(Ev::Lost(Some(e))) => assert!(e.starts_with("ConnectionResetError: [Errno 104]"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(reports.get().is_empty(), "OS errors do not reach the exception handler");
    }

    // T-15: data never arrives before connection_made returned.
    fn no_data_before_connection_made(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let mut c = client(addr);
        send(&mut c, b"early");
        run_until(&lp, "data", || made.len() == 1 && !made.get(0).data().is_empty());
        assert_eq!(made.get(0).events()[0], Ev::Made);
    }

    // eof_received returning true keeps the connection half-open.
    fn eof_received_true_keeps_writing_possible(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, || Recorder { keep_open: true, ..Default::default() });
        let mut c = client(addr);
        c.shutdown(std::net::Shutdown::Write).unwrap();
        run_until(&lp, "eof", || made.len() == 1 && made.get(0).events().contains(&Ev::Eof));
        let t = made.get(0).transport();
        assert!(!t.is_closing());
        t.write(b"bye").unwrap();
        t.close();
        run_until(&lp, "lost", || made.get(0).lost());
        let mut all = Vec::new();
        c.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"bye");
    }

    // create_connection both ways: a client transport echoes through the server.
    fn create_connection_round_trip(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, || Recorder { echo: true, ..Default::default() });
        let client_proto = Rc::new(Recorder::default());
        let cp = client_proto.clone();
        let fut = lp.create_connection(move || cp as Rc<dyn evloop::Protocol>, Some("127.0.0.1".into()), Some(addr.port()), Default::default());
        let (t, _p) = block_on(&lp, fut).unwrap();
        assert_eq!(client_proto.events(), [Ev::Made], "connection_made ran before the call resolved");
        t.write(b"ping").unwrap();
        run_until(&lp, "echo", || client_proto.data() == b"ping");
        t.close();
        run_until(&lp, "lost", || client_proto.lost());
    }

    fn create_connection_refused(lp: EventLoop) {
        let port = { let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap(); l.local_addr().unwrap().port() };
        let fut = lp.create_connection(|| Rc::new(Recorder::default()) as Rc<dyn evloop::Protocol>, Some("127.0.0.1".into()), Some(port), Default::default());
        let e = block_on(&lp, fut).map(|_| ()).unwrap_err();
        assert_eq!(e.name(), "ConnectionRefusedError");
        assert_eq!(e.code(), Some("ECONNREFUSED"));
        assert_eq!(e.message(), format!("[Errno 111] Connect call failed ('127.0.0.1', {port})"));
    }

    // A fallible factory (the bindings'): its error fails the call, and
    // the connected socket is closed, not handed to a stand-in protocol.
    fn create_connection_with_a_failing_factory(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let fut = lp.create_connection_with(
            || Err::<Rc<Recorder>, _>(Error::Type("no protocol".into())),
            Some("127.0.0.1".into()),
            Some(addr.port()),
            Default::default(),
        );
        let e = block_on(&lp, fut).map(|_| ()).unwrap_err();
        assert_eq!(e.message(), "no protocol");
        run_until(&lp, "the server saw the close", || made.len() == 1 && made.get(0).lost());
    }

    // A create_connection cancelled after the socket connected (connection_made ran, the call
    // has not returned yet) closes that half-made connection: both ends see it lost.
    fn a_cancelled_create_connection_closes_its_transport(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let client_proto = Rc::new(Recorder::default());
        let cp = client_proto.clone();
        let fut = lp.create_connection(move || cp as Rc<dyn evloop::Protocol>, Some("127.0.0.1".into()), Some(addr.port()), Default::default());
        let task = lp.create_task(fut).unwrap();
        run_until(&lp, "connection_made", || !client_proto.events().is_empty());
        assert!(!task.done(), "the call returns one iteration after connection_made");
        assert!(task.cancel());
        run_until(&lp, "the client end lost", || client_proto.lost());
        run_until(&lp, "the server end lost", || made.len() == 1 && made.get(0).lost());
    }

    // The concrete protocol type comes back, so a binding needs no downcast.
    fn create_connection_with_returns_the_concrete_protocol(lp: EventLoop) {
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let fut = lp.create_connection_with(|| Ok(Rc::new(Recorder::default())), Some("127.0.0.1".into()), Some(addr.port()), Default::default());
        let (t, p): (_, Rc<Recorder>) = block_on(&lp, fut).unwrap();
        assert_eq!(p.events(), [Ev::Made]);
        t.close();
        run_until(&lp, "lost", || p.lost());
    }

    // close() drops the protocol factory: a binding's factory often holds
    // the server's own wrapper, a cycle its collector cannot see.
    fn closing_a_server_drops_its_factory(lp: EventLoop) {
        let token = Rc::new(());
        let held = token.clone();
        let fut = lp.create_server(
            move || { let _ = &held; Rc::new(Recorder::default()) as Rc<dyn evloop::Protocol> },
            Some("127.0.0.1".into()),
            Some(0),
            Default::default(),
        );
        let server = block_on(&lp, fut).unwrap();
        assert_eq!(Rc::strong_count(&token), 2);
        server.close();
        assert_eq!(Rc::strong_count(&token), 1);
    }
}

#[test]
fn buffered_protocol_reads_into_its_buffer() {
    // T-14 on the default selector (the read path is selector-independent).
    use std::cell::RefCell;
    struct Buffered { buf: evloop::ReadBuffer, log: RefCell<Vec<String>> }
    impl evloop::Protocol for Buffered {
        fn eof_received(&self) -> evloop::Result<bool> { self.log.borrow_mut().push("eof".into()); Ok(false) }
        fn connection_lost(&self, _: Option<Error>) -> evloop::Result<()> { self.log.borrow_mut().push("lost".into()); Ok(()) }
        fn buffered(&self) -> Option<&dyn evloop::BufferedProtocol> { Some(self) }
    }
    impl evloop::BufferedProtocol for Buffered {
        fn get_buffer(&self, hint: isize) -> evloop::Result<evloop::ReadBuffer> { self.log.borrow_mut().push(format!("get({hint})")); Ok(self.buf.clone()) }
        fn buffer_updated(&self, n: usize) -> evloop::Result<()> { self.log.borrow_mut().push(format!("updated({n})")); Ok(()) }
    }
    let lp = util::closing(EventLoop::new().unwrap());
    let proto = Rc::new(Buffered { buf: Rc::new(RefCell::new(vec![0; 4])), log: RefCell::new(vec![]) });
    let p2 = proto.clone();
    let server = block_on(&lp, lp.create_server(move || p2.clone() as Rc<dyn evloop::Protocol>, Some("127.0.0.1".into()), Some(0), Default::default())).unwrap();
    let addr = inet(&server.sockets()[0].getsockname().unwrap());
    let mut c = client(addr);
    send(&mut c, b"0123456789");
    c.shutdown(std::net::Shutdown::Write).unwrap();
    run_until(&lp, "lost", || proto.log.borrow().contains(&"lost".to_string()));
    assert_eq!(*proto.log.borrow(), ["get(-1)", "updated(4)", "get(-1)", "updated(4)", "get(-1)", "updated(2)", "get(-1)", "eof", "lost"]);
}

#[test]
fn buffered_protocol_empty_buffer_is_fatal() {
    use std::cell::RefCell;
    struct Empty { lost: RefCell<Option<Option<String>>> }
    impl evloop::Protocol for Empty {
        fn connection_lost(&self, e: Option<Error>) -> evloop::Result<()> { *self.lost.borrow_mut() = Some(e.map(|e| e.message())); Ok(()) }
        fn buffered(&self) -> Option<&dyn evloop::BufferedProtocol> { Some(self) }
    }
    impl evloop::BufferedProtocol for Empty {
        fn get_buffer(&self, _: isize) -> evloop::Result<evloop::ReadBuffer> { Ok(Rc::new(RefCell::new(vec![]))) }
        fn buffer_updated(&self, _: usize) -> evloop::Result<()> { Ok(()) }
    }
    let lp = util::closing(EventLoop::new().unwrap());
    lp.set_exception_handler(Some(Rc::new(|_: &EventLoop, _: &evloop::ExceptionContext| ())));
    let proto = Rc::new(Empty { lost: RefCell::new(None) });
    let p2 = proto.clone();
    let server = block_on(&lp, lp.create_server(move || p2.clone() as Rc<dyn evloop::Protocol>, Some("127.0.0.1".into()), Some(0), Default::default())).unwrap();
    let mut c = client(inet(&server.sockets()[0].getsockname().unwrap()));
    c.write_all(b"x").unwrap();
    run_until(&lp, "lost", || proto.lost.borrow().is_some());
    assert_eq!(*proto.lost.borrow(), Some(Some("get_buffer() returned an empty buffer".to_string())));
}
