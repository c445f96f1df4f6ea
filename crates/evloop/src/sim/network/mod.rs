//! The simulated network: links, messages in flight, connections.
//!
//! A connection is two sides (0: the connecting client, 1: the accepted
//! server side) and two pipes (`pipes[d]` carries side `d`'s bytes to the
//! other side). Bytes go as segments of at most [`MSS`] bytes, numbered per
//! pipe; the receiver hands them to its socket in sequence order, so the
//! stream is reliable and ordered even though a lost segment is re-sent
//! later than the ones after it.
//!
//! Every message crosses a directed link `(src, dst)`, made when first used,
//! with its own random stream. A transmission is, in this order: held (the
//! link is on `hold`: it waits in the link's queue), dropped for a
//! partition, dropped at random (`loss`), or put on the wire with a latency
//! drawn uniformly in `[min, max]`; a link is FIFO, so a message never
//! arrives before one sent earlier on the same link. On arrival it is
//! dropped if the destination host is crashed (or the receiving socket
//! belonged to an earlier life) or a partition now separates the hosts.
//! A dropped message is re-sent after a retransmission timeout (0.2 s,
//! doubling per attempt, at most 1 s) for as long as it matters: a SYN or
//! SYN-ACK while the connect is pending, data and FIN until the connection
//! ends, an RST until its target knows; data that cannot get through for
//! `stream_timeout` ends the connection with `ETIMEDOUT`. The sender learns
//! of a drop at once and without acknowledgements: the model abstracts ACKs
//! away (TCP would re-send the SYN for a lost SYN-ACK; here the SYN-ACK is
//! re-sent, at the same cost in time), and the receive window
//! opens as soon as the receiving program reads.
//!
//! Here: [`World`] and the model's constants. `message.rs` has what crosses
//! a link, `events.rs` the event queue and its timers, `link.rs`
//! transmission and the link faults, `connection.rs` a connection's state,
//! `arrival.rs` what an arriving message does, `sockets.rs` what sockets
//! do, `faults.rs` crashes and partitions, `datagrams.rs` datagram sockets
//! and datagrams (never re-sent).

mod arrival;
mod connection;
mod datagrams;
mod events;
mod faults;
mod link;
mod message;
mod sockets;

use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::rc::Rc;

use super::decisions::Ledger;
use super::host::{HostState, SimClock};
use super::trace::{SimStats, Trace, TraceValue};
use super::{ConnId, HostId, SimOptions};
use crate::error::{Error, Result};
use connection::Conn;
pub(crate) use datagrams::DatagramState;
use events::Timed;
use link::Link;

/// The largest segment (bytes of one data message).
pub(crate) const MSS: usize = 16 * 1024;
/// Bytes a side may have unread by its peer (in flight or buffered there)
/// before `send` stops accepting: the socket buffer and receive window.
pub(crate) const WINDOW: usize = 256 * 1024;
/// The first retransmission timeout, doubled per attempt up to [`RTO_MAX`].
pub(crate) const RTO_MIN: f64 = 0.2;
/// The longest retransmission timeout.
pub(crate) const RTO_MAX: f64 = 1.0;

fn rto(attempt: u32) -> f64 {
    (RTO_MIN * f64::from(1u32 << attempt.min(10))).min(RTO_MAX)
}

/// The simulation's state apart from the loops' own: hosts, links,
/// connections and the network's event queue.
pub(crate) struct World {
    pub(crate) opts: SimOptions,
    pub(crate) clock: SimClock,
    pub(crate) trace: Rc<std::cell::RefCell<Trace>>,
    /// Where random streams come from (and what they recorded).
    pub(crate) ledger: Rc<Ledger>,
    pub(crate) hosts: Vec<HostState>,
    pub(crate) names: HashMap<Rc<str>, HostId>,
    pub(super) links: HashMap<(HostId, HostId), Link>,
    /// Directed pairs a partition separates.
    blocked: HashSet<(HostId, HostId)>,
    pub(crate) conns: BTreeMap<ConnId, Conn>,
    next_conn: ConnId,
    events: BinaryHeap<Timed>,
    next_seq: u64,
    pub(crate) stats: SimStats,
    pub(crate) started: bool,
}

impl World {
    pub(crate) fn new(opts: SimOptions, clock: SimClock, trace: Rc<std::cell::RefCell<Trace>>, ledger: Rc<Ledger>) -> World {
        World {
            opts,
            clock,
            trace,
            ledger,
            hosts: Vec::new(),
            names: HashMap::new(),
            links: HashMap::new(),
            blocked: HashSet::new(),
            conns: BTreeMap::new(),
            next_conn: 1,
            events: BinaryHeap::new(),
            next_seq: 0,
            stats: SimStats::default(),
            started: false,
        }
    }

    pub(crate) fn now(&self) -> f64 {
        self.clock.get()
    }

    pub(crate) fn record(&self, host: HostId, kind: &'static str, fields: Vec<(&'static str, TraceValue)>) {
        let name = &self.hosts[host].name;
        self.trace.borrow_mut().push(self.now(), name, kind, fields);
    }

    pub(crate) fn record_as(&self, host: &Rc<str>, kind: &'static str, fields: Vec<(&'static str, TraceValue)>) {
        self.trace.borrow_mut().push(self.now(), host, kind, fields);
    }

    /// Forgets the links, connections and messages in flight (the
    /// simulation closed: nothing will be sent or delivered any more).
    pub(crate) fn clear_network(&mut self) {
        self.links = HashMap::new();
        self.blocked = HashSet::new();
        self.conns = BTreeMap::new();
        self.events = BinaryHeap::new();
        for hs in &mut self.hosts {
            hs.listeners = BTreeMap::new();
        }
    }

    pub(crate) fn lookup(&self, name: &str) -> Result<HostId> {
        self.names.get(name).copied().ok_or_else(|| Error::Value(format!("unknown host '{name}'")))
    }
}
