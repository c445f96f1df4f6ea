//! A one-thread mio load generator for the echo benchmarks (see docs/benchmarks.md).
//!
//! ```text
//! loadgen echo  --addr 127.0.0.1:PORT [--conns 100] [--size 1024] [--duration 5] [--warmup 0.5] [--pid PID]
//! loadgen churn --addr 127.0.0.1:PORT [--conns 50]  [--duration 5] [--warmup 0.5] [--pid PID] [--close rst|fin]
//! loadgen udp   --addr 127.0.0.1:PORT [--conns 100] [--size 64]   [--duration 5] [--warmup 0.5] [--pid PID]
//! loadgen tls-echo      --addr 127.0.0.1:PORT --ca CA.pem [--server-name localhost] [--conns 100] [--size 1024] ...
//! loadgen tls-handshake --addr 127.0.0.1:PORT --ca CA.pem [--server-name localhost] [--conns 50] [--close rst|fin] ...
//! ```
//!
//! - `echo`: `--conns` connections, each with exactly one request outstanding: write a
//!   `--size`-byte message, read the same number of bytes back, repeat. A request counts
//!   when its last byte is back. Contents are checked during the warm-up only.
//! - `churn`: `--conns` concurrent cycles of connect, write 1 byte, read it back, close.
//!   A request is one such cycle. The client closes with RST by default (SO_LINGER 0), so
//!   that no TIME_WAIT sockets pile up on the client side; `--close fin` closes normally.
//! - `udp`: `--conns` UDP sockets, each with one `--size`-byte datagram outstanding
//!   (`udp.rs`); a request is one datagram echoed back.
//! - `tls-echo`, `tls-handshake`: `echo` over TLS, and cycles of connect, full handshake,
//!   1-byte echo, close (`tls.rs`; rustls, session resumption off, the server's certificate
//!   verified against `--ca`). A `tls-handshake` request is one whole cycle.
//!
//! With `--pid`, the CPU time (utime + stime in /proc/PID/stat) of that process and all its
//! descendants is read when measuring starts and when it ends, so the figure is the server's
//! own cost during the measured window. Prints one JSON object on stdout. Targets must be
//! loopback addresses.

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

mod stats;
mod tls;
mod udp;

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use stats::{Clock, CycleTally, Phase};

struct Args {
    mode: String,
    addr: SocketAddr,
    conns: usize,
    size: usize,
    duration: f64,
    warmup: f64,
    pid: Option<u32>,
    /// churn, tls-handshake: close with RST (default) rather than FIN.
    rst: bool,
    /// TLS modes: the CA (PEM file) the server's certificate is verified against.
    ca: Option<String>,
    /// TLS modes: the name sent (SNI) and verified.
    server_name: String,
}

const MODES: [&str; 5] = ["echo", "churn", "udp", "tls-echo", "tls-handshake"];

/// Modes whose request is a whole connection (1 byte echoed).
fn per_connection(mode: &str) -> bool {
    mode == "churn" || mode == "tls-handshake"
}

fn usage() -> String {
    "usage: loadgen echo|churn|udp|tls-echo|tls-handshake --addr 127.0.0.1:PORT [--conns N] [--size BYTES] [--duration S] [--warmup S] [--pid PID] [--close rst|fin] [--ca FILE] [--server-name NAME]".into()
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mode = it.next().ok_or_else(usage)?;
    if !MODES.contains(&mode.as_str()) {
        return Err(usage());
    }
    let mut a = Args {
        conns: if per_connection(&mode) { 50 } else { 100 },
        mode,
        addr: "127.0.0.1:0".parse().unwrap(),
        size: 1024,
        duration: 5.0,
        warmup: 0.5,
        pid: None,
        rst: true,
        ca: None,
        server_name: "localhost".into(),
    };
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {v}: {e}");
        match flag.as_str() {
            "--addr" => a.addr = v.parse().map_err(|e| bad(&e))?,
            "--conns" => a.conns = v.parse().map_err(|e| bad(&e))?,
            "--size" => a.size = v.parse().map_err(|e| bad(&e))?,
            "--duration" => a.duration = v.parse().map_err(|e| bad(&e))?,
            "--warmup" => a.warmup = v.parse().map_err(|e| bad(&e))?,
            "--pid" => a.pid = Some(v.parse().map_err(|e| bad(&e))?),
            "--ca" => a.ca = Some(v.clone()),
            "--server-name" => a.server_name = v.clone(),
            "--close" => match v.as_str() {
                "rst" => a.rst = true,
                "fin" => a.rst = false,
                _ => return Err(bad(&"expected rst or fin")),
            },
            _ => return Err(format!("unknown flag {flag}\n{}", usage())),
        }
    }
    if !a.addr.ip().is_loopback() || a.addr.port() == 0 {
        return Err(format!(
            "--addr must be a loopback HOST:PORT, got {}",
            a.addr
        ));
    }
    if a.conns == 0 || a.size == 0 || a.duration.is_nan() || a.duration <= 0.0 || a.warmup < 0.0 {
        return Err("--conns, --size and --duration must be positive".into());
    }
    Ok(a)
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == ErrorKind::WouldBlock
}

/// The `size`-byte message the echo modes send: a pattern that a shifted or repeated chunk
/// would not match.
fn message(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

/// Takes `got`, the next bytes echoed of `msg`, of which `*recvd` bytes were already back:
/// checks them (their contents only when `verify`, in the warm-up) and counts them. True
/// once the whole message is back, with `*recvd` at 0 again for the next one.
fn take_echo(recvd: &mut usize, got: &[u8], msg: &[u8], verify: bool) -> Result<bool, String> {
    if *recvd + got.len() > msg.len() {
        return Err("the server sent more than it was sent".into());
    }
    if verify && got != &msg[*recvd..*recvd + got.len()] {
        return Err("echoed bytes differ from the bytes sent".into());
    }
    *recvd += got.len();
    if *recvd < msg.len() {
        return Ok(false);
    }
    *recvd = 0;
    Ok(true)
}

// ---- echo -----------------------------------------------------------------------------------

struct EchoConn {
    stream: TcpStream,
    sent: usize,
    recvd: usize,
}

fn run_echo(args: &Args) -> Result<String, String> {
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    let mut events = Events::with_capacity(1024);
    let msg = message(args.size);
    let mut buf = vec![0u8; 256 * 1024];

    // Connect everyone first; the clock starts once all are up.
    let mut conns = Vec::with_capacity(args.conns);
    for i in 0..args.conns {
        let mut stream = TcpStream::connect(args.addr).map_err(|e| format!("connect: {e}"))?;
        let _ = stream.set_nodelay(true);
        poll.registry()
            .register(
                &mut stream,
                Token(i),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| e.to_string())?;
        conns.push(EchoConn {
            stream,
            sent: 0,
            recvd: 0,
        });
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut up = vec![false; args.conns];
    let mut n_up = 0;
    while n_up < args.conns {
        let left = deadline
            .checked_duration_since(Instant::now())
            .ok_or("timed out connecting")?;
        poll.poll(&mut events, Some(left))
            .map_err(|e| e.to_string())?;
        for ev in events.iter() {
            let i = ev.token().0;
            if up[i] {
                continue;
            }
            let c = &conns[i];
            if let Ok(Some(e)) | Err(e) = c.stream.take_error() {
                return Err(format!("connect {}: {e}", args.addr));
            }
            match c.stream.peer_addr() {
                Ok(_) => {
                    up[i] = true;
                    n_up += 1;
                }
                Err(e) if e.kind() == ErrorKind::NotConnected => {}
                Err(e) => return Err(format!("connect {}: {e}", args.addr)),
            }
        }
    }

    let mut clock = Clock::new(args);
    let mut requests = 0u64;
    let mut all: Vec<usize> = (0..args.conns).collect(); // start every connection once
    loop {
        let timeout = clock.tick();
        if clock.phase == Phase::Done {
            break;
        }
        let verify = clock.phase == Phase::Warmup;
        let measuring = clock.phase == Phase::Measure;
        let ready: Vec<usize> = if all.is_empty() {
            poll.poll(&mut events, Some(timeout))
                .map_err(|e| e.to_string())?;
            events.iter().map(|e| e.token().0).collect()
        } else {
            std::mem::take(&mut all)
        };
        for i in ready {
            let c = &mut conns[i];
            // Edge-triggered: go on until both directions would block.
            'drive: loop {
                while c.sent < msg.len() {
                    match c.stream.write(&msg[c.sent..]) {
                        Ok(n) => c.sent += n,
                        Err(e) if would_block(&e) => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => return Err(format!("write: {e}")),
                    }
                }
                loop {
                    match c.stream.read(&mut buf) {
                        Ok(0) => return Err("the server closed a connection".into()),
                        Ok(n) => {
                            if take_echo(&mut c.recvd, &buf[..n], &msg, verify)? {
                                if measuring {
                                    requests += 1;
                                }
                                c.sent = 0;
                                continue 'drive;
                            }
                        }
                        Err(e) if would_block(&e) => break 'drive,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => return Err(format!("read: {e}")),
                    }
                }
            }
        }
    }
    Ok(clock.report(args, requests, 0))
}

/// SO_LINGER {on, 0}: close() sends RST and leaves no TIME_WAIT socket behind. Without it,
/// every cycle leaves one on the client side, and picking a free local port among tens of
/// thousands of them makes connect() the most expensive part of the run.
fn reset_on_close(s: &TcpStream) {
    use std::os::fd::AsRawFd;
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid fd and a properly sized, initialised option value.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&l as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

// ---- churn ----------------------------------------------------------------------------------

struct ChurnConn {
    stream: TcpStream,
    wrote: bool,
}

fn run_churn(args: &Args) -> Result<String, String> {
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    let mut events = Events::with_capacity(1024);
    let mut buf = [0u8; 64];
    let open = |poll: &Poll, i: usize| -> io::Result<ChurnConn> {
        let mut stream = TcpStream::connect(args.addr)?;
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        Ok(ChurnConn {
            stream,
            wrote: false,
        })
    };
    let mut slots: Vec<Option<ChurnConn>> = Vec::with_capacity(args.conns);
    for i in 0..args.conns {
        slots.push(Some(open(&poll, i).map_err(|e| format!("connect: {e}"))?));
    }
    let mut clock = Clock::new(args);
    let mut tally = CycleTally::default();
    loop {
        let timeout = clock.tick();
        if clock.phase == Phase::Done {
            break;
        }
        poll.poll(&mut events, Some(timeout))
            .map_err(|e| e.to_string())?;
        for ev in events.iter() {
            let i = ev.token().0;
            let Some(c) = slots[i].as_mut() else { continue };
            // Some(true): the cycle finished; Some(false): it failed; None: wait for more events.
            let outcome = (|| -> Option<bool> {
                if !c.wrote {
                    if let Ok(Some(_)) | Err(_) = c.stream.take_error() {
                        return Some(false);
                    }
                    match c.stream.peer_addr() {
                        Ok(_) => {}
                        Err(e) if e.kind() == ErrorKind::NotConnected => return None,
                        Err(_) => return Some(false),
                    }
                    match c.stream.write(b"x") {
                        Ok(1) => c.wrote = true,
                        Ok(_) => return Some(false),
                        Err(e) if would_block(&e) => return None,
                        Err(_) => return Some(false),
                    }
                }
                match c.stream.read(&mut buf) {
                    Ok(1) => Some(true),
                    Ok(_) => Some(false),
                    Err(e) if would_block(&e) => None,
                    Err(_) => Some(false),
                }
            })();
            let Some(ok) = outcome else { continue };
            tally.record(ok, &clock).map_err(|n| format!("too many failed connections ({n})"))?;
            if let Some(mut old) = slots[i].take() {
                let _ = poll.registry().deregister(&mut old.stream);
                if ok && args.rst {
                    reset_on_close(&old.stream);
                }
            }
            // A failed connect (say, no free port) is retried on the next event round.
            slots[i] = open(&poll, i).ok();
        }
        for (i, slot) in slots.iter_mut().enumerate() {
            if slot.is_none() {
                *slot = open(&poll, i).ok();
                if slot.is_none() {
                    tally.errors += 1;
                }
            }
        }
        if slots.iter().all(Option::is_none) {
            return Err(format!("cannot connect to {}", args.addr));
        }
    }
    Ok(clock.report(args, tally.requests, tally.errors))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loadgen: {e}");
            return ExitCode::from(2);
        }
    };
    let out = match args.mode.as_str() {
        "echo" => run_echo(&args),
        "udp" => udp::run_udp(&args),
        "tls-echo" => tls::run_tls_echo(&args),
        "tls-handshake" => tls::run_tls_handshake(&args),
        _ => run_churn(&args),
    };
    match out {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}
