//! Fuzz target `write_buffer`: a socket transport's writes, water marks
//! and closing, over a real Unix socket pair.
//!
//! The input is decoded into operations on the transport (`write`,
//! `writelines`, `set_write_buffer_limits` with any values, extremes and
//! invalid ones included, `pause_reading`/`resume_reading`, `write_eof`,
//! `close`, `abort`) and on the peer (read some, write some, half-close,
//! close with unread data: a reset), with loop iterations in between. The
//! transport's send buffer is 4 KiB, so writes get buffered quickly.
//! Checked after every operation and at the end:
//! - the peer receives a prefix of what was written, in order; after a
//!   graceful `close()`/`write_eof()`, all of it and then EOF;
//! - `pause_writing`/`resume_writing` alternate, starting with pause; pause
//!   only above the high mark, resume only at or below the low mark;
//! - `set_write_buffer_limits` fails exactly when asyncio's check does;
//!   `write` after `write_eof` fails, and only then;
//! - `connection_lost` runs exactly once and nothing follows it;
//! - no panic.
//!
//! Uses only `evloop`, `libc` and `std`, so the evloop test suite compiles
//! it too (`crates/evloop/tests/hardening_fuzz.rs`).

use std::cell::{Cell, RefCell};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, IntoRawFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;

use evloop::{ConnectionOptions, Error, EventLoop, Protocol, Transport};

const MAX_OPS: usize = 120;
const SNDBUF: libc::c_int = 4096;

/// Runs one input; panics on any violation.
pub fn run(data: &[u8]) {
    LOOP.with(|lp| Harness::new(lp, data).run());
}

thread_local! {
    /// One epoll loop per thread, reused by every input.
    static LOOP: EventLoop = EventLoop::new().expect("an event loop");
}

struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn u16(&mut self) -> usize {
        (self.byte() as usize) << 8 | self.byte() as usize
    }
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
    /// A size: mostly small, sometimes up to 64 KiB.
    fn size(&mut self) -> usize {
        match self.byte() % 4 {
            0 => 0,
            1 | 2 => self.byte() as usize,
            _ => self.u16(),
        }
    }
    /// A water mark as the API takes it: absent, small, large, negative, extreme.
    fn mark(&mut self) -> Option<i64> {
        match self.byte() % 8 {
            0 | 1 => None,
            2 | 3 => Some(self.byte() as i64 * 64),
            4 => Some(self.u16() as i64 * 4),
            5 => Some(-(self.byte() as i64)),
            6 => Some(0),
            _ => Some([i64::MAX, i64::MIN, i64::MAX / 2, i64::MAX / 4 + 1, 1 << 52][self.byte() as usize % 5]),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Ev {
    Made,
    Pause { size: usize, high: usize },
    Resume { size: usize, low: usize },
    Data(usize),
    Eof,
    Lost(Option<String>),
}

#[derive(Default)]
struct Probe {
    transport: RefCell<Option<Transport>>,
    events: RefCell<Vec<Ev>>,
    received: RefCell<Vec<u8>>,
    keep_open: Cell<bool>,
    /// A violation seen inside a callback (a panic there would be caught
    /// and reported by the transport, not fail the run).
    violation: RefCell<Option<String>>,
}

impl Probe {
    fn push(&self, ev: Ev) {
        let mut events = self.events.borrow_mut();
        if events.iter().any(|e| matches!(e, Ev::Lost(_))) {
            self.violation.borrow_mut().get_or_insert(format!("{ev:?} after connection_lost: {events:?}"));
        }
        events.push(ev);
    }
    fn lost(&self) -> bool {
        self.events.borrow().iter().any(|e| matches!(e, Ev::Lost(_)))
    }
    fn transport(&self) -> Transport {
        self.transport.borrow().clone().expect("connection_made ran")
    }
}

impl Protocol for Probe {
    fn connection_made(&self, t: &Transport) -> evloop::Result<()> {
        *self.transport.borrow_mut() = Some(t.clone());
        self.push(Ev::Made);
        Ok(())
    }
    fn data_received(&self, data: &[u8]) -> evloop::Result<()> {
        self.received.borrow_mut().extend_from_slice(data);
        self.push(Ev::Data(data.len()));
        Ok(())
    }
    fn eof_received(&self) -> evloop::Result<bool> {
        self.push(Ev::Eof);
        Ok(self.keep_open.get())
    }
    fn connection_lost(&self, exc: Option<Error>) -> evloop::Result<()> {
        self.push(Ev::Lost(exc.map(|e| e.to_string())));
        Ok(())
    }
    fn pause_writing(&self) -> evloop::Result<()> {
        let t = self.transport();
        self.push(Ev::Pause { size: t.get_write_buffer_size(), high: t.get_write_buffer_limits().1 });
        Ok(())
    }
    fn resume_writing(&self) -> evloop::Result<()> {
        let t = self.transport();
        self.push(Ev::Resume { size: t.get_write_buffer_size(), low: t.get_write_buffer_limits().0 });
        Ok(())
    }
}

struct Harness<'a> {
    lp: EventLoop,
    input: Input<'a>,
    probe: Rc<Probe>,
    t: Transport,
    peer: Option<UnixStream>,
    /// Every byte given to `write`/`writelines` that did not fail.
    written: Vec<u8>,
    /// Written while the transport still accepted data.
    accepted: usize,
    /// What the peer read, and whether it saw EOF.
    got: Vec<u8>,
    peer_eof: bool,
    /// The transport side sent EOF.
    eof: bool,
    /// Data may have been dropped: abort, a reset, a fatal error.
    dropped: bool,
    /// The peer's bytes, to compare with what the protocol received.
    peer_sent: Vec<u8>,
    peer_shut: bool,
    next_byte: u8,
    /// The operations so far, for failure messages.
    log: Vec<String>,
}

impl<'a> Harness<'a> {
    fn new(lp: &EventLoop, data: &'a [u8]) -> Harness<'a> {
        let (ours, peer) = UnixStream::pair().expect("socketpair");
        // SAFETY: setsockopt on a socket we own, with a valid int.
        unsafe {
            libc::setsockopt(
                ours.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                (&SNDBUF as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
        peer.set_nonblocking(true).expect("nonblocking peer");
        let probe = Rc::new(Probe::default());
        let p = probe.clone();
        let opts = ConnectionOptions { sock: Some(ours.into_raw_fd()), ..Default::default() };
        let task = lp
            .create_task(lp.create_connection(move || p as Rc<dyn Protocol>, None, None, opts))
            .expect("loop open");
        for _ in 0..100 {
            if task.done() {
                break;
            }
            iterate(lp);
        }
        let (t, _) = task.result().expect("task done").expect("connection made");
        Harness {
            lp: lp.clone(),
            input: Input { data, pos: 0 },
            probe,
            t,
            peer: Some(peer),
            written: Vec::new(),
            accepted: 0,
            got: Vec::new(),
            peer_eof: false,
            eof: false,
            dropped: false,
            peer_sent: Vec::new(),
            peer_shut: false,
            next_byte: 0,
            log: Vec::new(),
        }
    }

    /// `n` bytes of a counting pattern, so a lost or reordered byte shows.
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                self.next_byte = self.next_byte.wrapping_add(1);
                self.next_byte
            })
            .collect()
    }

    /// Whether a write now is sent (or buffered) rather than dropped: the
    /// transport drops writes once it is closing with nothing left to
    /// flush (`close()` with an empty buffer, `abort()`, an error, or the
    /// flush after `close()` finished).
    fn accepting(&self) -> bool {
        !(self.t.is_closing() && self.t.get_write_buffer_size() == 0)
    }

    fn write(&mut self, pieces: Vec<Vec<u8>>) {
        let accepting = self.accepting();
        let result = if pieces.len() == 1 {
            self.t.write(&pieces[0])
        } else {
            self.t.writelines(pieces.iter().map(Vec::as_slice))
        };
        match result {
            Ok(()) => {
                assert!(!self.eof, "write after write_eof() must fail");
                for p in &pieces {
                    self.written.extend_from_slice(p);
                }
                if accepting {
                    self.accepted = self.written.len();
                }
            }
            Err(e) => {
                assert!(self.eof, "write failed before write_eof(): {e}");
                assert!(e.to_string().contains("after write_eof()"), "{e}");
            }
        }
    }

    fn run(mut self) {
        for _ in 0..MAX_OPS {
            if self.input.done() {
                break;
            }
            let op = self.input.byte();
            let (at, before) = (self.input.pos, self.written.len());
            match op % 16 {
                0..=2 => {
                    let n = self.input.size();
                    let data = self.bytes(n);
                    self.write(vec![data]);
                }
                3 => {
                    let k = 1 + self.input.byte() as usize % 4;
                    let pieces = (0..k)
                        .map(|_| {
                            let n = self.input.size();
                            self.bytes(n)
                        })
                        .collect();
                    self.write(pieces);
                }
                4 => {
                    let (high, low) = (self.input.mark(), self.input.mark());
                    let h = high.unwrap_or_else(|| low.map_or(65536, |l| l.saturating_mul(4)));
                    let l = low.unwrap_or(h / 4);
                    let valid = h >= l && l >= 0;
                    let before = self.t.get_write_buffer_limits();
                    match self.t.set_write_buffer_limits(high, low) {
                        Ok(()) => {
                            assert!(valid, "limits ({high:?}, {low:?}) accepted");
                            assert_eq!(self.t.get_write_buffer_limits(), (l as usize, h as usize));
                        }
                        Err(e) => {
                            assert!(!valid, "limits ({high:?}, {low:?}) refused: {e}");
                            assert_eq!(self.t.get_write_buffer_limits(), before, "a refused change changed them");
                        }
                    }
                }
                5..=7 => {
                    let max = self.input.u16();
                    self.peer_read(max);
                }
                8..=10 => {
                    for _ in 0..=self.input.byte() % 4 {
                        iterate(&self.lp);
                    }
                }
                11 => {
                    if self.input.byte() % 2 == 0 { self.t.pause_reading() } else { self.t.resume_reading() }
                }
                12 => {
                    let n = self.input.size();
                    let data = self.bytes(n);
                    self.peer_write(&data);
                }
                13 => match self.input.byte() % 8 {
                    0 | 1 => {
                        if !self.t.is_closing() {
                            self.eof = true;
                        }
                        self.t.write_eof();
                    }
                    2 | 3 => {
                        self.t.close();
                    }
                    4 => {
                        self.dropped = true;
                        self.t.abort();
                    }
                    5 | 6 => {
                        self.probe.keep_open.set(self.input.byte() % 2 == 0);
                        if let Some(peer) = &self.peer {
                            let _ = peer.shutdown(std::net::Shutdown::Write);
                            self.peer_shut = true;
                        }
                    }
                    _ => {
                        // The peer goes away with data unread: a reset.
                        self.dropped = true;
                        self.peer = None;
                    }
                },
                _ => iterate(&self.lp),
            }
            self.log.push(format!(
                "op {} [{}..{}] written {}->{} accepted {} got {} buffered {} closing {} events {}",
                op % 16,
                at,
                self.input.pos,
                before,
                self.written.len(),
                self.accepted,
                self.got.len(),
                self.t.get_write_buffer_size(),
                self.t.is_closing(),
                self.probe.events.borrow().len()
            ));
            self.check();
        }
        self.finish();
    }

    fn peer_read(&mut self, max: usize) {
        let Some(peer) = &mut self.peer else { return };
        let mut buf = vec![0u8; max.max(1)];
        match peer.read(&mut buf) {
            Ok(0) => self.peer_eof = true,
            Ok(n) => {
                assert!(!self.peer_eof, "data after EOF");
                self.got.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => self.dropped = true,
        }
    }

    fn peer_write(&mut self, data: &[u8]) {
        if self.peer_shut {
            return;
        }
        let Some(peer) = &mut self.peer else { return };
        match peer.write(data) {
            Ok(n) => self.peer_sent.extend_from_slice(&data[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => self.dropped = true,
        }
    }

    fn check(&self) {
        let ctx = || format!("{:?}", self.probe.events.borrow());
        if let Some(v) = &*self.probe.violation.borrow() {
            panic!("{v}");
        }
        assert!(self.got.len() <= self.written.len(), "the peer got more than was written");
        assert!(self.got == self.written[..self.got.len()], "the peer's bytes are not a prefix of the writes");
        let received = self.probe.received.borrow();
        assert!(received.len() <= self.peer_sent.len() && *received == self.peer_sent[..received.len()]);
        let events = self.probe.events.borrow();
        let mut paused = false;
        for ev in events.iter() {
            match ev {
                Ev::Pause { size, high } => {
                    assert!(!paused, "pause twice: {}", ctx());
                    assert!(size > high, "paused at {size} <= high {high}");
                    paused = true;
                }
                Ev::Resume { size, low } => {
                    assert!(paused, "resume without pause: {}", ctx());
                    assert!(size <= low, "resumed at {size} > low {low}");
                    paused = false;
                }
                _ => {}
            }
        }
        assert_eq!(events.first(), Some(&Ev::Made));
        assert!(events.iter().filter(|e| matches!(e, Ev::Lost(_))).count() <= 1);
        if self.probe.lost() {
            assert_eq!(self.t.get_write_buffer_size(), 0, "a lost transport buffers nothing: {}", ctx());
        } else {
            // The buffer holds what the kernel did not take yet.
            assert!(self.t.get_write_buffer_size() <= self.accepted.saturating_sub(self.got.len()));
        }
    }

    /// Drains both sides, then closes; checks the end state.
    fn finish(mut self) {
        if std::env::var_os("EVLOOP_FUZZ_TRACE").is_some() {
            eprintln!("{}\n{:?}", self.log.join("\n"), self.probe.events.borrow());
        }
        let graceful = !self.dropped && (self.eof || self.t.is_closing());
        for _ in 0..20_000 {
            self.peer_read(1 << 16);
            let flushed = self.t.get_write_buffer_size() == 0;
            if (self.probe.lost() || flushed) && (self.peer_eof || self.peer.is_none() || !graceful) {
                break;
            }
            iterate(&self.lp);
        }
        self.check();
        if graceful {
            assert_eq!(
                self.got.len(),
                self.accepted,
                "a graceful close delivers everything:\n  {}\n  {:?}",
                self.log.join("\n  "),
                self.probe.events.borrow()
            );
            assert!(self.peer_eof, "and then EOF");
        }
        if !self.probe.lost() {
            self.t.abort();
        }
        for _ in 0..100 {
            if self.probe.lost() {
                break;
            }
            iterate(&self.lp);
        }
        assert!(self.probe.lost(), "connection_lost ran: {:?}", self.probe.events.borrow());
        // Nothing of this input may stay behind on the shared loop.
        iterate(&self.lp);
    }
}

/// One iteration that does not wait.
fn iterate(lp: &EventLoop) {
    let stopper = lp.clone();
    lp.call_soon(move || stopper.stop()).expect("loop open");
    lp.run_forever().expect("run_forever");
}
