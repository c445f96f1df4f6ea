//! Hardening (docs/reliability.md): backpressure. A client that never
//! reads gets the server's protocol paused and its buffer stays bounded; a
//! slow-loris client does not stall the others. The long versions (RSS
//! over minutes) are in hardening_stress.rs, behind `pnpm stress`.

mod util;

use std::cell::{Cell, RefCell};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evloop::{EventLoop, Protocol, SelectorKind, StreamOptions, Transport};
use util::net::*;

const CHUNK: usize = 64 * 1024;

/// Writes chunks while not paused, as a well-behaved producer does.
#[derive(Default)]
struct Firehose {
    transport: RefCell<Option<Transport>>,
    paused: Cell<bool>,
    pauses: Cell<usize>,
    written: Cell<usize>,
    max_buffered: Cell<usize>,
}

impl Firehose {
    fn pump(&self) -> evloop::Result<()> {
        let t = self.transport.borrow().clone().expect("made");
        let chunk = vec![7u8; CHUNK];
        // Bounded: pause comes after at most high/CHUNK + 1 writes.
        for _ in 0..1000 {
            if self.paused.get() || t.is_closing() {
                break;
            }
            t.write(&chunk)?;
            self.written.set(self.written.get() + CHUNK);
            self.max_buffered.set(self.max_buffered.get().max(t.get_write_buffer_size()));
        }
        Ok(())
    }
}

impl Protocol for Firehose {
    fn connection_made(&self, t: &Transport) -> evloop::Result<()> {
        *self.transport.borrow_mut() = Some(t.clone());
        self.pump()
    }
    fn pause_writing(&self) -> evloop::Result<()> {
        self.paused.set(true);
        self.pauses.set(self.pauses.get() + 1);
        Ok(())
    }
    fn resume_writing(&self) -> evloop::Result<()> {
        self.paused.set(false);
        self.pump()
    }
}

#[test]
fn a_client_that_never_reads_pauses_the_writer_and_memory_stays_bounded() {
    for kind in [SelectorKind::Epoll, SelectorKind::Poll, SelectorKind::Select] {
        let lp = EventLoop::with_selector(kind).unwrap();
        let proto: Rc<RefCell<Option<Rc<Firehose>>>> = Rc::default();
        let slot = proto.clone();
        let server = block_on(
            &lp,
            lp.create_server(
                move || {
                    let p = Rc::new(Firehose::default());
                    *slot.borrow_mut() = Some(p.clone());
                    p as Rc<dyn Protocol>
                },
                Some("127.0.0.1".into()),
                Some(0),
                Default::default(),
            ),
        )
        .unwrap();
        let addr = inet(&server.sockets()[0].getsockname().unwrap());
        let _silent = client(addr); // connects, never reads
        run_until(&lp, "paused", || proto.borrow().as_ref().is_some_and(|p| p.pauses.get() == 1));
        let p = proto.borrow().clone().unwrap();
        let (high, t) = (p.transport.borrow().as_ref().unwrap().get_write_buffer_limits().1, p.transport.borrow().clone().unwrap());
        // Let it run a while: the kernel buffers fill, nothing drains.
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(200) {
            util::run_once_waiting(&lp);
        }
        assert!(p.paused.get(), "{kind:?}: still paused");
        assert_eq!(p.pauses.get(), 1, "{kind:?}: paused once");
        assert!(p.max_buffered.get() <= high + CHUNK, "{kind:?}: buffer {} > high {high} + one chunk", p.max_buffered.get());
        assert!(t.get_write_buffer_size() <= high + CHUNK);
        // What was accepted is the kernel's share plus at most high + a chunk.
        assert!(p.written.get() < 64 << 20, "{kind:?}: {} bytes accepted", p.written.get());
        t.abort();
        server.close();
        lp.close().unwrap();
    }
}

/// One slow-loris client dribbles a request line a byte at a time (and
/// never ends it) while 16 normal clients do 25 line round trips each on
/// a `start_server` echo server: they finish promptly, and the slow
/// client is still connected.
#[test]
fn a_slow_loris_client_does_not_stall_the_others() {
    const CLIENTS: usize = 16;
    const ROUNDS: usize = 25;
    let lp = EventLoop::new().unwrap();
    let server = block_on(
        &lp,
        lp.start_server(
            |reader, writer| async move {
                loop {
                    match reader.readline().await {
                        Ok(line) if !line.is_empty() => {
                            if writer.write(&line).is_err() {
                                break;
                            }
                        }
                        _ => break,
                    }
                }
                writer.close();
            },
            Some("127.0.0.1".into()),
            Some(0),
            StreamOptions::default(),
        ),
    )
    .unwrap();
    let addr = inet(&server.sockets()[0].getsockname().unwrap());

    let stop = Arc::new(AtomicBool::new(false));
    let loris_alive = Arc::new(AtomicBool::new(false));
    let loris = {
        let (stop, alive) = (stop.clone(), loris_alive.clone());
        std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            alive.store(true, Ordering::SeqCst);
            for i in 0..2000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                if s.write_all(&[b'a' + (i % 26) as u8]).is_err() {
                    alive.store(false, Ordering::SeqCst);
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let done = Arc::new(AtomicUsize::new(0));
    let worst = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (done, worst) = (done.clone(), worst.clone());
            std::thread::spawn(move || {
                let s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut reader = BufReader::new(s.try_clone().unwrap());
                let mut w = s;
                for r in 0..ROUNDS {
                    let msg = format!("client {c} round {r}\n");
                    let t0 = Instant::now();
                    w.write_all(msg.as_bytes()).unwrap();
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    assert_eq!(line, msg);
                    worst.fetch_max(t0.elapsed().as_micros() as usize, Ordering::SeqCst);
                }
                done.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    let start = Instant::now();
    while done.load(Ordering::SeqCst) < CLIENTS {
        assert!(start.elapsed() < Duration::from_secs(20), "normal clients stalled");
        util::run_once_waiting(&lp);
    }
    for c in clients {
        c.join().unwrap();
    }
    assert!(loris_alive.load(Ordering::SeqCst), "the slow client is still connected");
    run_until(&lp, "only the slow client remains", || server.client_count() == 1);
    let worst_ms = worst.load(Ordering::SeqCst) as f64 / 1000.0;
    assert!(worst_ms < 2000.0, "worst round trip {worst_ms} ms");
    stop.store(true, Ordering::SeqCst);
    loris.join().unwrap();
    server.close();
    let closing = server.close_and_wait();
    server.close_clients();
    lp.run_until_complete(&closing).unwrap();
    lp.close().unwrap();
}
