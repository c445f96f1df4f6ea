//! TLS between evloop servers and clients on every selector and the
//! proactor: the handshake, data both ways, the extra-info keys, ALPN,
//! TLS 1.2 and 1.3, certificate and host name failures, the handshake
//! timeout, and both ways a connection can end.

mod util;

use std::io::Read;
use std::net::TcpListener;
use std::rc::Rc;

use evloop::tls::{SslContext, TlsOptions, TlsVersion};
use evloop::{ConnectionOptions, Error, EventLoop, ExtraInfo, Protocol, ServerOptions, Transport};
use util::net::*;
use util::tls::Certs;

fn tls_server(lp: &EventLoop, made: &Made, ctx: SslContext, make: impl Fn() -> Recorder + 'static) -> std::net::SocketAddr {
    let opts = ServerOptions { tls: TlsOptions { ssl: Some(ctx), ..Default::default() }, ..Default::default() };
    let (server, addr) = serve_with(lp, made, make, opts);
    std::mem::forget(server);
    addr
}

fn connect(lp: &EventLoop, port: u16, tls: TlsOptions) -> Result<(Transport, Rc<Recorder>), Error> {
    let opts = ConnectionOptions { tls, ..Default::default() };
    let client = Rc::new(Recorder::default());
    let c = client.clone();
    let fut = lp.create_connection(move || c as Rc<dyn Protocol>, Some("localhost".into()), Some(port), opts);
    block_on(lp, async move { fut.await.map(|(t, _)| t) }).map(|t| (t, client))
}

fn with_ctx(ctx: SslContext) -> TlsOptions {
    TlsOptions { ssl: Some(ctx), ..Default::default() }
}

on_every_selector! {
    fn echo_both_ways_then_close_notify(lp: EventLoop) {
        let certs = Certs::new();
        let made = Made::default();
        let addr = tls_server(&lp, &made, certs.server(), || Recorder { echo: true, ..Default::default() });
        let (t, client) = connect(&lp, addr.port(), with_ctx(certs.client())).unwrap();
        run_until(&lp, "client connection_made", || client.events().contains(&Ev::Made));
        assert!(!t.can_write_eof());
        t.write(b"hello over tls").unwrap();
        run_until(&lp, "echo", || client.data() == b"hello over tls");
        assert_eq!(made.get(0).data(), b"hello over tls");

        match t.get_extra_info("cipher") {
            Some(ExtraInfo::Cipher(Some(c))) => {
                assert_eq!(c.protocol, "TLSv1.3");
                assert!(c.name.starts_with("TLS_"), "{c:?}");
            }
            other => panic!("cipher: {other:?}"),
        }
        match t.get_extra_info("peercert") {
            Some(ExtraInfo::PeerCert(Some(cert))) => {
                let fields = cert.fields.expect("a verified certificate has its fields");
                assert!(fields.subject.iter().flatten().any(|(k, v)| k == "commonName" && v == "localhost"));
                assert!(fields.issuer.iter().flatten().any(|(k, v)| k == "commonName" && v == "evloop test CA"));
                assert_eq!(fields.version, 3);
                assert!(fields.not_after.ends_with(" GMT"));
                assert!(fields.subject_alt_name.contains(&("DNS".into(), "localhost".into())));
                assert!(fields.subject_alt_name.contains(&("IP Address".into(), "127.0.0.1".into())));
            }
            other => panic!("peercert: {other:?}"),
        }
        match t.get_extra_info("ssl_object") {
            Some(ExtraInfo::SslObject(o)) => {
                assert_eq!(o.version(), Some("TLSv1.3"));
                assert!(!o.server_side());
                assert_eq!(o.server_hostname().as_deref(), Some("localhost"));
            }
            other => panic!("ssl_object: {other:?}"),
        }
        assert!(matches!(t.get_extra_info("sslcontext"), Some(ExtraInfo::SslContext(_))));
        assert!(matches!(t.get_extra_info("peername"), Some(ExtraInfo::Address(_))));
        // The server did not ask for a client certificate.
        let server_t = made.get(0).transport();
        assert!(matches!(server_t.get_extra_info("peercert"), Some(ExtraInfo::PeerCert(None))));

        // close(): close_notify; the server's protocol reads EOF, closes,
        // and both sides lose the connection cleanly.
        t.close();
        run_until(&lp, "both lost", || client.lost() && made.get(0).lost());
        assert_eq!(client.events().last(), Some(&Ev::Lost(None)));
        let server_events = made.get(0).events();
        assert_eq!(&server_events[server_events.len() - 2..], &[Ev::Eof, Ev::Lost(None)]);
    }

    fn tls12_and_alpn(lp: EventLoop) {
        let certs = Certs::new();
        let made = Made::default();
        let server_ctx = certs.server();
        server_ctx.set_alpn_protocols(&["h2", "http/1.1"]).unwrap();
        let addr = tls_server(&lp, &made, server_ctx, || Recorder { echo: true, ..Default::default() });
        let ctx = certs.client();
        ctx.set_maximum_version(TlsVersion::Tls12);
        ctx.set_alpn_protocols(&["http/1.1"]).unwrap();
        let (t, client) = connect(&lp, addr.port(), with_ctx(ctx)).unwrap();
        let Some(ExtraInfo::SslObject(o)) = t.get_extra_info("ssl_object") else { panic!("ssl_object") };
        assert_eq!(o.version(), Some("TLSv1.2"));
        assert_eq!(o.selected_alpn_protocol().as_deref(), Some("http/1.1"));
        let Some(ExtraInfo::Cipher(Some(c))) = t.get_extra_info("cipher") else { panic!("cipher") };
        assert_eq!(c.protocol, "TLSv1.2");
        assert!(c.name.starts_with("ECDHE-ECDSA-"), "{c:?}");
        t.write(b"x").unwrap();
        run_until(&lp, "echo", || client.data() == b"x");
        let Some(ExtraInfo::SslObject(so)) = made.get(0).transport().get_extra_info("ssl_object") else { panic!() };
        assert!(so.server_side());
        assert_eq!(so.selected_alpn_protocol().as_deref(), Some("http/1.1"));
        t.abort();
        run_until(&lp, "lost", || client.lost());
    }

    fn unknown_issuer_fails_verification(lp: EventLoop) {
        let certs = Certs::new();
        let made = Made::default();
        let addr = tls_server(&lp, &made, certs.server(), Recorder::default);
        let e = connect(&lp, addr.port(), with_ctx(SslContext::create_default_context())).err().unwrap();
        assert_eq!(e.name(), "SSLCertVerificationError");
        let Error::Ssl(ssl) = &e else { panic!("{e}") };
        assert_eq!(ssl.reason, "CERTIFICATE_VERIFY_FAILED");
        assert_eq!(ssl.verify, Some((20, "unable to get local issuer certificate".into())));
        assert_eq!(e.errno(), Some(1));
        // The server's protocol never saw a connection.
        iterate(&lp, 5);
        assert!(made.0.borrow().iter().all(|p| p.events().is_empty()));
    }

    fn wrong_hostname(lp: EventLoop) {
        let certs = Certs::new();
        let made = Made::default();
        let addr = tls_server(&lp, &made, certs.server(), Recorder::default);
        let tls = TlsOptions { ssl: Some(certs.client()), server_hostname: Some("example.com".into()), ..Default::default() };
        let e = connect(&lp, addr.port(), tls).err().unwrap();
        assert_eq!(e.name(), "SSLCertVerificationError");
        assert!(e.message().ends_with("Hostname mismatch, certificate is not valid for 'example.com'."), "{e}");
        // check_hostname off: the chain still counts, the name does not.
        let ctx = certs.client();
        ctx.set_check_hostname(false);
        let tls = TlsOptions { ssl: Some(ctx), server_hostname: Some("example.com".into()), ..Default::default() };
        let (t, _) = connect(&lp, addr.port(), tls).unwrap();
        t.close();
        iterate(&lp, 3);
    }

    fn handshake_timeout_on_a_silent_server(lp: EventLoop) {
        let certs = Certs::new();
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let tls = TlsOptions { ssl: Some(certs.client()), ssl_handshake_timeout: Some(0.2), ..Default::default() };
        let e = connect(&lp, port, tls).err().unwrap();
        assert_eq!(e.name(), "ConnectionAbortedError");
        assert_eq!(e.message(), "SSL handshake is taking longer than 0.2 seconds: aborting the connection");
        // The client closed its socket: the silent server reads EOF.
        let (mut conn, _) = silent.accept().unwrap();
        let mut buf = Vec::new();
        conn.read_to_end(&mut buf).unwrap();
        assert!(buf.starts_with(&[0x16, 0x03]), "a ClientHello came first");
    }

    fn handshake_timeout_on_a_silent_client(lp: EventLoop) {
        let certs = Certs::new();
        let made = Made::default();
        let opts = ServerOptions {
            tls: TlsOptions { ssl: Some(certs.server()), ssl_handshake_timeout: Some(0.2), ..Default::default() },
            ..Default::default()
        };
        let (_server, addr) = serve_with(&lp, &made, Recorder::default, opts);
        let mut silent = client(addr);
        let mut buf = [0u8; 16];
        let lp2 = lp.clone();
        let t = std::thread::spawn(move || silent.read(&mut buf).map(|n| n));
        run_until(&lp2, "server gives up", || t.is_finished());
        assert_eq!(t.join().unwrap().unwrap(), 0, "the server closed without a word");
        assert!(made.get(0).events().is_empty());
    }

    fn peer_closes_without_close_notify(lp: EventLoop) {
        let certs = Certs::new();
        let made = Made::default();
        let addr = tls_server(&lp, &made, certs.server(), Recorder::default);
        let (t, client) = connect(&lp, addr.port(), with_ctx(certs.client())).unwrap();
        t.write(b"last words").unwrap();
        run_until(&lp, "server got data", || made.len() == 1 && made.get(0).data() == b"last words");
        // abort(): the TCP connection ends with no close_notify.
        t.abort();
        run_until(&lp, "both lost", || client.lost() && made.get(0).lost());
        assert_eq!(client.events().last(), Some(&Ev::Lost(None)));
        // As asyncio: no eof_received, and no error.
        assert_eq!(made.get(0).events(), vec![Ev::Made, Ev::Data(b"last words".to_vec()), Ev::Lost(None)]);
    }

    fn options_are_checked(lp: EventLoop) {
        let certs = Certs::new();
        let plain = TlsOptions { ssl_handshake_timeout: Some(1.0), ..Default::default() };
        let e = connect(&lp, 1, plain).err().unwrap();
        assert_eq!(e.to_string(), "ValueError: ssl_handshake_timeout is only meaningful with ssl");
        let plain = TlsOptions { server_hostname: Some("x".into()), ..Default::default() };
        let e = connect(&lp, 1, plain).err().unwrap();
        assert_eq!(e.to_string(), "ValueError: server_hostname is only meaningful with ssl");
        let bad = TlsOptions { ssl: Some(certs.client()), ssl_shutdown_timeout: Some(-1.0), ..Default::default() };
        let made = Made::default();
        let addr = tls_server(&lp, &made, certs.server(), Recorder::default);
        let e = connect(&lp, addr.port(), bad).err().unwrap();
        assert_eq!(e.to_string(), "ValueError: ssl_shutdown_timeout should be a positive number, got -1");
        let opts = ServerOptions { tls: TlsOptions { ssl_shutdown_timeout: Some(1.0), ..Default::default() }, ..Default::default() };
        let e = block_on(&lp, lp.create_server(made.factory(Recorder::default), None, Some(0), opts)).err().unwrap();
        assert_eq!(e.to_string(), "ValueError: ssl_shutdown_timeout is only meaningful with ssl");
        // A server needs a server context with a certificate: said at once.
        let opts = ServerOptions { tls: TlsOptions { ssl: Some(certs.client()), ..Default::default() }, ..Default::default() };
        let e = block_on(&lp, lp.create_server(made.factory(Recorder::default), None, Some(0), opts)).err().unwrap();
        assert_eq!(e.name(), "ValueError");
        let bare = evloop::tls::SslContext::new(evloop::tls::Purpose::Server);
        let opts = ServerOptions { tls: TlsOptions { ssl: Some(bare), ..Default::default() }, ..Default::default() };
        let e = block_on(&lp, lp.create_server(made.factory(Recorder::default), None, Some(0), opts)).err().unwrap();
        assert_eq!(e.to_string(), "SSLError: [SSL: NO_CERTIFICATE_ASSIGNED] no certificate assigned");
    }

    fn shutdown_timeout_when_the_peer_never_answers(lp: EventLoop) {
        let certs = Certs::new();
        let made = Made::default();
        let addr = tls_server(&lp, &made, certs.server(), Recorder::default);
        let tls = TlsOptions { ssl: Some(certs.client()), ssl_shutdown_timeout: Some(0.3), ..Default::default() };
        let (t, client) = connect(&lp, addr.port(), tls).unwrap();
        run_until(&lp, "server made", || made.len() == 1 && made.get(0).events().contains(&Ev::Made));
        // A peer that reads nothing never sees our close_notify, so it
        // never answers with its own.
        made.get(0).transport().pause_reading();
        t.close();
        run_until(&lp, "client lost", || client.lost());
        assert_eq!(client.events().last(), Some(&Ev::Lost(Some("TimeoutError: SSL shutdown timed out".into()))));
        // The paused peer keeps its end (asyncio's paused-reader rule)
        // until it reads again: then EOF, and the end.
        iterate(&lp, 3);
        assert!(!made.get(0).lost());
        made.get(0).transport().resume_reading();
        run_until(&lp, "server lost", || made.get(0).lost());
        let events = made.get(0).events();
        assert_eq!(&events[events.len() - 2..], &[Ev::Eof, Ev::Lost(None)]);
    }

    fn one_write_larger_than_rustls_buffers_arrives_whole(lp: EventLoop) {
        // rustls takes 64 KiB of a write by default; the rest must not wait
        // for the socket transport to pause and resume.
        let certs = Certs::new();
        let made = Made::default();
        let addr = tls_server(&lp, &made, certs.server(), || Recorder { echo: true, ..Default::default() });
        let (t, client) = connect(&lp, addr.port(), with_ctx(certs.client())).unwrap();
        let big: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
        t.write(&big).unwrap();
        let received = |r: &Recorder| -> usize { r.events.borrow().iter().map(|e| if let Ev::Data(d) = e { d.len() } else { 0 }).sum() };
        run_until(&lp, "the echo of one 1 MiB write", || received(&client) == big.len());
        assert!(client.data() == big);
        t.close();
        run_until(&lp, "lost", || client.lost() && made.get(0).lost());
    }
}
