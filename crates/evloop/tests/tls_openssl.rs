//! TLS against peers no one here wrote: `openssl s_server`, `openssl
//! s_client` and `curl` (Debian's), over loopback, on every selector and
//! the proactor. Certificates are made at test time.

mod util;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::rc::Rc;

use evloop::tls::{SslContext, TlsOptions, TlsVersion, VerifyMode};
use evloop::{ConnectionOptions, Error, EventLoop, ExtraInfo, Protocol, ServerOptions, Transport};
use util::net::*;
use util::tls::{s_server, Certs, Child};

fn connect(lp: &EventLoop, port: u16, ctx: SslContext) -> Result<(Transport, Rc<Recorder>), Error> {
    let tls = TlsOptions { ssl: Some(ctx), server_hostname: Some("localhost".into()), ..Default::default() };
    let client = Rc::new(Recorder::default());
    let c = client.clone();
    let fut = lp.create_connection(
        move || c as Rc<dyn Protocol>,
        Some("127.0.0.1".into()),
        Some(port),
        ConnectionOptions { tls, ..Default::default() },
    );
    block_on(lp, async move { fut.await.map(|(t, _)| t) }).map(|t| (t, client))
}

/// Answers the first request (anything ending in an empty line) with a
/// small HTTP response, then closes: enough for curl.
struct Http(Rc<Recorder>);

impl Protocol for Http {
    fn connection_made(&self, t: &Transport) -> evloop::Result<()> {
        self.0.connection_made(t)
    }
    fn data_received(&self, data: &[u8]) -> evloop::Result<()> {
        self.0.data_received(data)?;
        if self.0.data().ends_with(b"\r\n\r\n") {
            let t = self.0.transport();
            t.write(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\nhello, curl\n")?;
            t.close();
        }
        Ok(())
    }
    fn eof_received(&self) -> evloop::Result<bool> {
        self.0.eof_received()
    }
    fn connection_lost(&self, exc: Option<Error>) -> evloop::Result<()> {
        self.0.connection_lost(exc)
    }
}

/// Runs the loop until `child` exits; returns its stdout and success.
fn run_until_exit(lp: &EventLoop, mut child: Child) -> (String, bool) {
    let mut stdout = child.0.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let mut status = None;
    run_until(lp, "the child exits", || {
        status = child.0.try_wait().unwrap();
        status.is_some()
    });
    (reader.join().unwrap(), status.unwrap().success())
}

fn s_client(port: u16, args: &[&str]) -> Child {
    let port = format!("127.0.0.1:{port}");
    Child(
        Command::new("openssl")
            .args(["s_client", "-connect", &port, "-servername", "localhost", "-verify_return_error", "-quiet"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_client"),
    )
}

on_every_selector! {
    fn to_s_server_tls13_and_tls12(lp: EventLoop) {
        let certs = Certs::new();
        for (flag, version) in [("-tls1_3", "TLSv1.3"), ("-tls1_2", "TLSv1.2")] {
            let (_server, port) = s_server(&certs, &["-rev", "-naccept", "1", flag]);
            let (t, client) = connect(&lp, port, certs.client()).unwrap();
            let Some(ExtraInfo::SslObject(o)) = t.get_extra_info("ssl_object") else { panic!("ssl_object") };
            assert_eq!(o.version(), Some(version));
            t.write(b"hello openssl\n").unwrap();
            run_until(&lp, "the reversed line", || client.data() == b"lssnepo olleh\n");
            t.close();
            run_until(&lp, "lost", || client.lost());
            assert_eq!(client.events().last(), Some(&Ev::Lost(None)), "{version}");
        }
    }

    fn client_certificate_to_s_server(lp: EventLoop) {
        let certs = Certs::new();
        let (_server, port) = s_server(&certs, &["-rev", "-naccept", "1", "-Verify", "1", "-CAfile", &certs.ca]);
        let ctx = certs.client();
        ctx.load_cert_chain(&certs.client_cert, Some(&certs.client_key)).unwrap();
        let (t, client) = connect(&lp, port, ctx).unwrap();
        t.write(b"abc\n").unwrap();
        run_until(&lp, "the reversed line", || client.data() == b"cba\n");
        t.close();
        run_until(&lp, "lost", || client.lost());
    }

    fn s_server_not_trusted(lp: EventLoop) {
        let certs = Certs::new();
        let strangers = Certs::new();
        let (_server, port) = s_server(&certs, &["-naccept", "1"]);
        let e = connect(&lp, port, strangers.client()).err().unwrap();
        assert_eq!(e.name(), "SSLCertVerificationError");
    }

    fn s_client_to_our_server(lp: EventLoop) {
        let certs = Certs::new();
        let made = Made::default();
        let ctx = certs.server();
        ctx.set_alpn_protocols(&["h2", "http/1.1"]).unwrap();
        let opts = ServerOptions { tls: TlsOptions { ssl: Some(ctx), ..Default::default() }, ..Default::default() };
        let (_srv, addr) = serve_with(&lp, &made, || Recorder { echo: true, ..Default::default() }, opts);
        let mut child = s_client(addr.port(), &["-CAfile", &certs.ca, "-alpn", "http/1.1"]);
        child.0.stdin.as_mut().unwrap().write_all(b"ping\n").unwrap();
        run_until(&lp, "the server got the line", || made.len() == 1 && made.get(0).data() == b"ping\n");
        let server_t = made.get(0).transport();
        let Some(ExtraInfo::SslObject(o)) = server_t.get_extra_info("ssl_object") else { panic!("ssl_object") };
        assert_eq!(o.selected_alpn_protocol().as_deref(), Some("http/1.1"));
        assert_eq!(o.version(), Some("TLSv1.3"));
        // Our close: close_notify, to which s_client answers and exits.
        server_t.close();
        let (out, _) = run_until_exit(&lp, child);
        assert_eq!(out, "ping\n");
        run_until(&lp, "server lost", || made.get(0).lost());
        assert_eq!(made.get(0).events().last(), Some(&Ev::Lost(None)));
    }

    fn s_client_tls12_with_a_client_certificate(lp: EventLoop) {
        let certs = Certs::new();
        let made = Made::default();
        let ctx = certs.server();
        ctx.set_verify_mode(VerifyMode::Required).unwrap();
        ctx.load_verify_locations(Some(&certs.ca), None, None).unwrap();
        ctx.set_maximum_version(TlsVersion::Tls12);
        let opts = ServerOptions { tls: TlsOptions { ssl: Some(ctx), ..Default::default() }, ..Default::default() };
        let (_srv, addr) = serve_with(&lp, &made, || Recorder { echo: true, ..Default::default() }, opts);
        let mut child = s_client(addr.port(), &["-CAfile", &certs.ca, "-cert", &certs.client_cert, "-key", &certs.client_key]);
        child.0.stdin.as_mut().unwrap().write_all(b"mutual\n").unwrap();
        run_until(&lp, "the server got the line", || made.len() == 1 && made.get(0).data() == b"mutual\n");
        let server_t = made.get(0).transport();
        let Some(ExtraInfo::PeerCert(Some(cert))) = server_t.get_extra_info("peercert") else { panic!("peercert") };
        let fields = cert.fields.unwrap();
        assert!(fields.subject.iter().flatten().any(|(k, v)| k == "commonName" && v == "evloop client"));
        let Some(ExtraInfo::Cipher(Some(cipher))) = server_t.get_extra_info("cipher") else { panic!("cipher") };
        assert_eq!(cipher.protocol, "TLSv1.2");
        server_t.close();
        let (out, _) = run_until_exit(&lp, child);
        assert_eq!(out, "mutual\n");

        // Without a certificate the handshake fails: the server's protocol
        // never hears of the connection.
        let child = s_client(addr.port(), &["-CAfile", &certs.ca]);
        let (_, ok) = run_until_exit(&lp, child);
        assert!(!ok, "s_client must fail without a client certificate");
        iterate(&lp, 3);
        assert_eq!(made.len(), 2);
        assert!(made.get(1).events().is_empty());
    }

    fn s_client_does_not_trust_us(lp: EventLoop) {
        let certs = Certs::new();
        let strangers = Certs::new();
        let made = Made::default();
        let opts = ServerOptions { tls: TlsOptions { ssl: Some(certs.server()), ..Default::default() }, ..Default::default() };
        let (_srv, addr) = serve_with(&lp, &made, Recorder::default, opts);
        let child = s_client(addr.port(), &["-CAfile", &strangers.ca]);
        let (_, ok) = run_until_exit(&lp, child);
        assert!(!ok);
        iterate(&lp, 3);
        assert!(made.0.borrow().iter().all(|p| p.events().is_empty()));
    }

    fn s_client_resumes_a_tls12_session(lp: EventLoop) {
        // A server context's connections share one session cache: s_client's
        // five reconnections resume the first connection's session.
        let certs = Certs::new();
        let made = Made::default();
        let opts = ServerOptions { tls: TlsOptions { ssl: Some(certs.server()), ..Default::default() }, ..Default::default() };
        let (_srv, addr) = serve_with(&lp, &made, Recorder::default, opts);
        let port = format!("127.0.0.1:{}", addr.port());
        let child = Child(
            Command::new("openssl")
                .args(["s_client", "-connect", &port, "-servername", "localhost", "-CAfile", &certs.ca, "-tls1_2", "-reconnect"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("openssl s_client"),
        );
        let (out, _) = run_until_exit(&lp, child);
        let reused = out.lines().filter(|l| l.starts_with("Reused, TLSv1.2")).count();
        assert_eq!(reused, 5, "{out}");
    }

    fn curl_gets_a_page(lp: EventLoop) {
        let certs = Certs::new();
        let made: Rc<std::cell::RefCell<Vec<Rc<Recorder>>>> = Rc::default();
        let m = made.clone();
        let ctx = certs.server();
        ctx.set_alpn_protocols(&["http/1.1"]).unwrap();
        let opts = ServerOptions { tls: TlsOptions { ssl: Some(ctx), ..Default::default() }, ..Default::default() };
        let fut = lp.create_server(
            move || {
                let r = Rc::new(Recorder::default());
                m.borrow_mut().push(r.clone());
                Rc::new(Http(r)) as Rc<dyn Protocol>
            },
            Some("127.0.0.1".into()),
            Some(0),
            opts,
        );
        let server = block_on(&lp, fut).unwrap();
        let port = inet(&server.sockets()[0].getsockname().unwrap()).port();
        let resolve = format!("localhost:{port}:127.0.0.1");
        let url = format!("https://localhost:{port}/");
        let child = Child(
            Command::new("curl")
                .args(["-sS", "--http1.1", "--cacert", &certs.ca, "--resolve", &resolve, &url])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("curl"),
        );
        let (out, ok) = run_until_exit(&lp, child);
        assert!(ok);
        assert_eq!(out, "hello, curl\n");
        let request = String::from_utf8(made.borrow()[0].data()).unwrap();
        assert!(request.starts_with("GET / HTTP/1.1\r\nHost: localhost:"), "{request}");
        run_until(&lp, "lost", || made.borrow()[0].lost());
    }
}
