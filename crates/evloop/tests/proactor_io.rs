//! What is particular to the proactor's transports: sends in flight count
//! in the write buffer, close() waits for them, partial and vectored sends
//! keep every byte in order, and the repr says which operations are
//! pending. (The shared conformance suites run on the proactor too, through
//! `on_every_selector!`.)

#![cfg(target_os = "linux")]

mod util;

use std::io::Read;

use evloop::EventLoop;
use util::net::*;

fn accepted(lp: &EventLoop) -> (Made, evloop::Server, std::net::TcpStream) {
    let made = Made::default();
    let (server, addr) = serve(lp, &made, Recorder::default);
    let c = client(addr);
    made.wait_connected(lp, 1, "connection_made");
    // A small send buffer, so writes do not all fit in the kernel at once.
    made.get(0).transport().socket().setsockopt(libc::SOL_SOCKET, libc::SO_SNDBUF, 4096).unwrap();
    (made, server, c)
}

#[test]
fn close_waits_for_the_send_in_flight_and_every_byte_arrives_in_order() {
    let lp = util::closing(EventLoop::proactor().unwrap());
    let (made, _server, mut c) = accepted(&lp);
    let t = made.get(0).transport();
    // Many small pieces (vectored sends of up to 64 chunks) and big ones
    // (partial sends put back in front), numbered so order is checked.
    let mut expected = Vec::new();
    for i in 0..4000u32 {
        let piece: Vec<u8> = (0..(i % 97 + 1)).map(|j| (i.wrapping_mul(31) + j) as u8).collect();
        expected.extend_from_slice(&piece);
        t.write(&piece).unwrap();
        if i % 500 == 0 {
            let big = vec![(i % 251) as u8; 300_000];
            expected.extend_from_slice(&big);
            t.writelines([&big[..100_000], &big[100_000..]]).unwrap();
        }
    }
    assert!(t.get_write_buffer_size() > 0, "the rest is buffered or in flight");
    t.close();
    assert!(!made.get(0).lost(), "connection_lost waits for the flush");
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        c.read_to_end(&mut all).unwrap();
        all
    });
    run_until(&lp, "lost", || made.get(0).lost());
    assert_eq!(made.get(0).events().last(), Some(&Ev::Lost(None)));
    let all = reader.join().unwrap();
    assert_eq!(all.len(), expected.len());
    assert!(all == expected, "bytes arrived in order");
}

#[test]
fn the_send_in_flight_counts_in_the_buffer_size() {
    let lp = util::closing(EventLoop::proactor().unwrap());
    let (made, _server, _c) = accepted(&lp);
    let t = made.get(0).transport();
    let chunk = vec![1u8; 1 << 20];
    t.write(&chunk).unwrap();
    let size = t.get_write_buffer_size();
    assert!(size > 0 && size <= chunk.len(), "{size}");
    // Submitting moves the bytes into the operation: still counted (less
    // what the kernel took meanwhile).
    util::run_once(&lp);
    let in_flight = t.get_write_buffer_size();
    assert!(in_flight > 0 && in_flight <= size, "{in_flight}");
    assert!(format!("{t:?}").contains("write=<pending, bufsize="), "{t:?}");
    assert_eq!(made.get(0).events().iter().filter(|e| **e == Ev::PauseWriting).count(), 1);
}

#[test]
fn repr_names_the_proactor_transport() {
    let lp = util::closing(EventLoop::proactor().unwrap());
    let (made, _server, _c) = accepted(&lp);
    let t = made.get(0).transport();
    run_until(&lp, "reading", || format!("{t:?}").contains("read=pending"));
    let r = format!("{t:?}");
    assert!(r.starts_with("<_ProactorSocketTransport fd="), "{r}");
    assert!(r.ends_with("read=pending write=<idle, bufsize=0>>"), "{r}");
    t.abort();
    util::run_once(&lp);
    assert_eq!(format!("{t:?}"), "<_ProactorSocketTransport closed>");
}

#[test]
fn paused_reading_keeps_what_the_read_in_flight_brought() {
    let lp = util::closing(EventLoop::proactor().unwrap());
    let (made, _server, mut c) = accepted(&lp);
    let p = made.get(0);
    let t = p.transport();
    run_until(&lp, "read in flight", || format!("{t:?}").contains("read=pending"));
    t.pause_reading();
    send(&mut c, b"first");
    // The read in flight completes while paused: nothing is delivered.
    run_until(&lp, "read completed", || format!("{t:?}").contains("read=idle"));
    util::run_once(&lp);
    assert!(p.data().is_empty());
    send(&mut c, b"second");
    t.resume_reading();
    run_until(&lp, "both", || p.data() == b"firstsecond");
    assert_eq!(p.events().iter().find(|e| matches!(e, Ev::Data(_))), Some(&Ev::Data(b"first".to_vec())));
}

#[test]
fn closing_the_loop_cancels_what_is_in_flight() {
    let lp = util::closing(EventLoop::proactor().unwrap());
    let (made, server, _c) = accepted(&lp);
    let t = made.get(0).transport();
    t.write(&vec![0u8; 4 << 20]).unwrap();
    util::run_once(&lp);
    assert!(lp.proactor_in_flight() >= 2, "accept, receive and send in flight");
    drop((made, server, t));
    lp.close().unwrap();
    assert_eq!(lp.proactor_in_flight(), 0);
}

struct Buffered {
    buf: evloop::ReadBuffer,
    log: std::cell::RefCell<Vec<String>>,
}

impl evloop::Protocol for Buffered {
    fn eof_received(&self) -> evloop::Result<bool> {
        self.log.borrow_mut().push("eof".into());
        Ok(false)
    }
    fn connection_lost(&self, _: Option<evloop::Error>) -> evloop::Result<()> {
        self.log.borrow_mut().push("lost".into());
        Ok(())
    }
    fn buffered(&self) -> Option<&dyn evloop::BufferedProtocol> {
        Some(self)
    }
}

impl evloop::BufferedProtocol for Buffered {
    fn get_buffer(&self, hint: isize) -> evloop::Result<evloop::ReadBuffer> {
        self.log.borrow_mut().push(format!("get({hint})"));
        Ok(self.buf.clone())
    }
    fn buffer_updated(&self, n: usize) -> evloop::Result<()> {
        let data = String::from_utf8_lossy(&self.buf.borrow()[..n]).into_owned();
        self.log.borrow_mut().push(format!("updated({data})"));
        Ok(())
    }
}

fn buffered(len: usize) -> std::rc::Rc<Buffered> {
    std::rc::Rc::new(Buffered { buf: std::rc::Rc::new(std::cell::RefCell::new(vec![0; len])), log: Default::default() })
}

#[test]
fn buffered_protocol_gets_a_buffer_before_every_receive() {
    // M3: a 4-byte buffer, 10 bytes then EOF.
    let lp = util::closing(EventLoop::proactor().unwrap());
    let proto = buffered(4);
    let p2 = proto.clone();
    let server = block_on(&lp, lp.create_server(move || p2.clone() as std::rc::Rc<dyn evloop::Protocol>, Some("127.0.0.1".into()), Some(0), Default::default())).unwrap();
    let mut c = client(inet(&server.sockets()[0].getsockname().unwrap()));
    send(&mut c, b"0123456789");
    c.shutdown(std::net::Shutdown::Write).unwrap();
    run_until(&lp, "lost", || proto.log.borrow().contains(&"lost".to_string()));
    assert_eq!(
        *proto.log.borrow(),
        ["get(-1)", "updated(0123)", "get(-1)", "updated(4567)", "get(-1)", "updated(89)", "get(-1)", "eof", "lost"]
    );
}

#[test]
fn switching_to_a_buffered_protocol_with_a_read_in_flight_keeps_the_data() {
    let lp = util::closing(EventLoop::proactor().unwrap());
    let (made, _server, mut c) = accepted(&lp);
    let t = made.get(0).transport();
    run_until(&lp, "read in flight", || format!("{t:?}").contains("read=pending"));
    let proto = buffered(3);
    t.set_protocol(proto.clone());
    send(&mut c, b"abcdefgh");
    run_until(&lp, "all delivered", || {
        proto.log.borrow().iter().filter_map(|e| e.strip_prefix("updated(")).map(|d| d.trim_end_matches(')').len()).sum::<usize>() == 8
    });
    let log = proto.log.borrow().join(" ");
    assert!(log.starts_with("get(-1) updated(abc) get(-1) updated(def) get(-1) updated(gh)"), "{log}");
    assert!(made.get(0).data().is_empty(), "nothing reached the old protocol");
}

// Multishot receive and flow control: pausing ends the multishot, and what
// it took from the socket before it ended is delivered after the resume, in
// order, before anything newer; toggled every iteration while a peer
// streams 1 MiB, no byte is lost, repeated or reordered.
#[test]
fn pausing_and_resuming_every_iteration_loses_nothing() {
    let lp = util::closing(EventLoop::proactor().unwrap());
    let (made, _server, c) = accepted(&lp);
    let p = made.get(0);
    let t = p.transport();
    let expected: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
    let to_send = expected.clone();
    let writer = std::thread::spawn(move || {
        let mut c = c;
        for chunk in to_send.chunks(7919) {
            std::io::Write::write_all(&mut c, chunk).unwrap();
        }
        c
    });
    let mut paused = false;
    run_until(&lp, "every byte", || {
        if paused {
            t.resume_reading();
        } else {
            t.pause_reading();
        }
        paused = !paused;
        p.data().len() >= expected.len()
    });
    let _c = writer.join().unwrap();
    assert!(p.data() == expected, "every byte, in order, once");
}
