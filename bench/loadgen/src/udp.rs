//! `loadgen udp`: `--conns` UDP sockets connected to the server, each with exactly one
//! `--size`-byte datagram outstanding: send it, wait for the echo, repeat. A request counts
//! when its echo is back. A datagram whose echo has not come back within 200 ms counts as
//! lost (`errors`) and is sent again, so a dropped datagram never stalls a socket.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};

use super::stats::{Clock, Phase};
use super::{message, would_block, Args};

const LOST_AFTER: Duration = Duration::from_millis(200);

struct Client {
    sock: UdpSocket,
    /// When the outstanding datagram went out; `None` while it waits to be sent.
    sent_at: Option<Instant>,
}

fn send(c: &mut Client, msg: &[u8]) -> Result<(), String> {
    match c.sock.send(msg) {
        Ok(_) => {
            c.sent_at = Some(Instant::now());
            Ok(())
        }
        Err(e) if would_block(&e) || e.kind() == ErrorKind::Interrupted => {
            c.sent_at = None;
            Ok(())
        }
        // An ICMP error from a server that is not (yet) there: try again later.
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
            c.sent_at = Some(Instant::now());
            Ok(())
        }
        Err(e) => Err(format!("send: {e}")),
    }
}

pub(super) fn run_udp(args: &Args) -> Result<String, String> {
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    let mut events = Events::with_capacity(1024);
    let msg = message(args.size);
    let mut buf = vec![0u8; 64 * 1024];
    let mut clients = Vec::with_capacity(args.conns);
    for i in 0..args.conns {
        let mut sock = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).map_err(|e| format!("bind: {e}"))?;
        sock.connect(args.addr).map_err(|e| format!("connect: {e}"))?;
        poll.registry()
            .register(&mut sock, Token(i), Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| e.to_string())?;
        clients.push(Client { sock, sent_at: None });
    }
    let mut clock = Clock::new(args);
    let mut requests = 0u64;
    let mut lost = 0u64;
    for c in &mut clients {
        send(c, &msg)?;
    }
    loop {
        let timeout = clock.tick();
        if clock.phase == Phase::Done {
            break;
        }
        let verify = clock.phase == Phase::Warmup;
        let measuring = clock.phase == Phase::Measure;
        poll.poll(&mut events, Some(timeout.min(LOST_AFTER / 4))).map_err(|e| e.to_string())?;
        for ev in events.iter() {
            let c = &mut clients[ev.token().0];
            loop {
                match c.sock.recv(&mut buf) {
                    Ok(n) => {
                        if n != msg.len() || (verify && buf[..n] != msg[..]) {
                            return Err("the echoed datagram differs from the one sent".into());
                        }
                        if measuring {
                            requests += 1;
                        }
                        send(c, &msg)?;
                    }
                    Err(e) if would_block(&e) => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted || e.kind() == ErrorKind::ConnectionRefused => {}
                    Err(e) => return Err(format!("recv: {e}")),
                }
            }
            if c.sent_at.is_none() {
                send(c, &msg)?;
            }
        }
        let now = Instant::now();
        for c in &mut clients {
            if c.sent_at.is_some_and(|t| now - t >= LOST_AFTER) {
                if measuring {
                    lost += 1;
                }
                send(c, &msg)?;
            }
        }
    }
    Ok(clock.report(args, requests, lost))
}
