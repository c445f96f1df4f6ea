//! Datagrams over the simulated network: bound datagram sockets per host
//! and port, and what sending and an arriving datagram do.
//!
//! A datagram crosses its directed link like a segment: held, dropped for
//! a partition, lost at random, or put on the wire with a latency (FIFO per
//! link, unless the link reorders datagrams); it is dropped on arrival at a
//! crashed host or across a new partition. It is never re-sent. A link may
//! also duplicate datagrams. A datagram to a port where no datagram socket
//! is bound is answered, one link later, by a port-unreachable notice; the
//! sending socket gets `ECONNREFUSED` from its next receive only if it is
//! connected to that address (as Linux reports ICMP errors). A socket whose
//! queue holds [`WINDOW`] bytes drops what arrives (counted as loss).

use std::collections::VecDeque;
use std::io;

use super::message::{Msg, MsgKind};
use super::{World, WINDOW};
use crate::errno::{EBADF, ECONNREFUSED};
use crate::net::Address;
use crate::selector::{Fd, Interest};
use crate::sim::HostId;

/// A bound datagram socket of a host.
pub(crate) struct DatagramState {
    pub(crate) fd: Fd,
    /// Received datagrams: bytes, sender host and port.
    queue: VecDeque<(Vec<u8>, HostId, u16)>,
    queued: usize,
    /// An error for the next receive (`ECONNREFUSED`).
    error: Option<i32>,
    /// The connected peer, if any.
    pub(crate) peer: Option<(HostId, u16)>,
}

fn os_err(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

impl World {
    /// Binds a datagram socket on `port` (0: an ephemeral one).
    pub(crate) fn dgram_bind(&mut self, me: HostId, port: u16) -> Result<(u16, Fd), i32> {
        let h = &mut self.hosts[me];
        let port = if port == 0 { h.ephemeral_datagram_port() } else { port };
        if h.datagrams.contains_key(&port) {
            return Err(crate::errno::EADDRINUSE);
        }
        let fd = h.fds.alloc();
        h.datagrams.insert(port, DatagramState { fd, queue: VecDeque::new(), queued: 0, error: None, peer: None });
        // Always writable: a simulated datagram socket never blocks a send.
        h.io.borrow_mut().set_ready(fd, Interest::WRITE);
        Ok((port, fd))
    }

    pub(crate) fn dgram_connect(&mut self, me: HostId, port: u16, peer: (HostId, u16)) {
        if let Some(s) = self.hosts[me].datagrams.get_mut(&port) {
            s.peer = Some(peer);
        }
    }

    fn live_socket(&mut self, me: HostId, life: u32, port: u16) -> io::Result<&mut DatagramState> {
        let h = &mut self.hosts[me];
        if h.crashed || h.life != life {
            return Err(os_err(EBADF));
        }
        h.datagrams.get_mut(&port).ok_or_else(|| os_err(EBADF))
    }

    /// Sends one datagram from `me:port` to `to`.
    pub(crate) fn dgram_send(&mut self, me: HostId, life: u32, port: u16, to: (HostId, u16), bytes: &[u8]) -> io::Result<usize> {
        self.live_socket(me, life, port)?;
        let (dst, to_port) = to;
        self.send(Msg {
            src: me,
            dst,
            conn: 0,
            dir: 0,
            kind: MsgKind::Datagram { from_port: port, to_port, bytes: bytes.to_vec() },
            attempt: 0,
            first_sent: self.now(),
            forced: false,
        });
        Ok(bytes.len())
    }

    /// One received datagram, its sender, or the pending error.
    pub(crate) fn dgram_recv(&mut self, me: HostId, life: u32, port: u16, buf: &mut [u8]) -> io::Result<(usize, Address)> {
        let s = self.live_socket(me, life, port)?;
        let fd = s.fd;
        let result = match s.queue.pop_front() {
            Some((bytes, from, from_port)) => {
                s.queued -= bytes.len();
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                Ok((n, from, from_port))
            }
            None => match s.error.take() {
                Some(errno) => Err(os_err(errno)),
                None => Err(io::ErrorKind::WouldBlock.into()),
            },
        };
        let ready = if s.queue.is_empty() && s.error.is_none() { Interest::WRITE } else { Interest::BOTH };
        let h = &self.hosts[me];
        h.io.borrow_mut().set_ready(fd, ready);
        let (n, from, from_port) = result?;
        Ok((n, Address::Sim { host: self.hosts[from].name.to_string(), port: from_port }))
    }

    pub(crate) fn dgram_close(&mut self, me: HostId, life: u32, port: u16) {
        let h = &mut self.hosts[me];
        if h.crashed || h.life != life {
            return;
        }
        let Some(s) = h.datagrams.remove(&port) else { return };
        h.io.borrow_mut().forget(s.fd);
        h.fds.release(s.fd);
    }

    /// A datagram arrived at `dst`.
    pub(super) fn on_datagram(&mut self, src: HostId, dst: HostId, from_port: u16, to_port: u16, bytes: Vec<u8>) {
        let h = &mut self.hosts[dst];
        let Some(s) = h.datagrams.get_mut(&to_port) else {
            // Port unreachable: the sender is told, one link later.
            return self.send(Msg {
                src: dst,
                dst: src,
                conn: 0,
                dir: 0,
                kind: MsgKind::Unreachable { from_port, to_port },
                attempt: 0,
                first_sent: self.now(),
                forced: false,
            });
        };
        if s.queued + bytes.len() > WINDOW {
            // The receive buffer is full: lost, as UDP loses it.
            self.stats.dropped.loss += 1;
            if self.trace.borrow().enabled {
                let from = self.hosts[src].name.clone();
                let f = vec![
                    ("cause", "loss".into()),
                    ("from", from.into()),
                    ("msg", "datagram".into()),
                    ("from_port", from_port.into()),
                    ("port", to_port.into()),
                    ("bytes", bytes.len().into()),
                ];
                self.record(dst, "drop", f);
            }
            return;
        }
        s.queued += bytes.len();
        s.queue.push_back((bytes, src, from_port));
        let fd = s.fd;
        h.io.borrow_mut().set_ready(fd, Interest::BOTH);
    }

    /// A port-unreachable notice reached the sender `dst` (its `from_port`
    /// sent to `src:to_port`).
    pub(super) fn on_unreachable(&mut self, src: HostId, dst: HostId, from_port: u16, to_port: u16) {
        let h = &mut self.hosts[dst];
        let Some(s) = h.datagrams.get_mut(&from_port) else { return };
        if s.peer != Some((src, to_port)) {
            return;
        }
        s.error = Some(ECONNREFUSED);
        let fd = s.fd;
        h.io.borrow_mut().set_ready(fd, Interest::BOTH);
    }
}
