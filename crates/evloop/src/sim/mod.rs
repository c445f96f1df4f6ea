//! Deterministic simulation: many hosts, each a real [`EventLoop`], on one
//! virtual clock and a simulated network, driven one event at a time.
//!
//! ```
//! use evloop::sim::{SimOptions, Simulation};
//! use std::{cell::Cell, rc::Rc};
//!
//! let sim = Simulation::new(SimOptions { seed: 42, ..Default::default() })?;
//! let lp = sim.host("a")?;
//! let fired = Rc::new(Cell::new(false));
//! let f = fired.clone();
//! lp.call_later(3600.0, move || f.set(true))?;
//! assert!(sim.step()?);          // one event: the hour passes at once
//! assert!(fired.get());
//! assert_eq!(sim.now(), 3600.0);
//! assert!(!sim.step()?);         // nothing left
//! # Ok::<(), evloop::Error>(())
//! ```
//!
//! The model (clock, order of events, network, faults, determinism) is
//! described in `docs/simulation.md`; it maps one to one onto API.md's
//! `Simulation` of `evloop/sim`.

mod host;
mod network;
pub mod rng;
mod selector;
mod socket;
mod trace;

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::event_loop::LoopHooks;
use crate::future::Future;
use crate::EventLoop;
use host::{HostState, SimClock, EPHEMERAL_FIRST};
use network::World;
use selector::{Dirty, DirtyList, HostIo, SimSelector, SimWaker};
use socket::SimNetwork;

pub use host::Program;
pub use trace::{trace_to_json, DropStats, SimStats, TraceRecord, TraceValue, FAULTS};

pub(crate) type HostId = usize;
pub(crate) type ConnId = u64;

/// `wall_time()` at virtual time 0: 2026-01-01T00:00:00Z, in Unix seconds.
pub const WALL_CLOCK_START: f64 = 1_767_225_600.0;

/// Options of a simulation (API.md's `new Simulation({...})`).
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Seeds every random stream.
    pub seed: u64,
    /// Link latency in seconds, drawn uniformly in `[min, max]` per message.
    pub latency: (f64, f64),
    /// Probability that a transmission is lost (streams re-send it).
    pub loss: f64,
    /// A connect with no answer fails after this many seconds (`ETIMEDOUT`).
    pub connect_timeout: f64,
    /// A connection whose data cannot get through this long ends with `ETIMEDOUT`.
    pub stream_timeout: f64,
    /// Record the trace (on by default; `stats()` are always kept).
    pub trace: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 0,
            latency: (0.001, 0.005),
            loss: 0.0,
            connect_timeout: 10.0,
            stream_timeout: 30.0,
            trace: true,
        }
    }
}

/// Per-link settings for [`Simulation::set_link`]; `None` keeps the current value.
#[derive(Clone, Debug, Default)]
pub struct LinkOptions {
    /// `(min, max)` latency in seconds.
    pub latency: Option<(f64, f64)>,
    /// Loss probability.
    pub loss: Option<f64>,
    /// Only `a -> b` (default: both directions).
    pub one_way: bool,
}

fn check_latency((lo, hi): (f64, f64)) -> Result<()> {
    if !(lo >= 0.0 && hi >= lo && hi.is_finite()) {
        return Err(Error::Value(format!("latency must satisfy 0 <= min <= max, got ({lo}, {hi})")));
    }
    Ok(())
}

fn check_loss(loss: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&loss) {
        return Err(Error::Value(format!("loss must be a probability in [0, 1], got {loss}")));
    }
    Ok(())
}

/// A host's place in the order of host iterations: earliest wake first,
/// then creation order.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct HostWake {
    t: OrdF64,
    host: HostId,
    gen: u64,
}

#[derive(Clone, Copy)]
struct OrdF64(f64);
impl PartialEq for OrdF64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// What runs next.
enum Next {
    Network,
    Host(HostId),
}

pub(crate) struct Core {
    me: Weak<Core>,
    pub(crate) world: RefCell<World>,
    clock: SimClock,
    trace: Rc<RefCell<trace::Trace>>,
    dirty: Rc<DirtyList>,
    woken: Arc<Mutex<Vec<HostId>>>,
    queue: RefCell<BinaryHeap<Reverse<HostWake>>>,
    /// The host whose iteration is running.
    running: Cell<Option<HostId>>,
    /// The loop of a host that crashed during its own iteration, closed
    /// once the iteration has stopped.
    crashed_running: RefCell<Option<EventLoop>>,
    events: Cell<u64>,
}

/// A deterministic simulation of hosts on a network. Clones are the same
/// simulation.
#[derive(Clone)]
pub struct Simulation {
    core: Rc<Core>,
}

impl Simulation {
    /// A simulation at virtual time 0 with no hosts.
    ///
    /// # Errors
    /// `ValueError` for a bad latency, loss or timeout.
    pub fn new(opts: SimOptions) -> Result<Simulation> {
        check_latency(opts.latency)?;
        check_loss(opts.loss)?;
        if !(opts.connect_timeout > 0.0 && opts.stream_timeout > 0.0) {
            return Err(Error::Value("connect_timeout and stream_timeout must be positive".into()));
        }
        let clock = SimClock::default();
        let trace = Rc::new(RefCell::new(trace::Trace { enabled: opts.trace, records: Vec::new() }));
        let world = World::new(opts, clock.clone(), trace.clone());
        let core = Rc::new_cyclic(|me| Core {
            me: me.clone(),
            world: RefCell::new(world),
            clock,
            trace,
            dirty: Rc::new(DirtyList::default()),
            woken: Arc::new(Mutex::new(Vec::new())),
            queue: RefCell::new(BinaryHeap::new()),
            running: Cell::new(None),
            crashed_running: RefCell::new(None),
            events: Cell::new(0),
        });
        Ok(Simulation { core })
    }

    // ----- hosts -----

    /// Adds a host with no program (drive it from outside) and returns its loop.
    ///
    /// # Errors
    /// `ValueError` for an empty or taken name.
    pub fn host(&self, name: &str) -> Result<EventLoop> {
        self.core.add_host(name, None)
    }

    /// Adds a host whose `program` runs (as a callback of its loop) when the
    /// simulation starts, or at once if it has started, and again after
    /// each restart.
    ///
    /// # Errors
    /// `ValueError` for an empty or taken name.
    pub fn host_with_program(&self, name: &str, program: impl Fn(&EventLoop) + 'static) -> Result<EventLoop> {
        self.core.add_host(name, Some(Rc::new(program)))
    }

    /// The host's current loop (`None` while crashed). After a restart it
    /// is a new loop; the old one stays closed.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn loop_of(&self, name: &str) -> Result<Option<EventLoop>> {
        let w = self.core.world.borrow();
        let h = w.lookup(name)?;
        Ok(w.hosts[h].lp.clone())
    }

    /// Host names in creation order.
    pub fn host_names(&self) -> Vec<String> {
        self.core.world.borrow().hosts.iter().map(|h| h.name.to_string()).collect()
    }

    /// The host's wall clock: seconds since the Unix epoch, starting at
    /// 2026-01-01T00:00:00Z, plus its skew.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn wall_time(&self, name: &str) -> Result<f64> {
        let w = self.core.world.borrow();
        let h = w.lookup(name)?;
        Ok(WALL_CLOCK_START + w.now() + w.hosts[h].skew)
    }

    /// The next number in `[0, 1)` of the host's own random stream
    /// (derived from the seed and the name only).
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn random(&self, name: &str) -> Result<f64> {
        let mut w = self.core.world.borrow_mut();
        let h = w.lookup(name)?;
        Ok(w.hosts[h].rng.next_f64())
    }

    /// Whether the host is crashed.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn is_crashed(&self, name: &str) -> Result<bool> {
        let w = self.core.world.borrow();
        Ok(w.hosts[w.lookup(name)?].crashed)
    }

    // ----- running -----

    /// Virtual seconds since the start.
    pub fn now(&self) -> f64 {
        self.core.clock.get()
    }

    /// Runs one event: one iteration of one host's loop, or one network
    /// event. `false` when nothing is left.
    ///
    /// # Errors
    /// A fatal error raised by a host's callback (`Fatal`, `raise_fatal`).
    pub fn step(&self) -> Result<bool> {
        self.core.start();
        self.core.step()
    }

    /// Runs every event due within `seconds`, then sets the clock to exactly
    /// `now + seconds`.
    ///
    /// # Errors
    /// `ValueError` for a negative or NaN duration; as [`step`](Self::step).
    pub fn run_for(&self, seconds: f64) -> Result<()> {
        if seconds.is_nan() || seconds < 0.0 {
            return Err(Error::Value(format!("run_for() needs a duration >= 0, got {seconds}")));
        }
        self.core.start();
        let end = self.now() + seconds;
        while self.core.next().is_some_and(|(t, _)| t <= end) {
            self.core.step()?;
        }
        self.core.clock.set(end.max(self.now()));
        Ok(())
    }

    /// Runs events until `fut` (of any host's loop) is done, and returns its result.
    ///
    /// # Errors
    /// `RuntimeError` when no event is left and `fut` is not done; the
    /// future's own error; as [`step`](Self::step).
    pub fn run_until_complete<T: Clone + 'static>(&self, fut: &Future<T>) -> Result<T> {
        self.core.start();
        while !fut.done() {
            if !self.core.step()? {
                return Err(Error::Runtime("Simulation ran out of events before the Future completed.".into()));
            }
        }
        fut.result()
    }

    /// Queues the hosts' programs if the simulation has not started yet
    /// (the first `step`, `run_for` or `run_until_complete` does it). For
    /// drivers that step one event at a time (the wasm binding).
    pub fn start(&self) {
        self.core.start();
    }

    /// When the next event is due, `None` when nothing is left. With
    /// [`advance_to`](Self::advance_to), a driver that steps one event at a
    /// time does what [`run_for`](Self::run_for) does, with its own work
    /// between two steps (the wasm binding lets promise continuations run).
    ///
    /// ```
    /// # use evloop::sim::{SimOptions, Simulation};
    /// let sim = Simulation::new(SimOptions::default())?;
    /// sim.host("a")?.call_later(2.0, || {})?;
    /// sim.start();
    /// let end = sim.now() + 5.0;
    /// while sim.next_event_time().is_some_and(|t| t <= end) {
    ///     sim.step()?; // ... and the driver's own work between two events
    /// }
    /// sim.advance_to(end)?;
    /// assert_eq!(sim.now(), 5.0);
    /// assert!(sim.advance_to(1.0).is_ok()); // never backwards
    /// assert_eq!(sim.now(), 5.0);
    /// # Ok::<(), evloop::Error>(())
    /// ```
    pub fn next_event_time(&self) -> Option<f64> {
        self.core.next().map(|(t, _)| t)
    }

    /// Sets the clock to `t` (never backwards) without running anything:
    /// the end of [`run_for`](Self::run_for).
    ///
    /// # Errors
    /// `ValueError` when an event is due before `t` (it would run late) or
    /// `t` is NaN.
    pub fn advance_to(&self, t: f64) -> Result<()> {
        if t.is_nan() {
            return Err(Error::Value("advance_to() needs a time, got NaN".into()));
        }
        if let Some((next, _)) = self.core.next() {
            if next < t {
                return Err(Error::Value(format!("advance_to({t}): an event is due at {next}")));
            }
        }
        self.core.clock.set(t.max(self.now()));
        Ok(())
    }

    /// Events run so far (host iterations and network events).
    pub fn events(&self) -> u64 {
        self.core.events.get()
    }

    // ----- observation -----

    /// The trace so far.
    pub fn trace(&self) -> Vec<TraceRecord> {
        self.core.trace.borrow().records.clone()
    }

    /// Number of trace records so far.
    pub fn trace_len(&self) -> usize {
        self.core.trace.borrow().records.len()
    }

    /// The trace as a JSON array.
    pub fn trace_json(&self) -> String {
        trace_to_json(&self.core.trace.borrow().records)
    }

    /// Running totals since the start.
    pub fn stats(&self) -> SimStats {
        self.core.world.borrow().stats.clone()
    }

    // ----- faults -----

    /// Separates the groups: messages from `a` to `b` (and from `b` to `a`
    /// unless `one_way`) are dropped, and streams re-send them.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn partition(&self, a: &[&str], b: &[&str], one_way: bool) -> Result<()> {
        let mut w = self.core.world.borrow_mut();
        let (ga, gb) = (ids(&w, a)?, ids(&w, b)?);
        w.partition(&ga, &gb, one_way);
        let f = vec![("a", a.join(",").as_str().into()), ("b", b.join(",").as_str().into()), ("one_way", one_way.into())];
        fault(&mut w, None, "partition", f);
        Ok(())
    }

    /// Removes partitions: every one (no groups), those touching one
    /// group, or those between the two groups.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn heal(&self, a: Option<&[&str]>, b: Option<&[&str]>) -> Result<()> {
        let mut w = self.core.world.borrow_mut();
        let ga = a.map(|g| ids(&w, g)).transpose()?;
        let gb = b.map(|g| ids(&w, g)).transpose()?;
        w.heal(ga.as_deref(), gb.as_deref());
        let mut f = Vec::new();
        if let Some(a) = a {
            f.push(("a", a.join(",").as_str().into()));
        }
        if let Some(b) = b {
            f.push(("b", b.join(",").as_str().into()));
        }
        fault(&mut w, None, "heal", f);
        Ok(())
    }

    /// Messages from `a` to `b` wait (and are counted as held) until
    /// [`release`](Self::release).
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn hold(&self, a: &str, b: &str) -> Result<()> {
        let mut w = self.core.world.borrow_mut();
        let (x, y) = (w.lookup(a)?, w.lookup(b)?);
        w.hold(x, y);
        fault(&mut w, None, "hold", vec![("a", a.into()), ("b", b.into())]);
        Ok(())
    }

    /// Lets the messages held from `a` to `b` go, in order.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn release(&self, a: &str, b: &str) -> Result<()> {
        let mut w = self.core.world.borrow_mut();
        let (x, y) = (w.lookup(a)?, w.lookup(b)?);
        // Recorded first: the released messages' fates follow it in the trace.
        fault(&mut w, None, "release", vec![("a", a.into()), ("b", b.into())]);
        w.release(x, y);
        Ok(())
    }

    /// Per-link latency and loss, for `a -> b` and (unless `one_way`) `b -> a`.
    ///
    /// # Errors
    /// `ValueError` for an unknown host or a bad value.
    pub fn set_link(&self, a: &str, b: &str, opts: LinkOptions) -> Result<()> {
        if let Some(l) = opts.latency {
            check_latency(l)?;
        }
        if let Some(l) = opts.loss {
            check_loss(l)?;
        }
        let mut w = self.core.world.borrow_mut();
        let (x, y) = (w.lookup(a)?, w.lookup(b)?);
        w.set_link(x, y, opts.latency, opts.loss);
        if !opts.one_way {
            w.set_link(y, x, opts.latency, opts.loss);
        }
        let mut f = vec![("a", a.into()), ("b", b.into()), ("one_way", opts.one_way.into())];
        if let Some((lo, hi)) = opts.latency {
            f.push(("latency_min", lo.into()));
            f.push(("latency_max", hi.into()));
        }
        if let Some(l) = opts.loss {
            f.push(("loss", l.into()));
        }
        fault(&mut w, None, "link", f);
        Ok(())
    }

    /// The host's process dies: its loop is closed and dropped (timers never
    /// fire), its sockets vanish, and peers' connections are reset one link
    /// latency later. Crashing a crashed host does nothing.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn crash(&self, name: &str) -> Result<()> {
        let h = self.core.world.borrow().lookup(name)?;
        self.core.crash(h);
        Ok(())
    }

    /// A fresh loop under the same name (crashing the host first if it is
    /// up) runs the program again. Returns the new loop.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn restart(&self, name: &str) -> Result<EventLoop> {
        let h = self.core.world.borrow().lookup(name)?;
        Ok(self.core.restart(h))
    }

    /// Nothing on the host runs until [`resume`](Self::resume); the network
    /// still delivers to it.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn pause(&self, name: &str) -> Result<()> {
        self.core.set_paused(name, true)
    }

    /// The host runs again; timers that fell due meanwhile run late, in order.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn resume(&self, name: &str) -> Result<()> {
        self.core.set_paused(name, false)
    }

    /// Sets (does not add to) the offset of the host's [`wall_time`](Self::wall_time).
    ///
    /// # Errors
    /// `ValueError` for an unknown host or a non-finite offset.
    pub fn set_clock_skew(&self, name: &str, seconds: f64) -> Result<()> {
        if !seconds.is_finite() {
            return Err(Error::Value(format!("clock skew must be finite, got {seconds}")));
        }
        let mut w = self.core.world.borrow_mut();
        let h = w.lookup(name)?;
        w.hosts[h].skew = seconds;
        fault(&mut w, Some(h), "skew", vec![("seconds", seconds.into())]);
        Ok(())
    }
}

fn ids(w: &World, names: &[&str]) -> Result<Vec<HostId>> {
    names.iter().map(|n| w.lookup(n)).collect()
}

/// Counts and traces a fault (on `host`, or `""` for one between groups).
fn fault(w: &mut World, host: Option<HostId>, name: &'static str, mut fields: Vec<(&'static str, TraceValue)>) {
    *w.stats.faults.entry(name).or_insert(0) += 1;
    fields.insert(0, ("fault", name.into()));
    match host {
        Some(h) => w.record(h, "fault", fields),
        None => w.record_as(&Rc::from(""), "fault", fields),
    }
}

impl Core {
    fn add_host(&self, name: &str, program: Option<Program>) -> Result<EventLoop> {
        if name.is_empty() {
            return Err(Error::Value("a host needs a name".into()));
        }
        let h = {
            let mut w = self.world.borrow_mut();
            if w.names.contains_key(name) {
                return Err(Error::Value(format!("host '{name}' already exists")));
            }
            let h = w.hosts.len();
            let name: Rc<str> = name.into();
            let flag = Rc::new(Cell::new(false));
            let io = Rc::new(RefCell::new(HostIo::new(self.dirty_of(h, &flag))));
            let seed = w.opts.seed;
            w.hosts.push(HostState {
                name: name.clone(),
                program,
                lp: None,
                io,
                crashed: false,
                paused: false,
                skew: 0.0,
                rng: rng::Rng::for_host(seed, &name),
                life: 0,
                flag,
                wake: None,
                gen: 0,
                fds: Default::default(),
                next_port: EPHEMERAL_FIRST,
                listeners: Default::default(),
            });
            w.names.insert(name, h);
            h
        };
        let lp = self.new_life(h);
        if self.world.borrow().started {
            self.queue_program(h);
        }
        Ok(lp)
    }

    fn dirty_of(&self, h: HostId, flag: &Rc<Cell<bool>>) -> Dirty {
        Dirty { list: self.dirty.clone(), host: h, flag: flag.clone() }
    }

    /// A new loop (and socket table) for host `h`, installed as its current one.
    fn new_life(&self, h: HostId) -> EventLoop {
        let (name, life, flag) = {
            let w = self.world.borrow();
            let hs = &w.hosts[h];
            (hs.name.clone(), hs.life, hs.flag.clone())
        };
        let dirty = self.dirty_of(h, &flag);
        let io = Rc::new(RefCell::new(HostIo::new(dirty.clone())));
        let selector = SimSelector { io: io.clone(), waker: Arc::new(SimWaker { host: h, woken: self.woken.clone() }) };
        let network = SimNetwork { core: self.me.clone(), host: h, life };
        let lp = EventLoop::from_parts(Box::new(selector), Rc::new(self.clock.clone()), Rc::new(network));
        let (trace, clock) = (self.trace.clone(), self.clock.clone());
        lp.set_hooks(LoopHooks {
            scheduled: Box::new(move || dirty.mark()),
            running: Box::new(move |label| {
                let mut t = trace.borrow_mut();
                if t.enabled {
                    t.push(clock.get(), &name, "call", vec![("name", label.into())]);
                }
            }),
        });
        {
            let mut w = self.world.borrow_mut();
            let hs = &mut w.hosts[h];
            hs.lp = Some(lp.clone());
            hs.io = io;
        }
        self.dirty_of(h, &flag).mark();
        lp
    }

    fn queue_program(&self, h: HostId) {
        let (lp, program) = {
            let w = self.world.borrow();
            (w.hosts[h].lp.clone(), w.hosts[h].program.clone())
        };
        if let (Some(lp), Some(program)) = (lp, program) {
            let me = lp.clone();
            let _ = lp.call_soon_labelled(Cow::Borrowed("program"), move || program(&me));
        }
    }

    /// Programs start with the first step, at the current (initial) time.
    fn start(&self) {
        let n = {
            let mut w = self.world.borrow_mut();
            if w.started {
                return;
            }
            w.started = true;
            w.hosts.len()
        };
        for h in 0..n {
            self.queue_program(h);
        }
    }

    /// Re-reads the next wake time of one host and queues it.
    fn refresh(&self, h: HostId) {
        let lp = {
            let w = self.world.borrow();
            let hs = &w.hosts[h];
            hs.flag.set(false);
            if hs.crashed || hs.paused { None } else { hs.lp.clone() }
        };
        // A paused host's overdue timers make it due now, not in the past:
        // at `now`, network events still go first.
        let now = self.clock.get();
        let wake = lp.and_then(|lp| lp.next_wake()).map(|t| t.max(now));
        let mut w = self.world.borrow_mut();
        let hs = &mut w.hosts[h];
        if hs.wake != wake {
            hs.wake = wake;
            hs.gen += 1;
            if let Some(t) = wake {
                self.queue.borrow_mut().push(Reverse(HostWake { t: OrdF64(t), host: h, gen: hs.gen }));
            }
        }
    }

    /// The next event and its time; network events first on ties, then
    /// hosts in creation order.
    fn next(&self) -> Option<(f64, Next)> {
        let mut woken = self.woken.lock().map(|mut w| std::mem::take(&mut *w)).unwrap_or_default();
        woken.extend(self.dirty.take());
        for h in woken {
            self.refresh(h);
        }
        let mut w = self.world.borrow_mut();
        let net = w.next_event_time();
        let mut queue = self.queue.borrow_mut();
        let host = loop {
            let Some(Reverse(top)) = queue.peek() else { break None };
            let hs = &w.hosts[top.host];
            if hs.gen == top.gen && hs.wake == Some(top.t.0) {
                break Some((top.t.0, top.host));
            }
            queue.pop();
        };
        match (net, host) {
            (Some(n), Some((t, _))) if n <= t => Some((n, Next::Network)),
            (_, Some((t, h))) => Some((t, Next::Host(h))),
            (Some(n), None) => Some((n, Next::Network)),
            (None, None) => None,
        }
    }

    fn step(&self) -> Result<bool> {
        let Some((t, next)) = self.next() else { return Ok(false) };
        if t > self.clock.get() {
            self.clock.set(t);
        }
        self.events.set(self.events.get() + 1);
        match next {
            Next::Network => {
                let mut w = self.world.borrow_mut();
                if let Some(ev) = w.pop_event() {
                    w.handle(ev);
                }
            }
            Next::Host(h) => {
                {
                    let mut w = self.world.borrow_mut();
                    let hs = &mut w.hosts[h];
                    hs.wake = None;
                    hs.gen += 1;
                }
                let result = self.run_host(h);
                self.refresh(h);
                result?;
            }
        }
        Ok(true)
    }

    /// One iteration of host `h`'s loop, as an external driver runs it.
    fn run_host(&self, h: HostId) -> Result<()> {
        let Some(lp) = self.world.borrow().hosts[h].lp.clone() else { return Ok(()) };
        lp.run_forever_setup()?;
        self.running.set(Some(h));
        let result = lp.run_once_nonblocking();
        lp.run_forever_cleanup();
        self.running.set(None);
        let crashed = self.crashed_running.borrow_mut().take();
        if let Some(dead) = crashed {
            // The host crashed from its own callback: the error that
            // stopped the batch is the crash itself.
            let _ = dead.close();
            return Ok(());
        }
        result
    }

    fn crash(&self, h: HostId) {
        let lp = {
            let mut w = self.world.borrow_mut();
            if w.hosts[h].crashed {
                return;
            }
            fault(&mut w, Some(h), "crash", Vec::new());
            let hs = &mut w.hosts[h];
            hs.crashed = true;
            hs.paused = false;
            hs.wake = None;
            hs.gen += 1;
            let lp = hs.lp.take();
            w.crash_host(h);
            lp
        };
        let Some(lp) = lp else { return };
        if self.running.get() == Some(h) {
            // Stop the batch after the running callback; closed after it.
            lp.raise_fatal(Error::Runtime("host crashed".into()));
            *self.crashed_running.borrow_mut() = Some(lp);
        } else {
            // Outside any borrow: closing drops transports and sockets.
            let _ = lp.close();
            drop(lp);
        }
    }

    fn restart(&self, h: HostId) -> EventLoop {
        self.crash(h);
        {
            let mut w = self.world.borrow_mut();
            let hs = &mut w.hosts[h];
            hs.crashed = false;
            hs.life += 1;
            fault(&mut w, Some(h), "restart", Vec::new());
        }
        let lp = self.new_life(h);
        if self.world.borrow().started {
            self.queue_program(h);
        }
        lp
    }

    fn set_paused(&self, name: &str, paused: bool) -> Result<()> {
        let mut w = self.world.borrow_mut();
        let h = w.lookup(name)?;
        w.hosts[h].paused = paused;
        fault(&mut w, Some(h), if paused { "pause" } else { "resume" }, Vec::new());
        let flag = w.hosts[h].flag.clone();
        drop(w);
        self.dirty_of(h, &flag).mark();
        Ok(())
    }
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = self.core.world.borrow();
        write!(f, "<Simulation t={} hosts={} seed={}>", self.now(), w.hosts.len(), w.opts.seed)
    }
}
