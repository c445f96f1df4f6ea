//! The evloop server the stress runs drive (stress/run.mjs): one process,
//! one loop, listening on 127.0.0.1. Its twin in Node is stress/node/server.mjs;
//! both take the same options and print the same lines.
//!
//! `evloop-stress-server --mode echo|lines|firehose [--selector epoll|poll]
//! [--max-seconds N]`
//!
//! - `echo`: a Protocol that writes back what it receives.
//! - `lines`: a stream server (`start_server`) that echoes line by line
//!   (`readline`), for the slow-loris run.
//! - `firehose`: writes 64 KiB chunks while the transport is not paused
//!   (honours `pause_writing`), for the backpressure run.
//!
//! Prints `NOFILE <soft> <hard>` (it raises its soft fd limit to the hard
//! one, as a server for 10,000 connections must), `PORT <n>`, then a
//! `STATS {...}` JSON line every second. It exits when its stdin closes,
//! or after `--max-seconds` (default 900).

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::Instant;

use evloop::{EventLoop, Protocol, SelectorKind, Server, ServerOptions, StreamOptions, Transport};

#[derive(Default)]
struct Counters {
    made: Cell<u64>,
    lost: Cell<u64>,
    lost_with_error: Cell<u64>,
    bytes_in: Cell<u64>,
    bytes_out: Cell<u64>,
    pauses: Cell<u64>,
    last_error: RefCell<Option<String>>,
}

struct Echo {
    c: Rc<Counters>,
    t: RefCell<Option<Transport>>,
}

impl Protocol for Echo {
    fn connection_made(&self, t: &Transport) -> evloop::Result<()> {
        self.c.made.set(self.c.made.get() + 1);
        *self.t.borrow_mut() = Some(t.clone());
        Ok(())
    }
    fn data_received(&self, data: &[u8]) -> evloop::Result<()> {
        self.c.bytes_in.set(self.c.bytes_in.get() + data.len() as u64);
        self.c.bytes_out.set(self.c.bytes_out.get() + data.len() as u64);
        self.t.borrow().as_ref().expect("made").write(data)
    }
    fn connection_lost(&self, exc: Option<evloop::Error>) -> evloop::Result<()> {
        self.c.lost.set(self.c.lost.get() + 1);
        if let Some(e) = exc {
            self.c.lost_with_error.set(self.c.lost_with_error.get() + 1);
            *self.c.last_error.borrow_mut() = Some(e.to_string());
        }
        *self.t.borrow_mut() = None;
        Ok(())
    }
}

const CHUNK: usize = 64 * 1024;

struct Firehose {
    c: Rc<Counters>,
    t: RefCell<Option<Transport>>,
    paused: Cell<bool>,
}

impl Firehose {
    fn pump(&self) -> evloop::Result<()> {
        let Some(t) = self.t.borrow().clone() else { return Ok(()) };
        let chunk = [0x5au8; CHUNK];
        for _ in 0..64 {
            if self.paused.get() || t.is_closing() {
                break;
            }
            t.write(&chunk)?;
            self.c.bytes_out.set(self.c.bytes_out.get() + CHUNK as u64);
        }
        Ok(())
    }
}

impl Protocol for Firehose {
    fn connection_made(&self, t: &Transport) -> evloop::Result<()> {
        self.c.made.set(self.c.made.get() + 1);
        *self.t.borrow_mut() = Some(t.clone());
        self.pump()
    }
    fn pause_writing(&self) -> evloop::Result<()> {
        self.c.pauses.set(self.c.pauses.get() + 1);
        self.paused.set(true);
        Ok(())
    }
    fn resume_writing(&self) -> evloop::Result<()> {
        self.paused.set(false);
        self.pump()
    }
    fn connection_lost(&self, exc: Option<evloop::Error>) -> evloop::Result<()> {
        self.c.lost.set(self.c.lost.get() + 1);
        if exc.is_some() {
            self.c.lost_with_error.set(self.c.lost_with_error.get() + 1);
        }
        *self.t.borrow_mut() = None;
        Ok(())
    }
}

/// Raises the soft RLIMIT_NOFILE to the hard limit.
fn raise_nofile() -> (u64, u64) {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: reading and setting this process's own limit.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    (lim.rlim_cur as u64, lim.rlim_max as u64)
}

fn proc_status(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

fn main() {
    let mut mode = "echo".to_string();
    let mut selector = SelectorKind::Default;
    let mut max_seconds = 900.0f64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--mode" => mode = args.next().expect("--mode NAME"),
            "--selector" => {
                selector = match args.next().as_deref() {
                    Some("poll") => SelectorKind::Poll,
                    Some("select") => SelectorKind::Select,
                    _ => SelectorKind::Default,
                }
            }
            "--max-seconds" => max_seconds = args.next().and_then(|s| s.parse().ok()).expect("--max-seconds N"),
            other => panic!("unknown option {other}"),
        }
    }
    let (soft, hard) = raise_nofile();
    println!("NOFILE {soft} {hard}");

    let lp = EventLoop::with_selector(selector).expect("an event loop");
    let c = Rc::new(Counters::default());
    let opts = ServerOptions { backlog: 4096, ..Default::default() };
    let host = Some("127.0.0.1".into());
    let server: Server = match mode.as_str() {
        "echo" => {
            let c = c.clone();
            let fut = lp.create_server(
                move || Rc::new(Echo { c: c.clone(), t: RefCell::new(None) }) as Rc<dyn Protocol>,
                host,
                Some(0),
                opts,
            );
            lp.run_until_complete(&lp.create_task(fut).unwrap()).unwrap().unwrap()
        }
        "firehose" => {
            let c = c.clone();
            let fut = lp.create_server(
                move || Rc::new(Firehose { c: c.clone(), t: RefCell::new(None), paused: Cell::new(false) }) as Rc<dyn Protocol>,
                host,
                Some(0),
                opts,
            );
            lp.run_until_complete(&lp.create_task(fut).unwrap()).unwrap().unwrap()
        }
        "lines" => {
            let c2 = c.clone();
            let fut = lp.start_server(
                move |reader, writer| {
                    let c = c2.clone();
                    async move {
                        c.made.set(c.made.get() + 1);
                        loop {
                            match reader.readline().await {
                                Ok(line) if !line.is_empty() => {
                                    c.bytes_in.set(c.bytes_in.get() + line.len() as u64);
                                    if writer.write(&line).is_err() {
                                        break;
                                    }
                                }
                                Ok(_) => break,
                                Err(_) => {
                                    c.lost_with_error.set(c.lost_with_error.get() + 1);
                                    break;
                                }
                            }
                        }
                        c.lost.set(c.lost.get() + 1);
                        writer.close();
                    }
                },
                host,
                Some(0),
                StreamOptions::new(opts),
            );
            lp.run_until_complete(&lp.create_task(fut).unwrap()).unwrap().unwrap()
        }
        other => panic!("unknown mode {other}"),
    };
    let port = match server.sockets()[0].getsockname().unwrap() {
        evloop::Address::Inet(a) => a.port(),
        other => panic!("{other:?}"),
    };
    println!("PORT {port}");
    std::io::stdout().flush().unwrap();

    // Stop when stdin closes (the runner ends us that way), from a thread.
    let remote = lp.remote();
    std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        while matches!(std::io::stdin().read(&mut buf), Ok(n) if n > 0) {}
        let _ = remote.call_soon_threadsafe(|lp| lp.stop());
    });
    let start = Instant::now();
    fn tick(lp: &EventLoop, server: Server, c: Rc<Counters>, start: Instant, max_seconds: f64) {
        println!(
            "STATS {{\"t\":{:.2},\"clients\":{},\"made\":{},\"lost\":{},\"lostWithError\":{},\"bytesIn\":{},\"bytesOut\":{},\"pauses\":{},\"rssKb\":{},\"fds\":{},\"lastError\":{:?}}}",
            start.elapsed().as_secs_f64(),
            server.client_count(),
            c.made.get(),
            c.lost.get(),
            c.lost_with_error.get(),
            c.bytes_in.get(),
            c.bytes_out.get(),
            c.pauses.get(),
            proc_status("VmRSS:"),
            open_fds(),
            c.last_error.borrow().clone().unwrap_or_default(),
        );
        let _ = std::io::stdout().flush();
        if start.elapsed().as_secs_f64() > max_seconds {
            lp.stop();
            return;
        }
        let lp2 = lp.clone();
        lp.call_later(1.0, move || tick(&lp2, server, c, start, max_seconds)).unwrap();
    }
    tick(&lp, server.clone(), c.clone(), start, max_seconds);
    lp.run_forever().unwrap();
    server.close();
    server.abort_clients();
    let closing = server.wait_closed();
    let _ = lp.run_until_complete(&closing);
    println!("EXIT");
}
