//! A simulated host: its current loop (one per life: a restart makes a new
//! one), its program, its sockets' numbers and ports, and the state the
//! faults change (crashed, paused, clock skew).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

use super::decisions::Stream;
use super::selector::HostIo;
use super::ConnId;
use crate::clock::Clock;
use crate::selector::Fd;
use crate::EventLoop;

/// What a host runs when the simulation starts and after each restart.
pub type Program = Rc<dyn Fn(&EventLoop)>;

/// The one virtual clock of a simulation: every host's `time()` reads it;
/// only the simulation moves it (selectors never do).
#[derive(Clone, Default)]
pub(crate) struct SimClock(pub(crate) Rc<Cell<f64>>);

impl SimClock {
    pub(crate) fn get(&self) -> f64 {
        self.0.get()
    }
    pub(crate) fn set(&self, t: f64) {
        self.0.set(t);
    }
}

impl Clock for SimClock {
    fn now(&self) -> f64 {
        self.0.get()
    }
    fn resolution(&self) -> f64 {
        1e-9
    }
}

/// Small per-host fd numbers, lowest free first (as POSIX allocates),
/// starting at 3 (0-2 are a process's standard streams).
#[derive(Debug)]
pub(crate) struct FdAlloc {
    next: Fd,
    free: BTreeSet<Fd>,
}

impl Default for FdAlloc {
    fn default() -> Self {
        FdAlloc { next: 3, free: BTreeSet::new() }
    }
}

impl FdAlloc {
    pub(crate) fn alloc(&mut self) -> Fd {
        if let Some(fd) = self.free.pop_first() {
            return fd;
        }
        self.next += 1;
        self.next - 1
    }
    pub(crate) fn release(&mut self, fd: Fd) {
        if fd < self.next {
            self.free.insert(fd);
        }
    }
}

/// A bound port; it accepts connections once listening.
pub(crate) struct ListenerState {
    pub(crate) fd: Fd,
    pub(crate) listening: bool,
    pub(crate) backlog: usize,
    /// Connections that arrived and wait for `accept()`, oldest first.
    pub(crate) queue: VecDeque<ConnId>,
}

/// The first port handed out for port 0 and for connecting sockets
/// (Linux's `ip_local_port_range`).
pub(crate) const EPHEMERAL_FIRST: u16 = 32768;
pub(crate) const EPHEMERAL_LAST: u16 = 60999;

pub(crate) struct HostState {
    pub(crate) name: Rc<str>,
    pub(crate) program: Option<Program>,
    /// `None` while crashed.
    pub(crate) lp: Option<EventLoop>,
    /// The current life's socket readiness (the selector's other half).
    pub(crate) io: Rc<RefCell<HostIo>>,
    pub(crate) crashed: bool,
    pub(crate) paused: bool,
    /// Offset of `wall_time()`, seconds.
    pub(crate) skew: f64,
    /// The host's own random stream (`Simulation::random`), `host:<name>`.
    pub(crate) rng: Stream,
    /// Incremented by each restart; sockets of an earlier life are dead.
    pub(crate) life: u32,
    /// Set while the host is on the dirty list.
    pub(crate) flag: Rc<Cell<bool>>,
    /// When the host's loop next has work, as last computed (and queued).
    pub(crate) wake: Option<f64>,
    /// Invalidates older queue entries of this host.
    pub(crate) gen: u64,
    pub(crate) fds: FdAlloc,
    pub(crate) next_port: u16,
    pub(crate) listeners: BTreeMap<u16, ListenerState>,
    /// Bound datagram sockets by port (a port space of their own, as UDP's).
    pub(crate) datagrams: BTreeMap<u16, super::network::DatagramState>,
}

impl HostState {
    /// The next ephemeral port not bound by a listener.
    pub(crate) fn ephemeral_port(&mut self) -> u16 {
        loop {
            let p = self.next_port;
            self.next_port = if p >= EPHEMERAL_LAST { EPHEMERAL_FIRST } else { p + 1 };
            if !self.listeners.contains_key(&p) {
                return p;
            }
        }
    }

    /// The next ephemeral port not bound by a datagram socket.
    pub(crate) fn ephemeral_datagram_port(&mut self) -> u16 {
        loop {
            let p = self.next_port;
            self.next_port = if p >= EPHEMERAL_LAST { EPHEMERAL_FIRST } else { p + 1 };
            if !self.datagrams.contains_key(&p) {
                return p;
            }
        }
    }
}
