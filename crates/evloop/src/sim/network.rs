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

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};
use std::io;
use std::rc::Rc;

use super::decisions::{Ledger, Stream};
use super::host::{HostState, ListenerState, SimClock};
use super::rng::Rng;
use super::trace::{SimStats, Trace, TraceValue};
use super::{ConnId, HostId, SimOptions};
use crate::errno::{
    EADDRINUSE, EADDRNOTAVAIL, EAI_NONAME, ECONNREFUSED, ECONNRESET, ENOTCONN, EPIPE, ETIMEDOUT,
};
use crate::error::{Error, OsError, Result};
use crate::future::Future;
use crate::net::Address;
use crate::selector::{Fd, Interest};

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

fn os_err(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

/// Why a message was dropped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Cause {
    Loss,
    Partition,
    Crash,
}

impl Cause {
    fn name(self) -> &'static str {
        match self {
            Cause::Loss => "loss",
            Cause::Partition => "partition",
            Cause::Crash => "crash",
        }
    }
}

pub(crate) enum MsgKind {
    Syn,
    SynAck,
    Rst { errno: i32 },
    Data { seq: u64, bytes: Vec<u8> },
    Fin { seq: u64 },
}

impl MsgKind {
    fn name(&self) -> &'static str {
        match self {
            MsgKind::Syn => "syn",
            MsgKind::SynAck => "synack",
            MsgKind::Rst { .. } => "rst",
            MsgKind::Data { .. } => "data",
            MsgKind::Fin { .. } => "fin",
        }
    }
}

pub(crate) struct Msg {
    src: HostId,
    dst: HostId,
    conn: ConnId,
    /// The sending side.
    dir: usize,
    kind: MsgKind,
    /// Retransmissions so far.
    attempt: u32,
    first_sent: f64,
    /// A crash notice: neither held, partitioned nor lost.
    forced: bool,
}

impl Msg {
    fn fields(&self, peer_key: &'static str, peer: &Rc<str>) -> Vec<(&'static str, TraceValue)> {
        let mut f: Vec<(&'static str, TraceValue)> =
            vec![(peer_key, peer.into()), ("conn", self.conn.into()), ("msg", self.kind.name().into())];
        match &self.kind {
            MsgKind::Data { seq, bytes } => {
                f.push(("seq", (*seq).into()));
                f.push(("bytes", bytes.len().into()));
            }
            MsgKind::Fin { seq } => f.push(("seq", (*seq).into())),
            MsgKind::Rst { errno } => f.push(("code", crate::errno::name(*errno).unwrap_or("").into())),
            _ => {}
        }
        if self.attempt > 0 {
            f.push(("attempt", i64::from(self.attempt).into()));
        }
        f
    }
}

pub(crate) enum NetEvent {
    Arrive(Msg),
    Retry(Msg),
    ConnectTimeout(ConnId),
}

struct Timed {
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

pub(super) struct Link {
    /// `link:<src>><dst>`.
    pub(super) rng: Stream,
    latency: Option<(f64, f64)>,
    loss: Option<f64>,
    held: bool,
    queue: VecDeque<Msg>,
    /// Latest arrival scheduled: arrivals on a link keep their send order.
    last_arrival: f64,
}

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
    fn alive(&self) -> bool {
        matches!(self.state, SideState::Queued | SideState::Open)
    }
    fn gone(&self) -> bool {
        matches!(self.state, SideState::Unborn | SideState::Closed | SideState::Crashed)
    }
}

enum Payload {
    Data(Vec<u8>),
    Fin,
}

#[derive(Default)]
pub(crate) struct Pipe {
    next_seq: u64,
    /// Bytes sent and not yet arrived.
    in_flight: usize,
    recv_next: u64,
    reorder: BTreeMap<u64, Payload>,
    reorder_bytes: usize,
    /// Arrived in order, not yet read.
    buffered: VecDeque<u8>,
    /// The FIN arrived in order.
    eof: bool,
}

impl Pipe {
    fn unread(&self) -> usize {
        self.in_flight + self.reorder_bytes + self.buffered.len()
    }

    fn accept_segment(&mut self, seq: u64, payload: Payload) {
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
    waiter: Option<Future<()>>,
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
fn refresh_side(hosts: &[HostState], c: &Conn, side: usize) {
    let s = &c.sides[side];
    let Some(fd) = s.fd else { return };
    let h = &hosts[s.host];
    if s.state == SideState::Open && !h.crashed && h.life == s.life {
        h.io.borrow_mut().set_ready(fd, readiness(c, side));
    }
}

fn gai_error() -> Error {
    Error::Gai(OsError { errno: EAI_NONAME, syscall: "getaddrinfo", message: "[Errno -2] Name or service not known".into() })
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

    pub(crate) fn lookup(&self, name: &str) -> Result<HostId> {
        self.names.get(name).copied().ok_or_else(|| Error::Value(format!("unknown host '{name}'")))
    }

    // ----- the event queue -----

    fn schedule(&mut self, t: f64, ev: NetEvent) {
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
    fn retry_live(&self, msg: &Msg) -> bool {
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

    // ----- links and transmission -----

    fn link(&mut self, src: HostId, dst: HostId) -> &mut Link {
        let seed = self.opts.seed;
        let (a, b, ledger) = (&self.hosts[src].name, &self.hosts[dst].name, &self.ledger);
        self.links.entry((src, dst)).or_insert_with(|| Link {
            rng: ledger.stream(format!("link:{a}>{b}"), Rng::for_link(seed, a, b)),
            latency: None,
            loss: None,
            held: false,
            queue: VecDeque::new(),
            last_arrival: 0.0,
        })
    }

    /// Puts a message on its link: counted as sent and traced, then routed.
    fn send(&mut self, msg: Msg) {
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
        self.put_on_wire(msg);
    }

    fn put_on_wire(&mut self, msg: Msg) {
        let now = self.now();
        let (lo, hi) = self.opts.latency;
        let link = self.link(msg.src, msg.dst);
        let (lo, hi) = link.latency.unwrap_or((lo, hi));
        let arrival = (now + link.rng.uniform(lo, hi)).max(link.last_arrival);
        link.last_arrival = arrival;
        self.schedule(arrival, NetEvent::Arrive(msg));
    }

    fn drop_msg(&mut self, msg: Msg, cause: Cause) {
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
    fn send_on(&mut self, id: ConnId, dir: usize, kind: MsgKind) {
        let Some(c) = self.conns.get(&id) else { return };
        let msg = self.new_msg(c, id, dir, kind);
        self.send(msg);
    }

    // ----- arrival -----

    fn arrive(&mut self, msg: Msg) {
        let dst = msg.dst;
        let stale = match msg.kind {
            MsgKind::Syn => false,
            _ => self.conns.get(&msg.conn).is_some_and(|c| c.sides[1 - msg.dir].state == SideState::Crashed),
        };
        if self.hosts[dst].crashed || stale {
            return self.drop_msg(msg, Cause::Crash);
        }
        if !msg.forced && self.blocked.contains(&(msg.src, dst)) {
            return self.drop_msg(msg, Cause::Partition);
        }
        self.stats.delivered += 1;
        if self.trace.borrow().enabled {
            let f = msg.fields("from", &self.hosts[msg.src].name);
            self.record(dst, "deliver", f);
        }
        let (id, dir) = (msg.conn, msg.dir);
        match msg.kind {
            MsgKind::Syn => self.on_syn(id),
            MsgKind::SynAck => self.on_synack(id),
            MsgKind::Rst { errno } => self.on_rst(id, 1 - dir, errno),
            MsgKind::Data { seq, bytes } => self.on_segment(id, dir, seq, Payload::Data(bytes)),
            MsgKind::Fin { seq } => self.on_segment(id, dir, seq, Payload::Fin),
        }
    }

    fn on_syn(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if c.aborted || c.state == ConnState::Failed {
            return;
        }
        match c.sides[1].state {
            SideState::Queued | SideState::Open => return self.send_on(id, 1, MsgKind::SynAck),
            SideState::Closed | SideState::Crashed => return,
            SideState::Unborn => {}
        }
        let (host, port) = (c.sides[1].host, c.sides[1].port);
        let h = &mut self.hosts[host];
        let life = h.life;
        match h.listeners.get_mut(&port) {
            Some(l) if l.listening => {
                if l.queue.len() >= l.backlog {
                    // A full accept queue ignores the SYN; the client re-sends it.
                    return;
                }
                l.queue.push_back(id);
                let fd = l.fd;
                h.io.borrow_mut().set_ready(fd, Interest::READ);
                let side = &mut c.sides[1];
                side.state = SideState::Queued;
                side.life = life;
                self.send_on(id, 1, MsgKind::SynAck);
            }
            _ => self.send_on(id, 1, MsgKind::Rst { errno: ECONNREFUSED }),
        }
    }

    fn establish(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        c.state = ConnState::Established;
        let waiter = c.waiter.take();
        refresh_side(&self.hosts, c, 0);
        let to = self.hosts[c.sides[1].host].name.clone();
        let client = c.sides[0].host;
        self.record(client, "connect", vec![("to", to.into()), ("conn", id.into()), ("result", "ok".into())]);
        if let Some(w) = waiter {
            let _ = w.set_result(());
        }
    }

    fn on_synack(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if c.sides[0].state == SideState::Closed && c.sides[1].alive() {
            // The connecting socket is gone: reset the server side.
            c.aborted = true;
            return self.send_on(id, 0, MsgKind::Rst { errno: ECONNRESET });
        }
        if c.state == ConnState::Connecting && !c.aborted && c.sides[0].state == SideState::Open {
            self.establish(id);
        }
    }

    fn on_rst(&mut self, id: ConnId, side: usize, errno: i32) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if c.state == ConnState::Failed {
            return;
        }
        c.aborted = true;
        if side == 0 && c.state == ConnState::Connecting {
            return self.fail_connect(id, errno);
        }
        self.reset_side(id, side, errno);
    }

    /// Side `side` learns the connection is over with `errno`.
    fn reset_side(&mut self, id: ConnId, side: usize, errno: i32) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        let s = &mut c.sides[side];
        if !s.alive() || s.error.is_some() {
            return;
        }
        s.error = Some(errno);
        let (host, fd) = (s.host, s.fd);
        refresh_side(&self.hosts, c, side);
        let mut f = vec![("conn", TraceValue::from(id)), ("code", crate::errno::name(errno).unwrap_or("").into())];
        if let Some(fd) = fd {
            f.push(("fd", fd.into()));
        }
        self.record(host, "close", f);
    }

    fn fail_connect(&mut self, id: ConnId, errno: i32) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        c.state = ConnState::Failed;
        c.aborted = true;
        let waiter = c.waiter.take();
        let (client, server, port) = (c.sides[0].host, c.sides[1].host, c.sides[1].port);
        let to = self.hosts[server].name.clone();
        let code = crate::errno::name(errno).unwrap_or("");
        self.record(client, "connect", vec![("to", to.clone().into()), ("conn", id.into()), ("result", code.into())]);
        if let Some(w) = waiter {
            let shown = Address::Sim { host: to.to_string(), port };
            let _ = w.set_exception(Error::os_with_message(
                "connect",
                errno,
                format!("[Errno {errno}] Connect call failed {shown}"),
            ));
        }
    }

    fn on_segment(&mut self, id: ConnId, dir: usize, seq: u64, payload: Payload) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if let Payload::Data(b) = &payload {
            let pipe = &mut c.pipes[dir];
            pipe.in_flight = pipe.in_flight.saturating_sub(b.len());
        }
        let recv = 1 - dir;
        if c.aborted {
            // A segment for a connection this side already ended (it timed
            // out, or was reset, behind a partition): answer with a reset,
            // as TCP does, so the sender does not wait forever.
            let sender = &c.sides[dir];
            if sender.alive() && sender.error.is_none() {
                self.send_on(id, recv, MsgKind::Rst { errno: ECONNRESET });
            }
            return;
        }
        match c.sides[recv].state {
            SideState::Closed => {
                if matches!(payload, Payload::Data(_)) {
                    // Data for a closed socket: the peer is reset.
                    c.aborted = true;
                    self.send_on(id, recv, MsgKind::Rst { errno: ECONNRESET });
                }
                return;
            }
            SideState::Queued | SideState::Open => {}
            SideState::Unborn | SideState::Crashed => return,
        }
        c.pipes[dir].accept_segment(seq, payload);
        if recv == 0 && c.state == ConnState::Connecting {
            // Data from the server implies its SYN-ACK.
            self.establish(id);
        }
        let Some(c) = self.conns.get(&id) else { return };
        refresh_side(&self.hosts, c, 0);
        refresh_side(&self.hosts, c, 1);
    }

    // ----- timers -----

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

    // ----- what sockets do -----

    /// Resolves a name to connect to: none or "localhost" is the host itself.
    fn resolve(&self, me: HostId, host: Option<&str>) -> Result<HostId> {
        match host {
            None | Some("") | Some("localhost") | Some("127.0.0.1") | Some("::1") => Ok(me),
            Some(name) => self.names.get(name).copied().ok_or_else(gai_error),
        }
    }

    /// Binds `port` (0: an ephemeral one) on host `me` for a server. Every
    /// name of the host itself (and "all interfaces") binds the same socket.
    pub(crate) fn bind(&mut self, me: HostId, hosts: &[Option<String>], port: u16) -> Result<(u16, Fd)> {
        for h in hosts {
            let local = matches!(h.as_deref(), None | Some("" | "0.0.0.0" | "::" | "localhost" | "127.0.0.1" | "::1"))
                || h.as_deref() == Some(&*self.hosts[me].name);
            if local {
                continue;
            }
            let name = h.as_deref().unwrap_or_default();
            if !self.names.contains_key(name) {
                return Err(gai_error());
            }
            let shown = Address::Sim { host: name.to_string(), port };
            return Err(Error::os_with_message(
                "bind",
                EADDRNOTAVAIL,
                format!("[Errno {EADDRNOTAVAIL}] error while attempting to bind on address {shown}: cannot assign requested address"),
            ));
        }
        let h = &mut self.hosts[me];
        let port = if port == 0 { h.ephemeral_port() } else { port };
        if h.listeners.contains_key(&port) {
            let shown = Address::Sim { host: h.name.to_string(), port };
            return Err(Error::os_with_message(
                "bind",
                EADDRINUSE,
                format!("[Errno {EADDRINUSE}] error while attempting to bind on address {shown}: address already in use"),
            ));
        }
        let fd = h.fds.alloc();
        h.listeners.insert(port, ListenerState { fd, listening: false, backlog: 0, queue: VecDeque::new() });
        Ok((port, fd))
    }

    pub(crate) fn listen(&mut self, me: HostId, life: u32, port: u16, backlog: i32) -> io::Result<()> {
        let h = &mut self.hosts[me];
        if h.crashed || h.life != life {
            return Err(os_err(crate::errno::EBADF));
        }
        let Some(l) = h.listeners.get_mut(&port) else { return Err(os_err(crate::errno::EBADF)) };
        l.listening = true;
        l.backlog = backlog.max(1) as usize;
        Ok(())
    }

    /// One connection from the accept queue: its id, new fd and peer.
    pub(crate) fn accept(&mut self, me: HostId, life: u32, port: u16) -> io::Result<(ConnId, Fd, Address, Address)> {
        let h = &mut self.hosts[me];
        if h.crashed || h.life != life {
            return Err(os_err(crate::errno::EBADF));
        }
        let Some(l) = h.listeners.get_mut(&port) else { return Err(os_err(crate::errno::EBADF)) };
        let id = loop {
            let Some(id) = l.queue.pop_front() else { return Err(io::ErrorKind::WouldBlock.into()) };
            if self.conns.contains_key(&id) {
                break id;
            }
        };
        if l.queue.is_empty() {
            let fd = l.fd;
            h.io.borrow_mut().set_ready(fd, Interest::NONE);
        }
        let fd = h.fds.alloc();
        let c = self.conns.get_mut(&id).expect("checked");
        c.sides[1].fd = Some(fd);
        c.sides[1].state = SideState::Open;
        refresh_side(&self.hosts, c, 1);
        let client = &c.sides[0];
        let peer = Address::Sim { host: self.hosts[client.host].name.to_string(), port: client.port };
        let local = Address::Sim { host: self.hosts[me].name.to_string(), port };
        let from = self.hosts[client.host].name.clone();
        self.record(
            me,
            "accept",
            vec![("from", from.into()), ("port", port.into()), ("conn", id.into()), ("fd", fd.into())],
        );
        Ok((id, fd, local, peer))
    }

    /// The listener's socket was closed: connections still queued are reset.
    pub(crate) fn close_listener(&mut self, me: HostId, life: u32, port: u16) {
        let h = &mut self.hosts[me];
        if h.crashed || h.life != life {
            return;
        }
        let Some(l) = h.listeners.remove(&port) else { return };
        h.io.borrow_mut().forget(l.fd);
        h.fds.release(l.fd);
        self.record(me, "close", vec![("port", port.into()), ("fd", l.fd.into())]);
        for id in l.queue {
            let Some(c) = self.conns.get_mut(&id) else { continue };
            if c.sides[1].state == SideState::Queued {
                c.sides[1].state = SideState::Closed;
                c.aborted = true;
                self.send_on(id, 1, MsgKind::Rst { errno: ECONNRESET });
                self.collect(id);
            }
        }
    }

    /// Starts connecting from `me` to `host:port`: the SYN goes out now and
    /// `waiter` completes when the connection is made or fails.
    pub(crate) fn connect(
        &mut self,
        me: HostId,
        host: Option<&str>,
        port: u16,
        waiter: Future<()>,
    ) -> Result<(ConnId, Fd, Address, Address)> {
        let target = self.resolve(me, host)?;
        let id = self.next_conn;
        self.next_conn += 1;
        let h = &mut self.hosts[me];
        let fd = h.fds.alloc();
        let local_port = h.ephemeral_port();
        let life = h.life;
        let side = |host, life, port, fd, state| Side { host, life, port, fd, state, error: None, shut_wr: false };
        let conn = Conn {
            sides: [
                side(me, life, local_port, Some(fd), SideState::Open),
                side(target, 0, port, None, SideState::Unborn),
            ],
            pipes: [Pipe::default(), Pipe::default()],
            state: ConnState::Connecting,
            aborted: false,
            waiter: Some(waiter),
        };
        self.conns.insert(id, conn);
        let to = self.hosts[target].name.clone();
        self.record(
            me,
            "connect",
            vec![("to", to.clone().into()), ("port", port.into()), ("conn", id.into()), ("fd", fd.into())],
        );
        self.send_on(id, 0, MsgKind::Syn);
        let deadline = self.now() + self.opts.connect_timeout;
        self.schedule(deadline, NetEvent::ConnectTimeout(id));
        let local = Address::Sim { host: self.hosts[me].name.to_string(), port: local_port };
        let peer = Address::Sim { host: to.to_string(), port };
        Ok((id, fd, local, peer))
    }

    fn side_of(&self, id: ConnId, side: usize) -> io::Result<&Conn> {
        let c = self.conns.get(&id).ok_or_else(|| os_err(ENOTCONN))?;
        let s = &c.sides[side];
        let h = &self.hosts[s.host];
        if s.state != SideState::Open || h.crashed || h.life != s.life {
            return Err(os_err(crate::errno::EBADF));
        }
        Ok(c)
    }

    pub(crate) fn recv(&mut self, id: ConnId, side: usize, buf: &mut [u8]) -> io::Result<usize> {
        self.side_of(id, side)?;
        let c = self.conns.get_mut(&id).expect("checked");
        let pipe = &mut c.pipes[1 - side];
        if !pipe.buffered.is_empty() {
            let n = buf.len().min(pipe.buffered.len());
            for (dst, src) in buf[..n].iter_mut().zip(pipe.buffered.drain(..n)) {
                *dst = src;
            }
            refresh_side(&self.hosts, c, 0);
            refresh_side(&self.hosts, c, 1);
            return Ok(n);
        }
        if let Some(e) = c.sides[side].error {
            return Err(os_err(e));
        }
        if pipe.eof {
            return Ok(0);
        }
        Err(io::ErrorKind::WouldBlock.into())
    }

    pub(crate) fn send_data(&mut self, id: ConnId, side: usize, buf: &[u8]) -> io::Result<usize> {
        let c = self.side_of(id, side)?;
        let s = &c.sides[side];
        if let Some(e) = s.error {
            return Err(os_err(e));
        }
        if s.shut_wr {
            return Err(os_err(EPIPE));
        }
        if side == 0 && c.state != ConnState::Established {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if c.aborted {
            // The connection is being torn down; the error is on its way.
            return Ok(buf.len());
        }
        let space = WINDOW.saturating_sub(c.pipes[side].unread());
        let n = buf.len().min(space);
        if n == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        for chunk in buf[..n].chunks(MSS) {
            let c = self.conns.get_mut(&id).expect("checked");
            let pipe = &mut c.pipes[side];
            let seq = pipe.next_seq;
            pipe.next_seq += 1;
            pipe.in_flight += chunk.len();
            self.send_on(id, side, MsgKind::Data { seq, bytes: chunk.to_vec() });
        }
        let c = self.conns.get(&id).expect("checked");
        refresh_side(&self.hosts, c, side);
        Ok(n)
    }

    pub(crate) fn shutdown_write(&mut self, id: ConnId, side: usize) -> io::Result<()> {
        let c = self.side_of(id, side)?;
        if c.sides[side].shut_wr || c.sides[side].error.is_some() {
            return Ok(());
        }
        if side == 0 && c.state != ConnState::Established {
            return Err(os_err(ENOTCONN));
        }
        self.send_fin(id, side);
        if let Some(c) = self.conns.get(&id) {
            refresh_side(&self.hosts, c, side);
        }
        Ok(())
    }

    fn send_fin(&mut self, id: ConnId, side: usize) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        c.sides[side].shut_wr = true;
        if c.aborted {
            return;
        }
        let pipe = &mut c.pipes[side];
        let seq = pipe.next_seq;
        pipe.next_seq += 1;
        self.send_on(id, side, MsgKind::Fin { seq });
    }

    /// The socket of side `side` was closed (dropped) by its program: a FIN
    /// follows what was sent (a graceful close, also for `abort()`).
    pub(crate) fn close_side(&mut self, id: ConnId, side: usize, life: u32) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        let s = &mut c.sides[side];
        let h = &mut self.hosts[s.host];
        if s.state != SideState::Open || h.crashed || h.life != life || s.life != life {
            return;
        }
        s.state = SideState::Closed;
        let host = s.host;
        let mut f = vec![("conn", TraceValue::from(id))];
        if let Some(fd) = s.fd {
            h.io.borrow_mut().forget(fd);
            h.fds.release(fd);
            f.push(("fd", fd.into()));
        }
        let fin = !c.aborted && !s.shut_wr && s.error.is_none() && (side == 1 || c.state == ConnState::Established);
        self.record(host, "close", f);
        if fin {
            self.send_fin(id, side);
        }
        self.collect(id);
    }

    /// Forgets a connection both of whose sides are gone.
    fn collect(&mut self, id: ConnId) {
        if self.conns.get(&id).is_some_and(|c| c.sides.iter().all(Side::gone)) {
            self.conns.remove(&id);
        }
    }

    // ----- faults -----

    /// The network side of a crash: sockets vanish, listeners close, and
    /// every live peer is told with an RST one link latency later.
    pub(crate) fn crash_host(&mut self, h: HostId) {
        let host = &mut self.hosts[h];
        host.listeners.clear();
        host.fds = Default::default();
        let ids: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.sides.iter().any(|s| s.host == h && !matches!(s.state, SideState::Unborn | SideState::Crashed)))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            for side in 0..2 {
                let c = self.conns.get_mut(&id).expect("listed");
                let s = &mut c.sides[side];
                if s.host != h || matches!(s.state, SideState::Unborn | SideState::Crashed) {
                    continue;
                }
                s.state = SideState::Crashed;
                c.aborted = true;
                let peer = &c.sides[1 - side];
                let notify = peer.alive() && peer.error.is_none() && peer.host != h;
                let peer_host = peer.host;
                if notify && !self.hosts[peer_host].crashed {
                    let msg = Msg {
                        src: h,
                        dst: peer_host,
                        conn: id,
                        dir: side,
                        kind: MsgKind::Rst { errno: ECONNRESET },
                        attempt: 0,
                        first_sent: self.now(),
                        forced: true,
                    };
                    self.send(msg);
                }
            }
            self.collect(id);
        }
    }

    /// Hosts in both groups are separated (`b -> a` too unless `one_way`).
    pub(crate) fn partition(&mut self, a: &[HostId], b: &[HostId], one_way: bool) {
        for &x in a {
            for &y in b {
                if x == y {
                    continue;
                }
                self.blocked.insert((x, y));
                if !one_way {
                    self.blocked.insert((y, x));
                }
            }
        }
    }

    /// Removes partitions: all, those touching `a`, or those between `a` and `b`.
    pub(crate) fn heal(&mut self, a: Option<&[HostId]>, b: Option<&[HostId]>) {
        match (a, b) {
            (None, None) => self.blocked.clear(),
            (Some(g), None) | (None, Some(g)) => self.blocked.retain(|(x, y)| !g.contains(x) && !g.contains(y)),
            (Some(a), Some(b)) => self
                .blocked
                .retain(|(x, y)| !(a.contains(x) && b.contains(y) || b.contains(x) && a.contains(y))),
        }
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

    pub(crate) fn set_link(&mut self, a: HostId, b: HostId, latency: Option<(f64, f64)>, loss: Option<f64>) {
        let link = self.link(a, b);
        if latency.is_some() {
            link.latency = latency;
        }
        if loss.is_some() {
            link.loss = loss;
        }
    }
}
