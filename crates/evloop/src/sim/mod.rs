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

mod buggify;
mod datagram_socket;
mod decisions;
mod end;
mod executor;
mod fault;
mod host;
mod inspect;
mod network;
mod resolve;
pub mod rng;
mod schedule;
mod selector;
mod socket;
mod tls_source;
mod trace;

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::event_loop::LoopHooks;
use crate::future::Future;
use crate::EventLoop;
use host::{HostState, SimClock, EPHEMERAL_FIRST};
use decisions::{Ledger, Stream};
use network::World;
use schedule::FaultQueue;
use selector::{Dirty, DirtyList, HostIo, SimSelector, SimWaker};
use socket::SimNetwork;

pub use buggify::Buggify;
pub use decisions::{Decisions, Divergence};
pub use executor::EXECUTOR_DELAY;
pub use fault::Fault;
pub use host::Program;
pub use inspect::HostSnapshot;
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
    /// Replay these decisions ([`Simulation::decisions`] of an earlier
    /// run): each stream serves its recorded values instead of drawing,
    /// then falls back to the seeded one ([`Simulation::divergence`]).
    pub replay: Option<Decisions>,
    /// Which fault points [`Simulation::buggify`] enables (default none).
    pub buggify: Buggify,
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
            replay: None,
            buggify: Buggify::Off,
        }
    }
}

/// Per-link settings for [`Simulation::set_link`]; `None` keeps the current value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkOptions {
    /// `(min, max)` latency in seconds.
    pub latency: Option<(f64, f64)>,
    /// Loss probability.
    pub loss: Option<f64>,
    /// Probability that a datagram arrives twice (streams are unaffected).
    pub duplicate: Option<f64>,
    /// Probability that a datagram takes its own latency instead of
    /// arriving after the datagrams sent before it (streams are unaffected).
    pub reorder: Option<f64>,
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
    check_probability("loss", loss)
}

fn check_probability(name: &str, p: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::Value(format!("{name} must be a probability in [0, 1], got {p}")));
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
    /// A scheduled fault.
    Fault,
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
    /// Random streams' replay record and first miss; counts the events.
    ledger: Rc<Ledger>,
    faults: RefCell<FaultQueue>,
    /// The buggify points' streams, made on first use.
    buggify: RefCell<HashMap<Rc<str>, Stream>>,
    /// Each host's executor stream (`executor.rs`), made on first use.
    executors: RefCell<HashMap<HostId, Stream>>,
    /// Each host's TLS stream (`tls_source.rs`), made on first use.
    tls: RefCell<HashMap<HostId, Stream>>,
    /// Hosts restarted by scheduled faults (`take_restarted`).
    restarted: RefCell<Vec<HostId>>,
    /// `close()` was called: nothing runs any more.
    closed: Cell<bool>,
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
    /// `ValueError` for a bad latency, loss, timeout or replay value.
    pub fn new(opts: SimOptions) -> Result<Simulation> {
        check_latency(opts.latency)?;
        check_loss(opts.loss)?;
        if !(opts.connect_timeout > 0.0 && opts.stream_timeout > 0.0) {
            return Err(Error::Value("connect_timeout and stream_timeout must be positive".into()));
        }
        if let Some(r) = &opts.replay {
            r.check().map_err(Error::Value)?;
        }
        let ledger = Ledger::new(opts.replay.as_ref());
        let clock = SimClock::default();
        let trace = Rc::new(RefCell::new(trace::Trace::new(opts.trace)));
        let world = World::new(opts, clock.clone(), trace.clone(), ledger.clone());
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
            ledger,
            faults: RefCell::new(FaultQueue::default()),
            buggify: RefCell::new(HashMap::new()),
            executors: RefCell::new(HashMap::new()),
            tls: RefCell::new(HashMap::new()),
            restarted: RefCell::new(Vec::new()),
            closed: Cell::new(false),
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
        self.core.ledger.events.get()
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
            let rng = w.ledger.stream(format!("host:{name}"), rng::Rng::for_host(seed, &name));
            w.hosts.push(HostState {
                name: name.clone(),
                program,
                lp: None,
                io,
                crashed: false,
                paused: false,
                skew: 0.0,
                rng,
                life: 0,
                flag,
                wake: None,
                gen: 0,
                fds: Default::default(),
                next_port: EPHEMERAL_FIRST,
                listeners: Default::default(),
                datagrams: Default::default(),
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
        let lp = EventLoop::from_parts(
            Box::new(selector),
            Rc::new(self.clock.clone()),
            Rc::new(network),
            Box::new(crate::backend::readiness::Readiness),
        );
        let (trace, clock) = (self.trace.clone(), self.clock.clone());
        lp.set_hooks(LoopHooks {
            scheduled: Box::new(move || dirty.mark()),
            running: Box::new(move |label| trace.borrow_mut().call(clock.get(), &name, label)),
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

    /// The next event and its time; on ties scheduled faults first, then
    /// network events, then hosts in creation order.
    fn next(&self) -> Option<(f64, Next)> {
        if self.closed.get() {
            return None;
        }
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
        let next = match (net, host) {
            (Some(n), Some((t, _))) if n <= t => Some((n, Next::Network)),
            (_, Some((t, h))) => Some((t, Next::Host(h))),
            (Some(n), None) => Some((n, Next::Network)),
            (None, None) => None,
        };
        match (self.faults.borrow().next_time(), next) {
            (Some(f), Some((t, _))) if f <= t => Some((f, Next::Fault)),
            (Some(f), None) => Some((f, Next::Fault)),
            (_, next) => next,
        }
    }

    fn step(&self) -> Result<bool> {
        if self.closed.get() {
            return Ok(false);
        }
        let Some((t, next)) = self.next() else { return Ok(false) };
        if t > self.clock.get() {
            self.clock.set(t);
        }
        self.ledger.events.set(self.ledger.events.get() + 1);
        match next {
            Next::Fault => {
                let fault = self.faults.borrow_mut().pop();
                if let (Some(fault), Some(me)) = (fault, self.me.upgrade()) {
                    Simulation { core: me }.apply(&fault)?;
                }
            }
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
        if self.closed.get() {
            // The simulation was closed from inside this iteration.
            end::end_life(&lp);
            return result;
        }
        let crashed = self.crashed_running.borrow_mut().take();
        if let Some(dead) = crashed {
            // The host crashed from its own callback: the error that
            // stopped the batch is the crash itself.
            end::end_life(&dead);
            return Ok(());
        }
        result
    }
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = self.core.world.borrow();
        write!(f, "<Simulation t={} hosts={} seed={}>", self.now(), w.hosts.len(), w.opts.seed)
    }
}
