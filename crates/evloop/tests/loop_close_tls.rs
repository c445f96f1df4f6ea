//! A loop closed while TLS connections are open releases their TLS layers
//! too. The layer and the transport the application sees hold each other
//! (that transport's socket and I/O are the layer), and the application's
//! protocol holds its transport: once the socket transport forgets the
//! layer at `close()`, the layer must let go of the application's side, or
//! the whole connection (and its loop) stays alive for good. Counted with
//! `evloop::live_objects()` and the sockets and other I/O fds the process holds (files
//! are the resolver's and the TLS library's): one test in its own binary, because
//! fds are counted per process. One connection is past its handshake on
//! both ends, with data unsent; one is still in its handshake (a TCP
//! client that never speaks).

mod util;

use std::rc::Rc;

use evloop::tls::TlsOptions;
use evloop::{live_objects, ConnectionOptions, EventLoop, Protocol, SelectorKind, ServerOptions};
use util::net::*;
use util::tls::Certs;

fn kinds() -> Vec<fn() -> EventLoop> {
    vec![
        || EventLoop::with_selector(SelectorKind::Epoll).unwrap(),
        || EventLoop::with_selector(SelectorKind::Poll).unwrap(),
        || EventLoop::with_selector(SelectorKind::Select).unwrap(),
        #[cfg(target_os = "linux")]
        || EventLoop::proactor().unwrap(),
    ]
}

#[test]
fn close_releases_the_tls_layers_of_open_connections() {
    let certs = Certs::new();
    // Once unmeasured first: what a process opens on its first use stays
    // open (under AddressSanitizer, one fd more after the first TLS
    // connections).
    close_with_tls_connections(&certs, kinds()[0], false);
    for make in kinds() {
        close_with_tls_connections(&certs, make, true);
    }
}

/// The fds this process holds that a loop or a connection could: sockets,
/// eventfds, epoll and io_uring instances, pipes, by fd number. Files are
/// left out: the resolver and the TLS library open configuration files and
/// libraries on their own schedule, which is not the loop's to close.
fn io_fds() -> std::collections::BTreeMap<i32, String> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let fd = e.file_name().to_str()?.parse().ok()?;
            let link = std::fs::read_link(e.path()).ok()?.to_string_lossy().into_owned();
            (link.starts_with("socket:") || link.starts_with("anon_inode:") || link.starts_with("pipe:")).then_some((fd, link))
        })
        .collect()
}

/// What `after` holds that `before` did not, and what it lost.
fn fd_changes(before: &std::collections::BTreeMap<i32, String>, after: &std::collections::BTreeMap<i32, String>) -> String {
    let added: Vec<_> = after.iter().filter(|(fd, l)| before.get(fd) != Some(l)).collect();
    let gone: Vec<_> = before.iter().filter(|(fd, l)| after.get(fd) != Some(l)).collect();
    format!("opened {added:?}, closed {gone:?}")
}

fn close_with_tls_connections(certs: &Certs, make: fn() -> EventLoop, check: bool) {
    let before_fds = io_fds();
    let before = live_objects();
    let lp = make();
    let name = format!("{lp:?}");
    let silent = {
        let made = Made::default();
        let opts = ServerOptions { tls: TlsOptions { ssl: Some(certs.server()), ..Default::default() }, ..Default::default() };
        let (server, addr) = serve_with(&lp, &made, Recorder::default, opts);
        let client = Rc::new(Recorder::default());
        let c2 = client.clone();
        let conn = ConnectionOptions { tls: TlsOptions { ssl: Some(certs.client()), ..Default::default() }, ..Default::default() };
        let fut = lp.create_connection(move || c2 as Rc<dyn Protocol>, Some("localhost".into()), Some(addr.port()), conn);
        let (transport, _) = block_on(&lp, fut).unwrap();
        made.wait_connected(&lp, 1, "the server's TLS connection");
        transport.write(b"unsent at close").unwrap();
        // A third connection stays in its handshake: a TCP client that never speaks.
        let silent = std::net::TcpStream::connect(addr).unwrap();
        // Both ends' socket and TLS transports, and the silent one's socket transport.
        run_until(&lp, "the silent connection accepted", || live_objects().transports >= before.transports + 5);

        lp.close().unwrap();

        assert!(transport.is_closing() && made.get(0).transport().is_closing(), "{name}");
        assert!(!client.lost() && !made.get(0).lost(), "{name}: no connection_lost on a closed loop");
        let now = io_fds();
        let changes = fd_changes(&before_fds, &now);
        assert!(
            !check || (now.len() == before_fds.len() + 1 && now.values().filter(|l| l.starts_with("socket:")).count() == before_fds.values().filter(|l| l.starts_with("socket:")).count() + 1),
            "{name}: every socket of the loop closed (the silent client's is ours): {changes}"
        );
        drop((server, made, client, transport));
        silent
    };
    drop(lp);
    assert_eq!(live_objects(), before, "{name}: no transport, server, future or loop kept alive by a TLS layer");
    drop(silent);
    let now = io_fds();
    assert!(!check || now == before_fds, "{name}: {}", fd_changes(&before_fds, &now));
}
