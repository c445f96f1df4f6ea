//! Hardening (docs/reliability.md): a write after the connection was lost
//! must not reach a reused fd. Its own binary: the test relies on fd
//! numbers being reused, which other tests running in parallel threads of
//! the same process would disturb.

mod util;

use std::io::Read;

use evloop::EventLoop;
use util::net::*;

/// A write after the connection was lost through `close()` flushing its
/// buffer used to be buffered for the closed fd and register a writer on
/// it; once the fd number was reused by the next accepted socket, that
/// writer replaced the new connection's own (its buffered data never went
/// out) and spun on a transport with no socket. Now it is dropped, as any
/// write after the connection was lost.
#[test]
fn write_after_a_flushed_close_does_not_touch_a_reused_fd() {
    let lp = EventLoop::new().unwrap();
    let made = Made::default();
    let (_server, addr) = serve(&lp, &made, Recorder::default);

    let mut a = client(addr);
    let ta = made.wait_connected(&lp, 1, "accepted a").transport();
    let fd_a = ta.socket().fileno();
    ta.write(&vec![1u8; 16 << 20]).unwrap();
    assert!(ta.get_write_buffer_size() > 0, "buffered: the client has not read yet");
    // The next client's socket exists before `a`'s server side closes, so
    // the next accepted socket gets the fd number `a`'s had.
    let b_sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    ta.close();
    let mut got = 0;
    let mut buf = vec![0u8; 1 << 16];
    a.set_nonblocking(true).unwrap();
    run_until(&lp, "a drained and lost", || {
        while let Ok(n) = a.read(&mut buf) {
            if n == 0 {
                break;
            }
            got += n;
        }
        made.get(0).lost()
    });
    assert_eq!(got, 16 << 20);

    // The next connection gets the lowest free fd: the one `a` had.
    b_sock.connect(&addr.into()).unwrap();
    let mut b: std::net::TcpStream = b_sock.into();
    let tb = made.wait_connected(&lp, 2, "accepted b").transport();
    assert_eq!(tb.socket().fileno(), fd_a, "the fd number was reused");
    tb.write(&vec![2u8; 16 << 20]).unwrap();
    assert!(tb.get_write_buffer_size() > 0);

    ta.write(b"late").unwrap(); // dropped
    assert_eq!(ta.get_write_buffer_size(), 0, "nothing is buffered for a lost connection");

    b.set_nonblocking(true).unwrap();
    let mut got = 0;
    run_until(&lp, "b receives all of its data", || {
        while let Ok(n) = b.read(&mut buf) {
            if n == 0 {
                break;
            }
            assert!(buf[..n].iter().all(|&x| x == 2), "only b's bytes on b's socket");
            got += n;
        }
        got == 16 << 20
    });
    assert!(!made.get(1).lost());
}
