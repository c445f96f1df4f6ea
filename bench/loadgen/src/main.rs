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

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

mod tls;
mod udp;

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

/// Linux reports utime/stime in USER_HZ ticks, which is 100 on every architecture it runs on.
const TICKS_PER_SEC: f64 = 100.0;

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

// ---- CPU accounting from /proc ---------------------------------------------------------

/// Fields after the `(comm)` of /proc/PID/stat: index 0 is field 3 (state). The command
/// name may hold spaces and parentheses, so split after the last `)`.
fn parse_stat(s: &str) -> Option<Vec<String>> {
    let rest = &s[s.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

fn stat_fields(pid: &str) -> Option<Vec<String>> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// utime + stime of one process (all its threads), in ticks.
fn cpu_ticks(pid: &str) -> Option<u64> {
    ticks_of(&stat_fields(pid)?)
}

fn ticks_of(f: &[String]) -> Option<u64> {
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// `root` and all its descendants.
fn process_tree(root: u32) -> Vec<String> {
    let mut children: HashMap<String, Vec<String>> = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Some(f) = stat_fields(&name) {
                if let Some(ppid) = f.get(1) {
                    children.entry(ppid.clone()).or_default().push(name);
                }
            }
        }
    }
    let mut out = vec![root.to_string()];
    let mut i = 0;
    while i < out.len() {
        if let Some(c) = children.get(&out[i]) {
            out.extend(c.iter().cloned());
        }
        i += 1;
    }
    out
}

struct CpuProbe {
    pids: Vec<String>,
}

impl CpuProbe {
    fn new(root: Option<u32>) -> Self {
        CpuProbe {
            pids: root.map(process_tree).unwrap_or_default(),
        }
    }
    /// Seconds of CPU used so far by the tree, or None without `--pid`.
    fn read(&self) -> Option<f64> {
        if self.pids.is_empty() {
            return None;
        }
        Some(self.pids.iter().filter_map(|p| cpu_ticks(p)).sum::<u64>() as f64 / TICKS_PER_SEC)
    }
}

/// Machine-wide CPU time in ticks spent in user, nice, system and steal (other guests), from
/// the first line of /proc/stat. Interrupt time is left out: the loopback traffic of the run
/// itself is processed there.
fn machine_ticks() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/stat").ok()?;
    let f: Vec<u64> = s
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    Some(f.first()? + f.get(1)? + f.get(2)? + f.get(7).copied().unwrap_or(0))
}

fn self_cpu() -> f64 {
    cpu_ticks("self").unwrap_or(0) as f64 / TICKS_PER_SEC
}

// ---- the measured window -------------------------------------------------------------------

#[derive(PartialEq)]
enum Phase {
    Warmup,
    Measure,
    Done,
}

struct Clock {
    phase: Phase,
    warm_end: Instant,
    end: Instant,
    measure_start: Instant,
    cpu: CpuProbe,
    server_cpu0: Option<f64>,
    client_cpu0: f64,
    machine0: Option<u64>,
}

impl Clock {
    fn new(args: &Args) -> Self {
        let now = Instant::now();
        let warm_end = now + Duration::from_secs_f64(args.warmup);
        Clock {
            phase: Phase::Warmup,
            warm_end,
            end: warm_end + Duration::from_secs_f64(args.duration),
            measure_start: warm_end,
            cpu: CpuProbe::new(args.pid),
            server_cpu0: None,
            client_cpu0: 0.0,
            machine0: None,
        }
    }
    /// Advances the phase; returns the poll timeout until the next change.
    fn tick(&mut self) -> Duration {
        let now = Instant::now();
        if self.phase == Phase::Warmup && now >= self.warm_end {
            self.phase = Phase::Measure;
            self.measure_start = now;
            self.end = now + (self.end - self.warm_end);
            self.server_cpu0 = self.cpu.read();
            self.client_cpu0 = self_cpu();
            self.machine0 = machine_ticks();
        }
        if self.phase == Phase::Measure && now >= self.end {
            self.phase = Phase::Done;
        }
        match self.phase {
            Phase::Warmup => self.warm_end - now,
            Phase::Measure => self.end - now,
            Phase::Done => Duration::ZERO,
        }
    }
    fn report(&self, args: &Args, requests: u64, errors: u64) -> String {
        let secs = self.measure_start.elapsed().as_secs_f64();
        let server_cpu = match (self.server_cpu0, self.cpu.read()) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        let client_cpu = self_cpu() - self.client_cpu0;
        // Cores busy with anything but this server and this client during the window.
        let other_load = match (self.machine0, machine_ticks(), server_cpu) {
            (Some(a), Some(b), Some(srv)) => {
                format!(
                    "{:.3}",
                    ((b - a) as f64 / TICKS_PER_SEC - srv - client_cpu).max(0.0) / secs
                )
            }
            _ => "null".into(),
        };
        let rps = requests as f64 / secs;
        let bytes = if per_connection(&args.mode) { 1 } else { args.size };
        let opt = |v: Option<f64>, scale: f64| match v {
            Some(v) if requests > 0 => format!("{:.4}", v * scale / requests as f64),
            _ => "null".into(),
        };
        format!(
            "{{\"mode\":\"{}\",\"size\":{},\"conns\":{},\"seconds\":{:.4},\"requests\":{},\"rps\":{:.1},\"mbps\":{:.3},\
             \"server_cpu_s\":{},\"server_cpu_us_per_req\":{},\"client_cpu_s\":{:.3},\"client_cpu_us_per_req\":{},\
             \"other_load\":{},\"server_pids\":{},\"errors\":{}}}",
            args.mode,
            bytes,
            args.conns,
            secs,
            requests,
            rps,
            rps * bytes as f64 / 1e6,
            server_cpu.map_or("null".into(), |v| format!("{v:.3}")),
            opt(server_cpu, 1e6),
            client_cpu,
            opt(Some(client_cpu), 1e6),
            other_load,
            self.cpu.pids.len(),
            errors
        )
    }
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == ErrorKind::WouldBlock
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
    let msg: Vec<u8> = (0..args.size).map(|i| (i % 251) as u8).collect();
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
                            if c.recvd + n > msg.len() {
                                return Err("the server sent more than it was sent".into());
                            }
                            if verify && buf[..n] != msg[c.recvd..c.recvd + n] {
                                return Err("echoed bytes differ from the bytes sent".into());
                            }
                            c.recvd += n;
                            if c.recvd == msg.len() {
                                if measuring {
                                    requests += 1;
                                }
                                c.sent = 0;
                                c.recvd = 0;
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
    let (mut requests, mut errors, mut completed) = (0u64, 0u64, 0u64);
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
            if ok {
                completed += 1;
                if clock.phase == Phase::Measure {
                    requests += 1;
                }
            } else {
                errors += 1;
                if errors > 1000 && errors > completed {
                    return Err(format!("too many failed connections ({errors})"));
                }
            }
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
                    errors += 1;
                }
            }
        }
        if slots.iter().all(Option::is_none) {
            return Err(format!("cannot connect to {}", args.addr));
        }
    }
    Ok(clock.report(args, requests, errors))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_an_awkward_command_name() {
        let line =
            "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 31 7 0 0 20 0 1 0 123 1000 10";
        let f = parse_stat(line).unwrap();
        assert_eq!(f[0], "S");
        assert_eq!(f[1], "1"); // ppid
        assert_eq!(ticks_of(&f), Some(38));
    }

    #[test]
    fn own_process_tree_and_cpu() {
        let me = std::process::id();
        assert_eq!(process_tree(me)[0], me.to_string());
        assert!(cpu_ticks(&me.to_string()).is_some());
        assert!(CpuProbe::new(Some(me)).read().is_some());
        assert!(CpuProbe::new(None).read().is_none());
    }
}
