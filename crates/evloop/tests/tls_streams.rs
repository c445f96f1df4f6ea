//! TLS through the stream functions and `start_tls`, and TLS flow control,
//! on every selector and the proactor.

mod util;

use std::cell::RefCell;
use std::rc::Rc;

use evloop::tls::{StartTlsOptions, TlsOptions};
use evloop::{ConnectionOptions, ExtraInfo, Protocol, ServerOptions, StreamOptions, StreamReader, StreamWriter, UnixServerOptions};
use util::net::*;
use util::tls::Certs;

fn received(r: &Recorder) -> usize {
    r.events.borrow().iter().map(|e| if let Ev::Data(d) = e { d.len() } else { 0 }).sum()
}

fn server_tls(certs: &Certs) -> TlsOptions {
    TlsOptions { ssl: Some(certs.server()), ..Default::default() }
}

on_every_selector! {
    fn open_connection_and_start_server(lp: EventLoop) {
        let certs = Certs::new();
        let opts = StreamOptions::new(ServerOptions { tls: server_tls(&certs), ..Default::default() });
        let server = block_on(&lp, lp.start_server(
            |r: StreamReader, w: StreamWriter| async move {
                let line = r.readline().await.unwrap();
                w.write(&line.to_ascii_uppercase()).unwrap();
                w.drain().await.unwrap();
                w.close();
            },
            Some("127.0.0.1".into()),
            Some(0),
            opts,
        )).unwrap();
        let port = inet(&server.sockets()[0].getsockname().unwrap()).port();
        let tls = TlsOptions { ssl: Some(certs.client()), server_hostname: Some("localhost".into()), ..Default::default() };
        let lp2 = lp.clone();
        let got = block_on(&lp, async move {
            let opts = StreamOptions::new(ConnectionOptions { tls, ..Default::default() });
            let (r, w) = lp2.open_connection(Some("127.0.0.1".into()), Some(port), opts).await.unwrap();
            assert!(matches!(w.get_extra_info("ssl_object"), Some(ExtraInfo::SslObject(_))));
            w.write(b"hello tls\n").unwrap();
            let echoed = r.read(-1).await.unwrap();
            w.close();
            w.wait_closed().await.unwrap();
            echoed
        });
        assert_eq!(got, b"HELLO TLS\n");
        server.close();
        block_on(&lp, server.wait_closed()).unwrap();
    }

    fn starttls_on_a_stream(lp: EventLoop) {
        // A STARTTLS exchange: plain text first, then both sides upgrade.
        let certs = Certs::new();
        let server_ctx = certs.server();
        let server = block_on(&lp, lp.start_server(
            move |r: StreamReader, w: StreamWriter| {
                let ctx = server_ctx.clone();
                async move {
                    assert_eq!(r.readline().await.unwrap(), b"STARTTLS\n");
                    w.write(b"GO\n").unwrap();
                    w.start_tls(&ctx, StartTlsOptions::default()).await.unwrap();
                    assert!(matches!(w.get_extra_info("cipher"), Some(ExtraInfo::Cipher(Some(_)))));
                    let line = r.readline().await.unwrap();
                    w.write(&[b"secret: ".as_slice(), &line].concat()).unwrap();
                    w.drain().await.unwrap();
                }
            },
            Some("127.0.0.1".into()),
            Some(0),
            StreamOptions::default(),
        )).unwrap();
        let port = inet(&server.sockets()[0].getsockname().unwrap()).port();
        let lp2 = lp.clone();
        let client_ctx = certs.client();
        let got = block_on(&lp, async move {
            let (r, w) = lp2.open_connection(Some("127.0.0.1".into()), Some(port), StreamOptions::default()).await.unwrap();
            assert!(w.can_write_eof());
            w.write(b"STARTTLS\n").unwrap();
            assert_eq!(r.readline().await.unwrap(), b"GO\n");
            let opts = StartTlsOptions { server_hostname: Some("localhost".into()), ..Default::default() };
            w.start_tls(&client_ctx, opts).await.unwrap();
            assert!(!w.can_write_eof());
            w.write(b"swordfish\n").unwrap();
            let line = r.readline().await.unwrap();
            w.close();
            line
        });
        assert_eq!(got, b"secret: swordfish\n");
        server.close();
    }

    fn loop_start_tls_keeps_connection_made_once(lp: EventLoop) {
        let certs = Certs::new();
        let made = Made::default();
        let (_server, addr) = serve_with(&lp, &made, || Recorder { echo: true, ..Default::default() }, ServerOptions::default());
        let client = Rc::new(Recorder::default());
        let c = client.clone();
        let fut = lp.create_connection(move || c as Rc<dyn Protocol>, Some("127.0.0.1".into()), Some(addr.port()), Default::default());
        let (plain, _) = block_on(&lp, async move { fut.await.map_err(|e| e.to_string()) }).unwrap();
        run_until(&lp, "server made", || made.len() == 1 && made.get(0).events().contains(&Ev::Made));
        // The server side upgrades its end too.
        let server_t = made.get(0).transport();
        let server_p = made.get(0) as Rc<dyn Protocol>;
        let lp2 = lp.clone();
        let ctx = certs.server();
        let upgraded_server: Rc<RefCell<Option<evloop::Transport>>> = Rc::default();
        let slot = upgraded_server.clone();
        lp.create_task(async move {
            let opts = StartTlsOptions { server_side: true, ..Default::default() };
            let t = lp2.start_tls(&server_t, server_p, &ctx, opts).await.unwrap();
            *slot.borrow_mut() = Some(t);
        }).unwrap();
        let opts = StartTlsOptions { server_hostname: Some("localhost".into()), ..Default::default() };
        let fut = lp.start_tls(&plain, client.clone() as Rc<dyn Protocol>, &certs.client(), opts);
        let tls = block_on(&lp, async move { fut.await.map_err(|e| e.to_string()) }).unwrap();
        // The protocol's transport handle is the old one: it swaps itself.
        *client.transport.borrow_mut() = Some(tls.clone());
        run_until(&lp, "server upgraded", || upgraded_server.borrow().is_some());
        *made.get(0).transport.borrow_mut() = upgraded_server.borrow().clone();
        tls.write(b"ping").unwrap();
        run_until(&lp, "echo", || client.data() == b"ping");
        assert_eq!(client.events().iter().filter(|e| **e == Ev::Made).count(), 1);
        // TLS over TLS is refused.
        let again = lp.start_tls(&tls, client.clone() as Rc<dyn Protocol>, &certs.client(), Default::default());
        let e = block_on(&lp, async move { again.await.err().map(|e| e.name()) });
        assert_eq!(e, Some("TypeError"));
        tls.close();
        run_until(&lp, "lost", || client.lost());
    }

    fn flow_control_both_ways(lp: EventLoop) {
        let certs = Certs::new();
        let made = Made::default();
        let opts = ServerOptions { tls: server_tls(&certs), ..Default::default() };
        let (_server, addr) = serve_with(&lp, &made, Recorder::default, opts);
        let client = Rc::new(Recorder::default());
        let c = client.clone();
        let tls = TlsOptions { ssl: Some(certs.client()), server_hostname: Some("localhost".into()), ..Default::default() };
        let fut = lp.create_connection(move || c as Rc<dyn Protocol>, Some("127.0.0.1".into()), Some(addr.port()), ConnectionOptions { tls, ..Default::default() });
        let (t, _) = block_on(&lp, async move { fut.await.map_err(|e| e.to_string()) }).unwrap();
        run_until(&lp, "server made", || made.len() == 1 && made.get(0).events().contains(&Ev::Made));
        let server_t = made.get(0).transport();
        server_t.pause_reading();
        assert_eq!(t.get_write_buffer_limits(), (128 * 1024, 512 * 1024));
        let chunk: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
        let mut sent = 0;
        while !client.events().contains(&Ev::PauseWriting) {
            assert!(sent < 64 * 1024 * 1024, "the writer was never paused");
            t.write(&chunk).unwrap();
            sent += chunk.len();
            iterate(&lp, 1);
        }
        assert!(t.get_write_buffer_size() > 512 * 1024);
        server_t.resume_reading();
        // Lengths only: concatenating megabytes per iteration is slow.
        run_until(&lp, "all delivered", || received(&made.get(0)) == sent);
        assert!(client.events().contains(&Ev::ResumeWriting));
        let data = made.get(0).data();
        assert!(data.chunks(chunk.len()).all(|c| c == chunk.as_slice()));
        t.close();
        run_until(&lp, "lost", || client.lost() && made.get(0).lost());
    }

    fn unix_socket_tls(lp: EventLoop) {
        let certs = Certs::new();
        let path = certs.dir.join("tls.sock").to_string_lossy().into_owned();
        let opts = StreamOptions::new(UnixServerOptions { tls: server_tls(&certs), ..Default::default() });
        let server = block_on(&lp, lp.start_unix_server(
            |r: StreamReader, w: StreamWriter| async move {
                let data = r.read(4).await.unwrap();
                w.write(&data).unwrap();
                w.close();
            },
            Some(path.clone()),
            opts,
        )).unwrap();
        let lp2 = lp.clone();
        let certs_client = certs.client();
        let got = block_on(&lp, async move {
            let no_name = evloop::UnixConnectionOptions {
                tls: TlsOptions { ssl: Some(certs_client.clone()), ..Default::default() },
                ..Default::default()
            };
            let e = lp2.open_unix_connection(Some(path.clone()), StreamOptions::new(no_name)).await.err().unwrap();
            assert_eq!(e.message(), "You must set server_hostname when using ssl without a host");
            let named = evloop::UnixConnectionOptions {
                tls: TlsOptions { ssl: Some(certs_client), server_hostname: Some("localhost".into()), ..Default::default() },
                ..Default::default()
            };
            let (r, w) = lp2.open_unix_connection(Some(path), StreamOptions::new(named)).await.unwrap();
            w.write(b"unix").unwrap();
            let got = r.read(-1).await.unwrap();
            w.close();
            got
        });
        assert_eq!(got, b"unix");
        server.close();
    }
}
