//! TLS handshakes in a row leave no fd behind, on the selectors and the
//! proactor. One test in its own binary, because fds are counted per process.

mod util;

use std::rc::Rc;

use evloop::tls::TlsOptions;
use evloop::{ConnectionOptions, EventLoop, Protocol, SelectorKind, ServerOptions};
use util::net::*;
use util::tls::Certs;

#[test]
fn handshakes_in_a_row_keep_fds_flat() {
    let certs = Certs::new();
    let before = open_fds();
    let loops = [EventLoop::with_selector(SelectorKind::Epoll), EventLoop::with_selector(SelectorKind::Poll), EventLoop::proactor()];
    for lp in loops {
        let lp = lp.unwrap();
        let made = Made::default();
        let opts = ServerOptions { tls: TlsOptions { ssl: Some(certs.server()), ..Default::default() }, ..Default::default() };
        let (server, addr) = serve_with(&lp, &made, || Recorder { echo: true, ..Default::default() }, opts);
        let ctx = certs.client();
        for i in 0..200 {
            let tls = TlsOptions { ssl: Some(ctx.clone()), server_hostname: Some("localhost".into()), ..Default::default() };
            let client = Rc::new(Recorder::default());
            let c = client.clone();
            let fut = lp.create_connection(move || c as Rc<dyn Protocol>, Some("127.0.0.1".into()), Some(addr.port()), ConnectionOptions { tls, ..Default::default() });
            let (t, _) = block_on(&lp, async move { fut.await.map_err(|e| e.to_string()) }).unwrap();
            t.write(b"x").unwrap();
            run_until(&lp, "echo", || client.data() == b"x");
            t.close();
            run_until(&lp, "both lost", || client.lost() && made.get(i).lost());
        }
        assert_eq!(server.client_count(), 0);
        let closed = server.close_and_wait();
        lp.run_until_complete(&closed).unwrap();
        lp.close().unwrap();
    }
    assert_eq!(open_fds(), before);
}
