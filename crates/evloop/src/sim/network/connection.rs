//! A connection's state: its two sides, its two pipes (segments reordered
//! into a byte stream), and the readiness a side's socket shows.

use std::collections::{BTreeMap, VecDeque};

use super::WINDOW;
use crate::future::Future;
use crate::selector::{Fd, Interest};
use crate::sim::HostId;
use crate::sim::host::HostState;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SideState {
    /// The server side before the SYN arrived.
    Unborn,
    /// Arrived, waiting in the listener's queue for `accept()`.
    Queued,
    /// A socket owns it.
    Open,
    /// Its socket was closed.
    Closed,
    /// Its host crashed.
    Crashed,
}

pub(crate) struct Side {
    pub(crate) host: HostId,
    pub(crate) life: u32,
    pub(crate) port: u16,
    pub(crate) fd: Option<Fd>,
    pub(crate) state: SideState,
    /// Reported by `recv`/`send` from now on (ECONNRESET, ETIMEDOUT).
    pub(crate) error: Option<i32>,
    /// `shutdown(SHUT_WR)` or close sent the FIN.
    pub(crate) shut_wr: bool,
}

impl Side {
    pub(super) fn alive(&self) -> bool {
        matches!(self.state, SideState::Queued | SideState::Open)
    }
    pub(super) fn gone(&self) -> bool {
        matches!(self.state, SideState::Unborn | SideState::Closed | SideState::Crashed)
    }
}

pub(super) enum Payload {
    Data(Vec<u8>),
    Fin,
}

#[derive(Default)]
pub(crate) struct Pipe {
    pub(super) next_seq: u64,
    /// Bytes sent and not yet arrived.
    pub(super) in_flight: usize,
    recv_next: u64,
    reorder: BTreeMap<u64, Payload>,
    reorder_bytes: usize,
    /// Arrived in order, not yet read.
    pub(super) buffered: VecDeque<u8>,
    /// The FIN arrived in order.
    pub(super) eof: bool,
}

impl Pipe {
    pub(super) fn unread(&self) -> usize {
        self.in_flight + self.reorder_bytes + self.buffered.len()
    }

    pub(super) fn accept_segment(&mut self, seq: u64, payload: Payload) {
        if seq < self.recv_next || self.reorder.contains_key(&seq) {
            return;
        }
        if let Payload::Data(b) = &payload {
            self.reorder_bytes += b.len();
        }
        self.reorder.insert(seq, payload);
        while let Some(p) = self.reorder.remove(&self.recv_next) {
            match p {
                Payload::Data(b) => {
                    self.reorder_bytes -= b.len();
                    self.buffered.extend(b);
                }
                Payload::Fin => self.eof = true,
            }
            self.recv_next += 1;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ConnState {
    Connecting,
    Established,
    Failed,
}

pub(crate) struct Conn {
    pub(crate) sides: [Side; 2],
    pub(crate) pipes: [Pipe; 2],
    pub(crate) state: ConnState,
    /// No more retransmissions or data: reset, timed out or crashed.
    pub(crate) aborted: bool,
    /// Completed when the connect succeeds or fails.
    pub(super) waiter: Option<Future<()>>,
}

/// Readiness of one side's socket.
fn readiness(c: &Conn, side: usize) -> Interest {
    let s = &c.sides[side];
    if s.state != SideState::Open {
        return Interest::NONE;
    }
    let inp = &c.pipes[1 - side];
    let out = &c.pipes[side];
    let mut r = Interest::NONE;
    if !inp.buffered.is_empty() || inp.eof || s.error.is_some() {
        r = r.union(Interest::READ);
    }
    let can_send = side == 1 || c.state == ConnState::Established;
    if s.error.is_some() || s.shut_wr || (can_send && out.unread() < WINDOW) {
        r = r.union(Interest::WRITE);
    }
    r
}

/// Pushes a side's readiness to its host's selector.
pub(super) fn refresh_side(hosts: &[HostState], c: &Conn, side: usize) {
    let s = &c.sides[side];
    let Some(fd) = s.fd else { return };
    let h = &hosts[s.host];
    if s.state == SideState::Open && !h.crashed && h.life == s.life {
        h.io.borrow_mut().set_ready(fd, readiness(c, side));
    }
}
