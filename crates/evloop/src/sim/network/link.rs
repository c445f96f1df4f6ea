//! Directed links and transmission: a message is held, dropped (partition,
//! loss) or put on the wire with a latency, in send order per link; and the
//! link faults (`hold`, `release`, `set_link`).

use std::collections::VecDeque;

use super::connection::Conn;
use super::message::{Cause, Msg, MsgKind, NetEvent};
use super::{rto, World};
use crate::sim::decisions::Stream;
use crate::sim::rng::Rng;
use crate::sim::{ConnId, HostId};

pub(in crate::sim) struct Link {
    /// `link:<src>><dst>`.
    pub(in crate::sim) rng: Stream,
    latency: Option<(f64, f64)>,
    loss: Option<f64>,
    /// Probability that a datagram is delivered twice.
    duplicate: Option<f64>,
    /// Probability that a datagram skips the link's FIFO order.
    reorder: Option<f64>,
    held: bool,
    queue: VecDeque<Msg>,
    /// Latest arrival scheduled: arrivals on a link keep their send order.
    last_arrival: f64,
}

impl World {
    fn link(&mut self, src: HostId, dst: HostId) -> &mut Link {
        let seed = self.opts.seed;
        let (a, b, ledger) = (&self.hosts[src].name, &self.hosts[dst].name, &self.ledger);
        self.links.entry((src, dst)).or_insert_with(|| Link {
            rng: ledger.stream(format!("link:{a}>{b}"), Rng::for_link(seed, a, b)),
            latency: None,
            loss: None,
            duplicate: None,
            reorder: None,
            held: false,
            queue: VecDeque::new(),
            last_arrival: 0.0,
        })
    }

    /// Puts a message on its link: counted as sent and traced, then routed.
    pub(super) fn send(&mut self, msg: Msg) {
        let held = !msg.forced && self.link(msg.src, msg.dst).held;
        self.stats.sent += 1;
        if self.trace.borrow().enabled {
            let mut f = msg.fields("to", &self.hosts[msg.dst].name);
            if held {
                f.push(("held", true.into()));
            }
            if msg.forced {
                f.push(("crash", true.into()));
            }
            self.record(msg.src, "send", f);
        }
        self.route(msg);
    }

    fn route(&mut self, msg: Msg) {
        if msg.forced {
            return self.put_on_wire(msg);
        }
        let default_loss = self.opts.loss;
        let blocked = self.blocked.contains(&(msg.src, msg.dst));
        let link = self.link(msg.src, msg.dst);
        if link.held {
            link.queue.push_back(msg);
            self.stats.held += 1;
            return;
        }
        if blocked {
            return self.drop_msg(msg, Cause::Partition);
        }
        let loss = link.loss.unwrap_or(default_loss);
        if loss > 0.0 && link.rng.next_f64() < loss {
            return self.drop_msg(msg, Cause::Loss);
        }
        // Draws only on links that duplicate, so other runs keep their traces.
        let duplicate = link.duplicate.unwrap_or(0.0);
        if let MsgKind::Datagram { from_port, to_port, bytes } = &msg.kind {
            if duplicate > 0.0 && link.rng.next_f64() < duplicate {
                let copy = Msg {
                    kind: MsgKind::Datagram { from_port: *from_port, to_port: *to_port, bytes: bytes.clone() },
                    ..msg
                };
                self.stats.sent += 1;
                if self.trace.borrow().enabled {
                    let mut f = copy.fields("to", &self.hosts[copy.dst].name);
                    f.push(("duplicate", true.into()));
                    self.record(copy.src, "send", f);
                }
                self.put_on_wire(copy);
            }
        }
        self.put_on_wire(msg);
    }

    fn put_on_wire(&mut self, msg: Msg) {
        let now = self.now();
        let (lo, hi) = self.opts.latency;
        let link = self.link(msg.src, msg.dst);
        let (lo, hi) = link.latency.unwrap_or((lo, hi));
        let drawn = now + link.rng.uniform(lo, hi);
        let reorder = link.reorder.unwrap_or(0.0);
        if msg.kind.is_datagram() && reorder > 0.0 && link.rng.next_f64() < reorder {
            // Out of order: its own latency, not after the ones before it.
            return self.schedule(drawn, NetEvent::Arrive(msg));
        }
        let arrival = drawn.max(link.last_arrival);
        link.last_arrival = arrival;
        self.schedule(arrival, NetEvent::Arrive(msg));
    }

    pub(super) fn drop_msg(&mut self, msg: Msg, cause: Cause) {
        match cause {
            Cause::Loss => self.stats.dropped.loss += 1,
            Cause::Partition => self.stats.dropped.partition += 1,
            Cause::Crash => self.stats.dropped.crash += 1,
        }
        if self.trace.borrow().enabled {
            let mut f = msg.fields("from", &self.hosts[msg.src].name);
            f.insert(0, ("cause", cause.name().into()));
            self.record(msg.dst, "drop", f);
        }
        if msg.kind.is_datagram() {
            return;
        }
        let t = self.now() + rto(msg.attempt);
        self.schedule(t, NetEvent::Retry(msg));
    }

    fn new_msg(&self, c: &Conn, conn: ConnId, dir: usize, kind: MsgKind) -> Msg {
        Msg {
            src: c.sides[dir].host,
            dst: c.sides[1 - dir].host,
            conn,
            dir,
            kind,
            attempt: 0,
            first_sent: self.now(),
            forced: false,
        }
    }

    /// Sends a message of connection `id` from side `dir`.
    pub(super) fn send_on(&mut self, id: ConnId, dir: usize, kind: MsgKind) {
        let Some(c) = self.conns.get(&id) else { return };
        let msg = self.new_msg(c, id, dir, kind);
        self.send(msg);
    }

    pub(crate) fn hold(&mut self, a: HostId, b: HostId) {
        self.link(a, b).held = true;
    }

    /// Ends a hold: the waiting messages are routed now, in order. Returns how many.
    pub(crate) fn release(&mut self, a: HostId, b: HostId) -> usize {
        let link = self.link(a, b);
        link.held = false;
        let queue = std::mem::take(&mut link.queue);
        let n = queue.len();
        for msg in queue {
            self.route(msg);
        }
        n
    }

    pub(crate) fn set_link(&mut self, a: HostId, b: HostId, opts: &crate::sim::LinkOptions) {
        let link = self.link(a, b);
        if opts.latency.is_some() {
            link.latency = opts.latency;
        }
        if opts.loss.is_some() {
            link.loss = opts.loss;
        }
        if opts.duplicate.is_some() {
            link.duplicate = opts.duplicate;
        }
        if opts.reorder.is_some() {
            link.reorder = opts.reorder;
        }
    }
}
