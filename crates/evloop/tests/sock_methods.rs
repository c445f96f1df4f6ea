//! The `sock_*` coroutines, `sock_sendfile`, the transport's `sendfile` and
//! `connect_accepted_socket` on every loop (mio, poll, select, proactor),
//! against the standard library's blocking sockets as peers.

mod util;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::time::Duration;

use evloop::{AcceptedSocketOptions, Address, EndpointAddr, Error};
use util::net::{block_on, run_until, Made, Recorder};

fn listener() -> (TcpListener, std::net::SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}

fn nonblocking_tcp() -> OwnedFd {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.set_nonblocking(true).unwrap();
    s.into()
}

/// A file of `len` bytes whose byte i is `i % 251`.
fn pattern_file(len: usize) -> (std::fs::File, Vec<u8>) {
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let mut f = tempfile_in_tmp();
    f.write_all(&data).unwrap();
    (f, data)
}

fn tempfile_in_tmp() -> std::fs::File {
    let path = std::env::temp_dir().join(format!("evloop-sock-{}-{:?}", std::process::id(), std::thread::current().id()));
    let f = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    f
}

/// Reads everything from `s` until EOF, on a thread.
fn drain(mut s: TcpStream) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        out
    })
}

fn file_pos(f: &std::fs::File) -> i64 {
    // SAFETY: lseek on an open fd.
    unsafe { libc::lseek(f.as_raw_fd(), 0, libc::SEEK_CUR) }
}


on_every_selector! {
    fn accept_recv_sendall_round_trip(lp: EventLoop) {
        let (l, addr) = listener();
        let mut peer = TcpStream::connect(addr).unwrap();
        let lfd = l.as_raw_fd();
        let lp2 = lp.clone();
        let (fd, from) = block_on(&lp, async move {
            let (s, a) = lp2.sock_accept(lfd).await?;
            Ok::<_, Error>((s.into_raw_fd(), a))
        }).unwrap();
        let conn = unsafe { OwnedFd::from_raw_fd(fd) };
        assert_eq!(from, Some(Address::Inet(peer.local_addr().unwrap())));
        // SAFETY: F_GETFL on an open fd: the accepted socket is non-blocking and close-on-exec.
        assert_ne!(unsafe { libc::fcntl(fd, libc::F_GETFL) } & libc::O_NONBLOCK, 0);
        assert_ne!(unsafe { libc::fcntl(fd, libc::F_GETFD) } & libc::FD_CLOEXEC, 0);
        peer.write_all(b"ping").unwrap();
        let lp2 = lp.clone();
        let got = block_on(&lp, async move { lp2.sock_recv(fd, 100).await }).unwrap();
        assert_eq!(got, b"ping");
        // More than the socket buffers hold: sock_sendall waits for the peer to read.
        let big: Vec<u8> = (0..8 << 20).map(|i: usize| (i % 253) as u8).collect();
        let reader = {
            let mut p = peer.try_clone().unwrap();
            let n = big.len();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; n];
                p.read_exact(&mut buf).unwrap();
                buf
            })
        };
        let lp2 = lp.clone();
        let b2 = big.clone();
        block_on(&lp, async move { lp2.sock_sendall(fd, &b2).await }).unwrap();
        assert!(reader.join().unwrap() == big);
        drop(peer);
        let lp2 = lp.clone();
        let mut buf = vec![0u8; 10];
        let eof = block_on(&lp, async move { lp2.sock_recv_into(fd, &mut buf).await }).unwrap();
        assert_eq!(eof, 0);
        drop(conn);
        assert!(lp.wait_fds().iter().all(|(f, _)| *f != fd && *f != lfd));
    }

    fn connect_and_refused(lp: EventLoop) {
        let (l, addr) = listener();
        let s = nonblocking_tcp();
        let fd = s.as_raw_fd();
        let lp2 = lp.clone();
        block_on(&lp, async move { lp2.sock_connect(fd, EndpointAddr::Host("127.0.0.1".into(), addr.port())).await }).unwrap();
        let (mut peer, _) = loop {
            match l.accept() {
                Ok(c) => break c,
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        };
        peer.write_all(b"hi").unwrap();
        let lp2 = lp.clone();
        assert_eq!(block_on(&lp, async move { lp2.sock_recv(fd, 10).await }).unwrap(), b"hi");
        // A closed port.
        drop(l);
        let s2 = nonblocking_tcp();
        let fd2 = s2.as_raw_fd();
        let lp2 = lp.clone();
        let err = block_on(&lp, async move { lp2.sock_connect(fd2, EndpointAddr::Host("127.0.0.1".into(), addr.port())).await }).unwrap_err();
        assert_eq!(err.errno(), Some(libc::ECONNREFUSED));
        assert_eq!(err.message(), format!("[Errno 111] Connect call failed ('127.0.0.1', {})", addr.port()));
    }

    fn bad_sockets(lp: EventLoop) {
        let blocking = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        let fd = blocking.as_raw_fd();
        let lp2 = lp.clone();
        let err = block_on(&lp, async move { lp2.sock_recv(fd, 1).await }).unwrap_err();
        assert!(matches!(&err, Error::Value(m) if m == "the socket must be non-blocking"), "{err:?}");
        // A socket that does not listen: accept's EINVAL.
        let s = nonblocking_tcp();
        let fd = s.as_raw_fd();
        let lp2 = lp.clone();
        let err = block_on(&lp, async move { lp2.sock_accept(fd).await.map(|_| ()) }).unwrap_err();
        assert_eq!(err.errno(), Some(libc::EINVAL));
        // A datagram socket cannot sendfile.
        let u = UdpSocket::bind("127.0.0.1:0").unwrap();
        u.set_nonblocking(true).unwrap();
        let (f, _) = pattern_file(10);
        let (ufd, ffd) = (u.as_raw_fd(), f.as_raw_fd());
        let lp2 = lp.clone();
        let err = block_on(&lp, async move { lp2.sock_sendfile(ufd, ffd, 0, None, true).await }).unwrap_err();
        assert!(matches!(&err, Error::Value(m) if m == "only SOCK_STREAM type sockets are supported"), "{err:?}");
        let lp2 = lp.clone();
        let s = nonblocking_tcp();
        let sfd = s.as_raw_fd();
        let err = block_on(&lp, async move { lp2.sock_sendfile(sfd, ffd, 0, Some(0), true).await }).unwrap_err();
        assert!(matches!(&err, Error::Value(m) if m == "count must be a positive integer (got 0)"), "{err:?}");
    }

    fn cancelled_recv_loses_nothing(lp: EventLoop) {
        let (l, addr) = listener();
        let mut peer = TcpStream::connect(addr).unwrap();
        let (conn, _) = loop {
            match l.accept() {
                Ok(c) => break c,
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        };
        conn.set_nonblocking(true).unwrap();
        let fd = conn.as_raw_fd();
        let lp2 = lp.clone();
        let task = lp.create_task(async move { lp2.sock_recv(fd, 100).await }).unwrap();
        util::run_once(&lp);
        util::run_once(&lp);
        assert!(lp.wait_fds().iter().any(|(f, _)| *f == fd), "the recv waits for the fd");
        task.cancel();
        run_until(&lp, "the cancelled recv ends", || task.done());
        assert!(lp.wait_fds().iter().all(|(f, _)| *f != fd), "cancelling removed the reader");
        peer.write_all(b"kept").unwrap();
        let lp2 = lp.clone();
        assert_eq!(block_on(&lp, async move { lp2.sock_recv(fd, 100).await }).unwrap(), b"kept");
    }

    fn udp_sendto_recvfrom(lp: EventLoop) {
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let ours = UdpSocket::bind("127.0.0.1:0").unwrap();
        ours.set_nonblocking(true).unwrap();
        let (fd, port) = (ours.as_raw_fd(), peer.local_addr().unwrap().port());
        let lp2 = lp.clone();
        let n = block_on(&lp, async move { lp2.sock_sendto(fd, b"datagram", EndpointAddr::Host("127.0.0.1".into(), port)).await }).unwrap();
        assert_eq!(n, 8);
        let mut buf = [0u8; 64];
        let (got, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..got], from), (&b"datagram"[..], ours.local_addr().unwrap()));
        peer.send_to(b"reply", from).unwrap();
        let lp2 = lp.clone();
        let (data, addr) = block_on(&lp, async move { lp2.sock_recvfrom(fd, 64).await }).unwrap();
        assert_eq!((data, addr), (b"reply".to_vec(), Some(Address::Inet(peer.local_addr().unwrap()))));
        peer.send_to(b"second", from).unwrap();
        let lp2 = lp.clone();
        let (n, buf) = block_on(&lp, async move {
            let mut buf = vec![0u8; 16];
            let (n, _) = lp2.sock_recvfrom_into(fd, &mut buf, 3).await?;
            Ok::<_, Error>((n, buf))
        }).unwrap();
        // nbytes cuts the datagram, as recvfrom_into(buf, 3) does.
        assert_eq!(&buf[..n], b"sec");
    }

    fn sock_sendfile_native_offset_and_fallback(lp: EventLoop) {
        let (f, data) = pattern_file(3 << 20);
        let ffd = f.as_raw_fd();
        for (offset, count) in [(0u64, None), (1000, Some(100_000u64)), (5, None)] {
            let (l, addr) = listener();
            let s = nonblocking_tcp();
            let fd = s.as_raw_fd();
            let lp2 = lp.clone();
            block_on(&lp, async move { lp2.sock_connect(fd, EndpointAddr::Host("127.0.0.1".into(), addr.port())).await }).unwrap();
            let peer = loop {
                match l.accept() {
                    Ok((c, _)) => break c,
                    Err(_) => std::thread::sleep(Duration::from_millis(1)),
                }
            };
            peer.set_nonblocking(false).unwrap();
            let reader = drain(peer);
            let lp2 = lp.clone();
            let sent = block_on(&lp, async move { lp2.sock_sendfile(fd, ffd, offset, count, false).await }).unwrap();
            drop(s);
            let end = count.map_or(data.len(), |c| offset as usize + c as usize);
            assert_eq!(sent as usize, end - offset as usize);
            assert!(reader.join().unwrap() == data[offset as usize..end]);
            assert_eq!(file_pos(&f), end as i64, "the file's position follows what was sent");
        }
        // A socket as the file: sendfile(2) cannot read it, so the fallback reads and sends.
        let (mut r, mut w) = std::os::unix::net::UnixStream::pair().unwrap();
        w.write_all(b"through a socket").unwrap();
        drop(w);
        let (l, addr) = listener();
        let s = nonblocking_tcp();
        let fd = s.as_raw_fd();
        let rfd = r.as_raw_fd();
        let lp2 = lp.clone();
        block_on(&lp, async move { lp2.sock_connect(fd, EndpointAddr::Host("127.0.0.1".into(), addr.port())).await }).unwrap();
        let peer = loop {
            match l.accept() {
                Ok((c, _)) => break c,
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        };
        peer.set_nonblocking(false).unwrap();
        let reader = drain(peer);
        let lp2 = lp.clone();
        let err = block_on(&lp, async move { lp2.sock_sendfile(fd, rfd, 0, Some(16), false).await }).unwrap_err();
        assert!(matches!(&err, Error::Runtime(m) if m == "os.sendfile call failed"), "{err:?}");
        let lp2 = lp.clone();
        let sent = block_on(&lp, async move { lp2.sock_sendfile(fd, rfd, 0, Some(16), true).await }).unwrap();
        assert_eq!(sent, 16);
        drop(s);
        assert_eq!(reader.join().unwrap(), b"through a socket");
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    }

    fn transport_sendfile_and_accepted_socket(lp: EventLoop) {
        let (l, addr) = listener();
        let peer = TcpStream::connect(addr).unwrap();
        let lfd = l.as_raw_fd();
        let lp2 = lp.clone();
        let fd = block_on(&lp, async move { Ok::<_, Error>(lp2.sock_accept(lfd).await?.0.into_raw_fd()) }).unwrap();
        let made = Made::default();
        let fut = lp.connect_accepted_socket(made.factory(Recorder::default), fd, AcceptedSocketOptions::default());
        let (transport, _) = block_on(&lp, fut).unwrap();
        let mut p2 = peer.try_clone().unwrap();
        p2.write_all(b"to the transport").unwrap();
        let rec = made.get(0);
        run_until(&lp, "data through the adopted socket", || rec.data().len() == 16);
        assert_eq!(rec.data(), b"to the transport");
        let (f, data) = pattern_file(2 << 20);
        let ffd = f.as_raw_fd();
        transport.write(b"HEAD").unwrap();
        let reader = drain(peer);
        let lp2 = lp.clone();
        let t2 = transport.clone();
        let sent = block_on(&lp, async move { lp2.sendfile(&t2, ffd, 0, None, true).await }).unwrap();
        assert_eq!(sent as usize, data.len());
        assert!(transport.is_reading(), "reading resumes after sendfile");
        transport.write(b"TAIL").unwrap();
        transport.close();
        run_until(&lp, "connection lost", || rec.lost());
        let got = reader.join().unwrap();
        assert_eq!(got.len(), data.len() + 8);
        assert!(&got[..4] == b"HEAD" && got[4..got.len() - 4] == data[..] && &got[got.len() - 4..] == b"TAIL");
        assert_eq!(file_pos(&f), data.len() as i64);
        // A closing transport refuses.
        let lp2 = lp.clone();
        let t2 = transport.clone();
        let err = block_on(&lp, async move { lp2.sendfile(&t2, ffd, 0, None, true).await }).unwrap_err();
        assert!(matches!(&err, Error::Runtime(m) if m == "Transport is closing"), "{err:?}");
    }

    fn adopting_a_datagram_socket_is_refused(lp: EventLoop) {
        let u = UdpSocket::bind("127.0.0.1:0").unwrap();
        let fd = u.as_raw_fd();
        let made = Made::default();
        let fut = lp.connect_accepted_socket(made.factory(Recorder::default), fd, AcceptedSocketOptions::default());
        let err = block_on(&lp, fut).map(|_| ()).unwrap_err();
        assert!(matches!(&err, Error::Value(m) if m.starts_with("A Stream Socket was expected, got <socket.socket fd=")), "{err:?}");
        // The fd was left open for its owner.
        assert!(u.local_addr().is_ok());
    }

    fn transport_write_is_refused_during_sendfile_and_cancel_restores(lp: EventLoop) {
        let (l, addr) = listener();
        let made = Made::default();
        let fut = lp.create_connection(made.factory(Recorder::default), Some("127.0.0.1".into()), Some(addr.port()), Default::default());
        let (transport, _) = block_on(&lp, fut).unwrap();
        let peer = loop {
            match l.accept() {
                Ok((c, _)) => break c,
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        };
        // A file far larger than the socket buffers, and a peer that does not read yet.
        let f = tempfile_in_tmp();
        f.set_len(256 << 20).unwrap();
        let ffd = f.as_raw_fd();
        let (lp2, t2) = (lp.clone(), transport.clone());
        let task = lp.create_task(async move { lp2.sendfile(&t2, ffd, 10, None, true).await }).unwrap();
        for _ in 0..5 {
            util::run_once_waiting(&lp);
        }
        assert!(!task.done(), "the peer reads nothing, so the send waits");
        assert!(!transport.is_reading(), "reading is paused during sendfile");
        let err = transport.write(b"x").unwrap_err();
        assert!(matches!(&err, Error::Runtime(m) if m == "unable to write; sendfile is in progress"), "{err:?}");
        // Cancelling stops it: reading resumes, writes work, and the file's position is after what was sent.
        task.cancel();
        run_until(&lp, "the cancelled sendfile ends", || task.done());
        assert!(transport.is_reading());
        transport.write(b"after").unwrap();
        let pos = file_pos(&f);
        assert!(pos > 10 && pos < (256 << 20), "position {pos}");
        transport.close();
        drop(peer);
    }
}

