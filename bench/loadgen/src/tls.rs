//! The TLS modes, on rustls (ring) with session resumption off, so that every connection
//! makes a full handshake; the server's certificate is verified against `--ca` (PEM) for
//! the name `--server-name` (default `localhost`).
//!
//! - `tls-echo`: as `echo`, over TLS: `--conns` connections, all handshaken before the
//!   clock starts, each with exactly one `--size`-byte message outstanding.
//! - `tls-handshake`: `--conns` concurrent cycles of connect, full handshake, 1-byte echo,
//!   close_notify, close (RST by default, as `churn`; `--close fin` closes normally). A
//!   request is one cycle, so the server's CPU per request is its CPU per handshake.

use std::io::{self, ErrorKind, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

use super::stats::{Clock, CycleTally, Phase};
use super::{message, reset_on_close, take_echo, would_block, Args};

/// The client configuration: the bench's CA as the only root, no resumption.
fn client_config(args: &Args) -> Result<Arc<ClientConfig>, String> {
    let ca = args.ca.as_deref().ok_or("the TLS modes need --ca FILE (the server's CA, PEM)")?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| format!("--ca {ca}: {e}"))? {
        roots
            .add(cert.map_err(|e| format!("--ca {ca}: {e}"))?)
            .map_err(|e| format!("--ca {ca}: {e}"))?;
    }
    // ring, as the evloop crate: rustls deprecates it only for lacking post-quantum key
    // exchange, which the servers compared here do not all offer either.
    #[allow(deprecated)]
    let mut provider = rustls::crypto::ring::default_provider();
    // X25519 first, as OpenSSL, browsers and curl offer it: rustls's ring provider lists
    // P-384 first, and servers take the client's first group they support, so every
    // handshake would otherwise be a P-384 one (ring's P-384 is generic code, about 80%
    // of a server's handshake).
    provider.kx_groups.sort_by_key(|g| kx_rank(g.name()));
    let provider = Arc::new(provider);
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    Ok(Arc::new(config))
}

/// OpenSSL's order of the groups ring has.
fn kx_rank(group: rustls::NamedGroup) -> u8 {
    match group {
        rustls::NamedGroup::X25519 => 0,
        rustls::NamedGroup::secp256r1 => 1,
        rustls::NamedGroup::secp384r1 => 2,
        _ => 3,
    }
}

fn server_name(args: &Args) -> Result<ServerName<'static>, String> {
    ServerName::try_from(args.server_name.clone()).map_err(|e| format!("--server-name {}: {e}", args.server_name))
}

/// One TLS client connection, driven by hand over a non-blocking socket.
struct TlsConn {
    stream: TcpStream,
    tls: ClientConnection,
}

/// What a [`TlsConn::drive`] round saw.
#[derive(Default)]
struct Progress {
    /// Plaintext bytes read into the caller's buffer (0 when none).
    plaintext: usize,
    /// The server closed (TCP EOF).
    eof: bool,
}

impl TlsConn {
    fn open(poll: &Poll, token: usize, args: &Args, config: &Arc<ClientConfig>, name: &ServerName<'static>) -> io::Result<TlsConn> {
        let mut stream = TcpStream::connect(args.addr)?;
        let _ = stream.set_nodelay(true);
        poll.registry()
            .register(&mut stream, Token(token), Interest::READABLE | Interest::WRITABLE)?;
        let tls = ClientConnection::new(config.clone(), name.clone()).map_err(io::Error::other)?;
        Ok(TlsConn { stream, tls })
    }

    /// Moves ciphertext both ways until the socket would block, and reads plaintext into
    /// `buf` (at most its length). Edge-triggered readiness: the caller calls again after
    /// taking the plaintext, until `plaintext` is 0.
    fn drive(&mut self, buf: &mut [u8]) -> Result<Progress, String> {
        let mut p = Progress::default();
        loop {
            let mut moved = false;
            while self.tls.wants_write() {
                match self.tls.write_tls(&mut self.stream) {
                    Ok(_) => moved = true,
                    Err(e) if would_block(&e) => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(format!("write: {e}")),
                }
            }
            // Plaintext first: rustls refuses to read more records while its plaintext
            // buffer is full.
            match self.tls.reader().read(buf) {
                Ok(n) if n > 0 => {
                    p.plaintext = n;
                    return Ok(p);
                }
                Ok(_) => {}
                Err(e) if would_block(&e) => {}
                Err(e) => return Err(format!("read: {e}")),
            }
            if self.tls.wants_read() {
                match self.tls.read_tls(&mut self.stream) {
                    Ok(0) => {
                        p.eof = true;
                        return Ok(p);
                    }
                    Ok(_) => {
                        self.tls.process_new_packets().map_err(|e| format!("TLS: {e}"))?;
                        moved = true;
                    }
                    Err(e) if would_block(&e) => {}
                    Err(e) if e.kind() == ErrorKind::Interrupted => moved = true,
                    Err(e) => return Err(format!("read: {e}")),
                }
            }
            if !moved {
                return Ok(p);
            }
        }
    }

    /// Queues plaintext (rustls buffers what the socket cannot take yet).
    fn send(&mut self, msg: &[u8]) -> Result<(), String> {
        self.tls.writer().write_all(msg).map_err(|e| format!("TLS write: {e}"))
    }
}

// ---- tls-echo -------------------------------------------------------------------------------

struct EchoState {
    conn: TlsConn,
    recvd: usize,
    /// The first message went out (after the handshake).
    started: bool,
}

pub fn run_tls_echo(args: &Args) -> Result<String, String> {
    let config = client_config(args)?;
    let name = server_name(args)?;
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    let mut events = Events::with_capacity(1024);
    let msg = message(args.size);
    let mut buf = vec![0u8; 256 * 1024];

    let mut conns = Vec::with_capacity(args.conns);
    for i in 0..args.conns {
        let mut conn = TlsConn::open(&poll, i, args, &config, &name).map_err(|e| format!("connect: {e}"))?;
        // No plaintext buffer limit: a 100 KiB message is queued whole.
        conn.tls.set_buffer_limit(None);
        conns.push(EchoState { conn, recvd: 0, started: false });
    }
    // Handshake everyone first; the clock starts once all are up.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut pending: Vec<usize> = (0..args.conns).collect();
    let mut n_up = 0;
    while n_up < args.conns {
        for i in std::mem::take(&mut pending) {
            let c = &mut conns[i];
            if c.started {
                continue;
            }
            let p = c.conn.drive(&mut buf)?;
            if p.eof || p.plaintext > 0 {
                return Err("the server closed or sent data during the handshake".into());
            }
            if !c.conn.tls.is_handshaking() {
                c.started = true;
                n_up += 1;
            }
        }
        if n_up == args.conns {
            break;
        }
        let left = deadline.checked_duration_since(Instant::now()).ok_or("timed out handshaking")?;
        poll.poll(&mut events, Some(left)).map_err(|e| e.to_string())?;
        pending.extend(events.iter().map(|e| e.token().0));
    }

    let mut clock = Clock::new(args);
    let mut requests = 0u64;
    for c in conns.iter_mut() {
        c.conn.send(&msg)?;
    }
    let mut ready: Vec<usize> = (0..args.conns).collect();
    loop {
        let timeout = clock.tick();
        if clock.phase == Phase::Done {
            break;
        }
        let verify = clock.phase == Phase::Warmup;
        let measuring = clock.phase == Phase::Measure;
        if ready.is_empty() {
            poll.poll(&mut events, Some(timeout)).map_err(|e| e.to_string())?;
            ready.extend(events.iter().map(|e| e.token().0));
        }
        for i in std::mem::take(&mut ready) {
            let c = &mut conns[i];
            loop {
                let p = c.conn.drive(&mut buf)?;
                if p.eof {
                    return Err("the server closed a connection".into());
                }
                let n = p.plaintext;
                if n == 0 {
                    break;
                }
                if take_echo(&mut c.recvd, &buf[..n], &msg, verify)? {
                    if measuring {
                        requests += 1;
                    }
                    c.conn.send(&msg)?;
                }
            }
        }
    }
    Ok(clock.report(args, requests, 0))
}

// ---- tls-handshake --------------------------------------------------------------------------

struct Cycle {
    conn: TlsConn,
    wrote: bool,
}

pub fn run_tls_handshake(args: &Args) -> Result<String, String> {
    let config = client_config(args)?;
    let name = server_name(args)?;
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    let mut events = Events::with_capacity(1024);
    let mut buf = [0u8; 64];
    let open = |poll: &Poll, i: usize| TlsConn::open(poll, i, args, &config, &name).map(|conn| Cycle { conn, wrote: false });
    let mut slots: Vec<Option<Cycle>> = Vec::with_capacity(args.conns);
    for i in 0..args.conns {
        slots.push(Some(open(&poll, i).map_err(|e| format!("connect: {e}"))?));
    }
    let mut clock = Clock::new(args);
    let mut tally = CycleTally::default();
    let mut last_error = String::new();
    let mut ready: Vec<usize> = (0..args.conns).collect();
    loop {
        let timeout = clock.tick();
        if clock.phase == Phase::Done {
            break;
        }
        if ready.is_empty() {
            poll.poll(&mut events, Some(timeout)).map_err(|e| e.to_string())?;
            ready.extend(events.iter().map(|e| e.token().0));
        }
        for i in std::mem::take(&mut ready) {
            let Some(c) = slots[i].as_mut() else { continue };
            // Some(true): the cycle finished; Some(false): it failed; None: wait for more.
            let outcome = (|| -> Option<bool> {
                loop {
                    let p = match c.conn.drive(&mut buf) {
                        Ok(p) => p,
                        Err(e) => {
                            last_error = e;
                            return Some(false);
                        }
                    };
                    if p.plaintext > 0 {
                        return Some(c.wrote && p.plaintext == 1);
                    }
                    if p.eof {
                        last_error = "the server closed before echoing".into();
                        return Some(false);
                    }
                    if c.wrote || c.conn.tls.is_handshaking() {
                        return None;
                    }
                    if c.conn.send(b"x").is_err() {
                        return Some(false);
                    }
                    c.wrote = true;
                }
            })();
            let Some(ok) = outcome else { continue };
            tally
                .record(ok, &clock)
                .map_err(|n| format!("too many failed connections ({n}; last: {last_error})"))?;
            if let Some(mut old) = slots[i].take() {
                if ok {
                    // close_notify, as a well-behaved client does; then the socket goes.
                    old.conn.tls.send_close_notify();
                    let _ = old.conn.tls.write_tls(&mut old.conn.stream);
                    if args.rst {
                        reset_on_close(&old.conn.stream);
                    }
                }
                let _ = poll.registry().deregister(&mut old.conn.stream);
            }
            slots[i] = open(&poll, i).ok();
            if slots[i].is_some() {
                ready.push(i);
            }
        }
        for (i, slot) in slots.iter_mut().enumerate() {
            if slot.is_none() {
                *slot = open(&poll, i).ok();
                if slot.is_some() {
                    ready.push(i);
                } else {
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
