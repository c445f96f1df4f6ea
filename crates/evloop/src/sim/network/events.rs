//! The network's event queue, ordered by `(time, seq)`, and the timers it
//! runs: retransmissions and connect timeouts.

use std::cmp::Ordering;

use super::World;
use super::connection::{ConnState, SideState};
use super::message::{Msg, MsgKind, NetEvent};
use crate::errno::{ECONNRESET, ETIMEDOUT};
use crate::sim::ConnId;

pub(super) struct Timed {
    t: f64,
    seq: u64,
    ev: NetEvent,
}

impl PartialEq for Timed {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Timed {}
impl PartialOrd for Timed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timed {
    /// Reversed: `BinaryHeap` is a max-heap and the earliest `(t, seq)` goes first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.t.total_cmp(&self.t).then(other.seq.cmp(&self.seq))
    }
}

impl World {
    pub(super) fn schedule(&mut self, t: f64, ev: NetEvent) {
        self.next_seq += 1;
        self.events.push(Timed { t, seq: self.next_seq, ev });
    }

    /// When the next network event is due. Events that would do nothing
    /// (a retransmission or connect timeout of a connection that has moved
    /// on) are discarded first, so an idle simulation has no events left.
    pub(crate) fn next_event_time(&mut self) -> Option<f64> {
        while let Some(top) = self.events.peek() {
            if self.is_live(&top.ev) {
                return Some(top.t);
            }
            self.events.pop();
        }
        None
    }

    fn is_live(&self, ev: &NetEvent) -> bool {
        match ev {
            NetEvent::Arrive(_) => true,
            NetEvent::Retry(msg) => self.retry_live(msg),
            NetEvent::ConnectTimeout(id) => self.connect_live(*id),
        }
    }

    /// Whether re-sending `msg` still matters: a SYN or SYN-ACK while the
    /// connect is pending, data and FIN until the connection is torn down,
    /// an RST while its target has not heard of the end.
    pub(super) fn retry_live(&self, msg: &Msg) -> bool {
        if self.hosts[msg.src].crashed {
            return false;
        }
        self.conns.get(&msg.conn).is_some_and(|c| {
            let (sender, target) = (&c.sides[msg.dir], &c.sides[1 - msg.dir]);
            let connecting = c.state == ConnState::Connecting && c.sides[0].state == SideState::Open && !c.aborted;
            match msg.kind {
                MsgKind::Syn => connecting,
                MsgKind::SynAck => connecting && sender.alive(),
                // A sender that has not heard of the end keeps re-sending:
                // the peer answers with a reset once a segment gets through.
                MsgKind::Data { .. } | MsgKind::Fin { .. } => {
                    sender.state != SideState::Crashed && (!c.aborted || (sender.alive() && sender.error.is_none()))
                }
                MsgKind::Rst { .. } => c.state != ConnState::Failed && target.alive() && target.error.is_none(),
                // Never re-sent.
                MsgKind::Datagram { .. } | MsgKind::Unreachable { .. } => false,
            }
        })
    }

    /// Whether connection `id` is still waiting for its connect.
    fn connect_live(&self, id: ConnId) -> bool {
        self.conns.get(&id).is_some_and(|c| c.state == ConnState::Connecting && c.sides[0].state == SideState::Open)
    }

    pub(crate) fn pop_event(&mut self) -> Option<NetEvent> {
        self.events.pop().map(|e| e.ev)
    }

    /// Runs one network event at the current time.
    pub(crate) fn handle(&mut self, ev: NetEvent) {
        match ev {
            NetEvent::Arrive(msg) => self.arrive(msg),
            NetEvent::Retry(msg) => self.retry(msg),
            NetEvent::ConnectTimeout(id) => self.connect_timeout(id),
        }
    }

    fn retry(&mut self, mut msg: Msg) {
        if !self.retry_live(&msg) {
            return;
        }
        if self.now() - msg.first_sent >= self.opts.stream_timeout {
            match msg.kind {
                // A connect gives up at its own timeout.
                MsgKind::Syn => {}
                MsgKind::Data { .. } | MsgKind::Fin { .. } => return self.time_out(msg.conn, msg.dir),
                MsgKind::SynAck => return,
                // A reset keeps being re-sent (at the 1 s cap) while its
                // target is alive and has not heard of the end: otherwise a
                // peer whose own data all got through would wait forever
                // once a partition heals. `retry_live` stops it as soon as
                // the target knows, closes, or crashes.
                MsgKind::Rst { .. } => {}
                MsgKind::Datagram { .. } | MsgKind::Unreachable { .. } => return,
            }
        }
        msg.attempt += 1;
        self.send(msg);
    }

    /// Side `dir` could not get its data through for `stream_timeout`.
    fn time_out(&mut self, id: ConnId, dir: usize) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        c.aborted = true;
        self.reset_side(id, dir, ETIMEDOUT);
        // Tell the peer, as TCP does; it may not get through either.
        self.send_on(id, dir, MsgKind::Rst { errno: ECONNRESET });
    }

    fn connect_timeout(&mut self, id: ConnId) {
        if self.connect_live(id) {
            self.fail_connect(id, ETIMEDOUT);
        }
    }
}
