//! Hardening (docs/reliability.md): faults and bad input at the transport
//! level, each a case that once failed or that a load test depends on.

mod util;

use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use evloop::{ConnectionOptions, EventLoop, SelectorKind, StreamReader};
use util::net::*;

/// A peer that resets the connection while the transport has data
/// buffered for it: `connection_lost` gets the error (ECONNRESET), the
/// buffer is dropped, and nothing reaches the exception handler.
#[test]
fn reset_mid_write_is_connection_lost_with_the_error() {
    for kind in [SelectorKind::Epoll, SelectorKind::Poll] {
        let lp = EventLoop::with_selector(kind).unwrap();
        let reports = util::Log::new();
        let sink = reports.clone();
        lp.set_exception_handler(Some(Rc::new(move |_: &EventLoop, ctx: &evloop::ExceptionContext| {
            sink.push(ctx.message.clone())
        })));
        let made = Made::default();
        let (_server, addr) = serve(&lp, &made, Recorder::default);
        let c = client(addr);
        let t = made.wait_connected(&lp, 1, "accepted").transport();
        // Mid-write: more than the socket buffers take, the client reading none.
        for _ in 0..16 {
            t.write(&vec![0u8; 1 << 18]).unwrap();
        }
        assert!(t.get_write_buffer_size() > 0);
        socket2::SockRef::from(&c).set_linger(Some(Duration::ZERO)).unwrap();
        drop(c);
        run_until(&lp, "lost", || made.get(0).lost());
        match made.get(0).events().last() {
            Some(Ev::Lost(Some(e))) => assert!(e.starts_with("ConnectionResetError: [Errno 104]"), "{kind:?}: {e}"),
            other => panic!("{kind:?}: {other:?}"),
        }
        assert_eq!(t.get_write_buffer_size(), 0);
        assert!(reports.get().is_empty(), "{kind:?}: OS errors go to connection_lost only: {:?}", reports.get());
        lp.close().unwrap();
    }
}

/// `create_connection(sock=fd)` with an fd that is not a stream socket
/// (stdin, a pipe, a datagram socket) used to take it over: the transport
/// then closed it (a Node program passing 0 or 1 lost its stdin/stdout).
/// It is refused now, as `create_server(sock=...)` refuses it, and the fd
/// stays open and the caller's.
#[test]
fn a_non_stream_fd_is_refused_and_left_open() {
    let lp = EventLoop::new().unwrap();
    let mut pipe = [0; 2];
    // SAFETY: pipe(2) fills the two fds, closed below.
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for (fd, class) in [(pipe[0], "OSError: [Errno 88]"), (udp.as_raw_fd(), "ValueError: A Stream Socket was expected")] {
        let opts = ConnectionOptions { sock: Some(fd), ..Default::default() };
        let made = Made::default();
        let err = block_on(&lp, lp.create_connection(made.factory(Recorder::default), None, None, opts))
            .err()
            .expect("refused");
        assert!(err.to_string().starts_with(class), "{err}");
        // SAFETY: F_GETFD only reads the fd's flags.
        assert!(unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0, "fd {fd} is still open");
        assert_eq!(made.len(), 0);
    }
    // SAFETY: closing the pipe made above.
    unsafe {
        libc::close(pipe[0]);
        libc::close(pipe[1]);
    }
    drop(udp);
    lp.close().unwrap();
}

/// Extreme values the Rust API accepts without overflowing: a low-water
/// mark near `i64::MAX` (the high mark, four times it, saturates) and a
/// stream reader whose limit is `usize::MAX` (its pause threshold, twice
/// it, saturates). Both used to panic with overflow in debug builds.
#[test]
fn extreme_limits_saturate() {
    let lp = EventLoop::new().unwrap();
    let made = Made::default();
    let (_server, addr) = serve(&lp, &made, Recorder::default);
    let _c = client(addr);
    let t = made.wait_connected(&lp, 1, "accepted").transport();
    t.set_write_buffer_limits(None, Some(i64::MAX)).unwrap();
    assert_eq!(t.get_write_buffer_limits(), (i64::MAX as usize, i64::MAX as usize));
    assert!(t.set_write_buffer_limits(Some(i64::MIN), None).is_err());

    let reader = StreamReader::with_limit(&lp, usize::MAX).unwrap();
    reader.feed_data(b"no overflow\n");
    let line = block_on(&lp, async move { reader.readline().await });
    assert_eq!(line.unwrap(), b"no overflow\n");
}
