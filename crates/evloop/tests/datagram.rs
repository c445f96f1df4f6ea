//! Datagram endpoints on every loop: echo against the standard library's
//! UDP sockets, ICMP errors on a connected endpoint, the broadcast option,
//! asyncio's argument checks, and send buffer accounting (a Unix datagram
//! peer that does not read makes sends block).

mod util;

use std::cell::{Cell, RefCell};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, IntoRawFd};
use std::os::unix::net::UnixDatagram;
use std::rc::Rc;

use evloop::{
    Address, DatagramOptions, DatagramProtocol, DatagramTransport, EndpointAddr, Error, EventLoop, ExtraInfo,
};
use util::net::{block_on, run_until};

/// What a recording protocol saw.
#[derive(Clone, Debug, PartialEq)]
enum Ev {
    Made,
    Datagram(Vec<u8>, Option<Address>),
    Error(String, Option<i32>),
    Pause,
    Resume,
    Lost(Option<String>),
}

#[derive(Default)]
struct Recorder {
    events: RefCell<Vec<Ev>>,
    transport: RefCell<Option<DatagramTransport>>,
    /// Send every datagram back to its sender.
    echo: Cell<bool>,
}

impl Recorder {
    fn events(&self) -> Vec<Ev> {
        self.events.borrow().clone()
    }
    fn datagrams(&self) -> Vec<(Vec<u8>, Option<Address>)> {
        self.events()
            .into_iter()
            .filter_map(|e| if let Ev::Datagram(d, a) = e { Some((d, a)) } else { None })
            .collect()
    }
    fn has(&self, f: impl Fn(&Ev) -> bool) -> bool {
        self.events.borrow().iter().any(f)
    }
}

impl DatagramProtocol for Recorder {
    fn connection_made(&self, t: &DatagramTransport) -> evloop::Result<()> {
        *self.transport.borrow_mut() = Some(t.clone());
        self.events.borrow_mut().push(Ev::Made);
        Ok(())
    }
    fn datagram_received(&self, data: &[u8], addr: Option<Address>) -> evloop::Result<()> {
        self.events.borrow_mut().push(Ev::Datagram(data.to_vec(), addr.clone()));
        if self.echo.get() {
            let t = self.transport.borrow().clone().unwrap();
            t.sendto(data, addr.as_ref())?;
        }
        Ok(())
    }
    fn error_received(&self, exc: Error) -> evloop::Result<()> {
        self.events.borrow_mut().push(Ev::Error(exc.name().to_string(), exc.errno()));
        Ok(())
    }
    fn connection_lost(&self, exc: Option<Error>) -> evloop::Result<()> {
        self.events.borrow_mut().push(Ev::Lost(exc.map(|e| e.to_string())));
        Ok(())
    }
    fn pause_writing(&self) -> evloop::Result<()> {
        self.events.borrow_mut().push(Ev::Pause);
        Ok(())
    }
    fn resume_writing(&self) -> evloop::Result<()> {
        self.events.borrow_mut().push(Ev::Resume);
        Ok(())
    }
}

fn endpoint(lp: &EventLoop, opts: DatagramOptions) -> evloop::Result<(DatagramTransport, Rc<Recorder>)> {
    block_on(lp, lp.create_datagram_endpoint_with(|| Ok(Rc::new(Recorder::default())), opts))
}

fn local(host: &str, port: u16) -> DatagramOptions {
    DatagramOptions { local_addr: Some(EndpointAddr::Host(host.into(), port)), ..Default::default() }
}

fn remote(addr: SocketAddr) -> DatagramOptions {
    DatagramOptions { remote_addr: Some(EndpointAddr::Host(addr.ip().to_string(), addr.port())), ..Default::default() }
}

fn sockname(t: &DatagramTransport) -> SocketAddr {
    match t.sockname() {
        Some(Address::Inet(a)) => a,
        other => panic!("not an IP address: {other:?}"),
    }
}

fn socket_of(t: &DatagramTransport) -> evloop::TransportSocket {
    match t.get_extra_info("socket") {
        Some(ExtraInfo::Socket(s)) => s,
        _ => panic!("no socket"),
    }
}

fn close_and_wait(lp: &EventLoop, t: &DatagramTransport, p: &Recorder) {
    t.close();
    run_until(lp, "connection_lost", || p.has(|e| matches!(e, Ev::Lost(_))));
}

on_every_selector! {
    fn echo_between_two_endpoints_and_a_std_peer(lp: EventLoop) {
        let (server, sp) = endpoint(&lp, local("127.0.0.1", 0)).unwrap();
        sp.echo.set(true);
        let server_addr = sockname(&server);
        let (client, cp) = endpoint(&lp, remote(server_addr)).unwrap();
        assert_eq!(client.peername(), Some(Address::Inet(server_addr)));
        client.sendto(b"hello", None).unwrap();
        client.sendto(b"", None).unwrap();
        client.sendto(&vec![7u8; 60_000], Some(&Address::Inet(server_addr))).unwrap();
        run_until(&lp, "three echoes", || cp.datagrams().len() == 3);
        let got = cp.datagrams();
        let from = Some(Address::Inet(server_addr));
        assert_eq!(got[0], (b"hello".to_vec(), from.clone()));
        assert_eq!(got[1], (Vec::new(), from.clone()), "empty datagrams are datagrams");
        assert_eq!(got[2], (vec![7u8; 60_000], from));
        // The server saw the client's address.
        assert_eq!(sp.datagrams()[0].1, Some(Address::Inet(sockname(&client))));

        // A peer no one here wrote.
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.send_to(b"from std", server_addr).unwrap();
        run_until(&lp, "the std datagram", || sp.datagrams().len() == 4);
        let mut buf = [0u8; 64];
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"from std"[..], server_addr));
        assert_eq!(sp.datagrams()[3].1, Some(Address::Inet(peer.local_addr().unwrap())));

        assert_eq!(cp.events()[0], Ev::Made);
        close_and_wait(&lp, &client, &cp);
        close_and_wait(&lp, &server, &sp);
        assert_eq!(cp.events().last(), Some(&Ev::Lost(None)));
        assert!(client.is_closing());
        // Sends after the endpoint is gone are dropped.
        client.sendto(b"late", None).unwrap();
    }

    fn connected_endpoint_to_a_closed_port_gets_connection_refused(lp: EventLoop) {
        let closed = {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.local_addr().unwrap()
        };
        let (t, p) = endpoint(&lp, remote(closed)).unwrap();
        t.sendto(b"anyone?", None).unwrap();
        run_until(&lp, "error_received", || p.has(|e| matches!(e, Ev::Error(..))));
        let err = p.events().into_iter().find(|e| matches!(e, Ev::Error(..))).unwrap();
        assert_eq!(err, Ev::Error("ConnectionRefusedError".into(), Some(libc::ECONNREFUSED)));
        assert!(!t.is_closing(), "an ICMP error does not close the endpoint");
        close_and_wait(&lp, &t, &p);
    }

    fn broadcast_option(lp: EventLoop) {
        let (t, p) = endpoint(&lp, DatagramOptions { allow_broadcast: true, ..local("127.0.0.1", 0) }).unwrap();
        assert_eq!(socket_of(&t).getsockopt(libc::SOL_SOCKET, libc::SO_BROADCAST).unwrap(), 1);
        close_and_wait(&lp, &t, &p);
        let (t, p) = endpoint(&lp, local("127.0.0.1", 0)).unwrap();
        assert_eq!(socket_of(&t).getsockopt(libc::SOL_SOCKET, libc::SO_BROADCAST).unwrap(), 0);
        close_and_wait(&lp, &t, &p);

        // With allow_broadcast, remote_addr is the default destination of
        // an unconnected socket (a connected one could not broadcast).
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        let opts = DatagramOptions { allow_broadcast: true, ..remote(peer.local_addr().unwrap()) };
        let (t, p) = endpoint(&lp, opts).unwrap();
        assert_eq!(t.peername(), None);
        t.sendto(b"default destination", None).unwrap();
        let mut buf = [0u8; 64];
        let (n, _) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"default destination");
        let other = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let e = t.sendto(b"x", Some(&Address::Inet(other))).unwrap_err();
        assert_eq!(e.to_string(), format!("ValueError: Invalid address: must be None or {}", Address::Inet(peer.local_addr().unwrap())));
        close_and_wait(&lp, &t, &p);
    }

    fn bad_arguments(lp: EventLoop) {
        let e = endpoint(&lp, DatagramOptions::default()).err().unwrap();
        assert_eq!(e.to_string(), "ValueError: unexpected address family");

        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let opts = DatagramOptions { sock: Some(s.as_raw_fd()), reuse_port: true, ..local("127.0.0.1", 0) };
        let e = endpoint(&lp, opts).err().unwrap();
        assert_eq!(
            e.to_string(),
            "ValueError: socket modifier keyword arguments can not be used when sock is specified. \
             (local_addr=('127.0.0.1', 0), reuse_port=True)"
        );

        let stream = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let e = endpoint(&lp, DatagramOptions { sock: Some(stream.as_raw_fd()), ..Default::default() }).err().unwrap();
        assert!(e.to_string().starts_with("ValueError: A datagram socket was expected, got <socket.socket"), "{e}");

        let e = endpoint(&lp, DatagramOptions { family: evloop::net::AF_UNIX, ..local("127.0.0.1", 0) }).err().unwrap();
        assert_eq!(e.to_string(), "TypeError: string is expected");
        let opts = DatagramOptions { local_addr: Some(EndpointAddr::Path("/tmp/x".into())), ..Default::default() };
        assert_eq!(endpoint(&lp, opts).err().unwrap().to_string(), "TypeError: 2-tuple is expected");

        let taken = s.local_addr().unwrap();
        let e = endpoint(&lp, local("127.0.0.1", taken.port())).err().unwrap();
        assert_eq!((e.name(), e.code()), ("OSError", Some("EADDRINUSE")));

        let e = endpoint(&lp, local("no.such.host.invalid", 0)).err().unwrap();
        assert_eq!(e.name(), "gaierror");

        // Connected: another destination is refused.
        let (t, p) = endpoint(&lp, remote(taken)).unwrap();
        let e = t.sendto(b"x", Some(&Address::Inet("127.0.0.1:1".parse().unwrap()))).unwrap_err();
        assert_eq!(e.to_string(), format!("ValueError: Invalid address: must be None or {}", Address::Inet(taken)));
        t.sendto(b"same", Some(&Address::Inet(taken))).unwrap();
        // Too big for UDP: the OS error goes to error_received, synchronously.
        t.sendto(&vec![0u8; 70_000], None).unwrap();
        assert_eq!(p.events().last(), Some(&Ev::Error("OSError".into(), Some(libc::EMSGSIZE))));
        let mut buf = [0u8; 16];
        assert_eq!(s.recv(&mut buf).unwrap(), 4);
        assert_eq!(t.set_write_buffer_limits(Some(1), Some(2)).unwrap_err().to_string(), "ValueError: high (1) must be >= low (2) must be >= 0");
        close_and_wait(&lp, &t, &p);
    }

    fn a_callers_socket_is_adopted(lp: EventLoop) {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = s.local_addr().unwrap();
        let (t, p) = endpoint(&lp, DatagramOptions { sock: Some(s.into_raw_fd()), ..Default::default() }).unwrap();
        assert_eq!(sockname(&t), addr);
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.send_to(b"to the adopted socket", addr).unwrap();
        run_until(&lp, "datagram", || p.datagrams().len() == 1);
        close_and_wait(&lp, &t, &p);
    }

    fn send_buffer_accounting_and_flow_control(lp: EventLoop) {
        let dir = std::env::temp_dir().join(format!("evloop-dgram-{}-{}", std::process::id(), lp.id()));
        std::fs::create_dir_all(&dir).unwrap();
        let peer_path = dir.join("peer.sock");
        let peer = UnixDatagram::bind(&peer_path).unwrap();
        let opts = DatagramOptions {
            family: evloop::net::AF_UNIX,
            remote_addr: Some(EndpointAddr::Path(peer_path.to_string_lossy().into_owned())),
            ..Default::default()
        };
        let (t, p) = endpoint(&lp, opts).unwrap();
        // The peer does not read: its queue fills, and sends would block.
        let mut sent = 0u32;
        while t.get_write_buffer_size() == 0 {
            t.sendto(&[sent as u8; 100], None).unwrap();
            sent += 1;
            assert!(sent < 100_000, "sends never blocked");
        }
        // The datagram that would block is buffered (or in flight): its
        // bytes and asyncio's 8 bytes of overhead per datagram.
        assert_eq!(t.get_write_buffer_size(), 108);
        t.sendto(b"", None).unwrap();
        assert_eq!(t.get_write_buffer_size(), 116, "an empty datagram counts its overhead");
        t.sendto(&[1u8; 50], None).unwrap();
        assert_eq!(t.get_write_buffer_size(), 174);
        assert!(!p.has(|e| *e == Ev::Pause));
        t.set_write_buffer_limits(Some(150), None).unwrap();
        assert_eq!(t.get_write_buffer_limits(), (37, 150));
        assert!(p.has(|e| *e == Ev::Pause), "over the high-water mark: paused");
        // close() waits for the buffered datagrams.
        t.close();
        assert!(!p.has(|e| matches!(e, Ev::Lost(_))));

        peer.set_nonblocking(true).unwrap();
        let mut got: Vec<Vec<u8>> = Vec::new();
        let mut buf = vec![0u8; 256];
        run_until(&lp, "every datagram", || {
            while let Ok(n) = peer.recv(&mut buf) {
                got.push(buf[..n].to_vec());
            }
            p.has(|e| matches!(e, Ev::Lost(_))) && got.len() as u32 == sent + 2
        });
        assert!(p.has(|e| *e == Ev::Resume), "drained: resumed");
        for (i, d) in got.iter().take(sent as usize).enumerate() {
            assert_eq!(d, &vec![i as u8; 100], "datagram {i} in order");
        }
        assert_eq!(got[sent as usize], Vec::<u8>::new());
        assert_eq!(got[sent as usize + 1], vec![1u8; 50]);
        assert_eq!(p.events().last(), Some(&Ev::Lost(None)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn abort_drops_the_buffer(lp: EventLoop) {
        let (a, b) = UnixDatagram::pair().unwrap();
        let (t, p) = endpoint(&lp, DatagramOptions { sock: Some(a.into_raw_fd()), ..Default::default() }).unwrap();
        let mut sent = 0;
        while t.get_write_buffer_size() == 0 {
            t.sendto(b"x", None).unwrap();
            sent += 1;
        }
        t.abort();
        assert_eq!(t.get_write_buffer_size(), 0);
        run_until(&lp, "lost", || p.has(|e| matches!(e, Ev::Lost(_))));
        b.set_nonblocking(true).unwrap();
        let mut n = 0;
        let mut buf = [0u8; 8];
        while b.recv(&mut buf).is_ok() {
            n += 1;
        }
        assert!(n < sent, "the buffered datagram was dropped");
        // A datagram from an unnamed Unix socket has no sender address.
        drop(b);
    }
}

#[test]
fn datagrams_from_an_unbound_unix_socket_have_no_address() {
    let lp = EventLoop::new().unwrap();
    let (a, b) = UnixDatagram::pair().unwrap();
    let (t, p) = endpoint(&lp, DatagramOptions { sock: Some(a.into_raw_fd()), ..Default::default() }).unwrap();
    b.send(b"anonymous").unwrap();
    run_until(&lp, "datagram", || p.datagrams().len() == 1);
    let (data, addr) = p.datagrams().remove(0);
    assert_eq!(data, b"anonymous");
    assert!(matches!(addr, None | Some(Address::Unix(_))), "{addr:?}");
    close_and_wait(&lp, &t, &p);
}

#[test]
fn the_repr_names_the_class_and_states() {
    let lp = EventLoop::new().unwrap();
    let (t, p) = endpoint(&lp, local("127.0.0.1", 0)).unwrap();
    let repr = format!("{t:?}");
    assert!(repr.starts_with("<_SelectorDatagramTransport fd="), "{repr}");
    assert!(repr.ends_with("read=polling write=<idle, bufsize=0>>"), "{repr}");
    // The loop's own fd: add_reader refuses it while the endpoint is open.
    let fd = socket_of(&t).fileno();
    let e = lp.add_reader(fd, || ()).unwrap_err();
    assert_eq!(e.to_string(), format!("RuntimeError: File descriptor {fd} is used by transport {repr}"));
    close_and_wait(&lp, &t, &p);
    assert_eq!(format!("{t:?}"), "<_SelectorDatagramTransport closed>");
}
