//! The selector of a simulated host: readiness of its simulated sockets,
//! level-triggered as the `Selector` contract wants, and never a wait.
//!
//! The network sets each socket's readiness as data, connections and
//! errors arrive ([`HostIo::set_ready`]); the loop registers interest.
//! `active` is kept as the set of fds whose readiness meets their
//! interest, so `select` costs what it reports, not what is registered, and
//! reports in fd order (deterministic).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::io;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use super::HostId;
use crate::selector::{Event, Fd, Interest, Selector, Wake};

/// Hosts whose loop may have new work: the simulation re-reads their next
/// wake time before choosing the next event.
#[derive(Default)]
pub(crate) struct DirtyList(RefCell<Vec<HostId>>);

impl DirtyList {
    pub(crate) fn take(&self) -> Vec<HostId> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// Marks one host dirty, once until the simulation looks at it.
#[derive(Clone)]
pub(crate) struct Dirty {
    pub(crate) list: Rc<DirtyList>,
    pub(crate) host: HostId,
    pub(crate) flag: Rc<Cell<bool>>,
}

impl Dirty {
    pub(crate) fn mark(&self) {
        if !self.flag.replace(true) {
            self.list.0.borrow_mut().push(self.host);
        }
    }
}

/// The readiness and registrations of one host's sockets (one life of it:
/// a restart makes a new one).
pub(crate) struct HostIo {
    regs: HashMap<Fd, Interest>,
    ready: HashMap<Fd, Interest>,
    active: BTreeSet<Fd>,
    dirty: Dirty,
}

impl HostIo {
    pub(crate) fn new(dirty: Dirty) -> HostIo {
        HostIo { regs: HashMap::new(), ready: HashMap::new(), active: BTreeSet::new(), dirty }
    }

    fn update(&mut self, fd: Fd) {
        let interest = self.regs.get(&fd).copied().unwrap_or_default();
        let ready = self.ready.get(&fd).copied().unwrap_or_default();
        let on = !interest.intersect(ready).is_empty();
        let changed = if on { self.active.insert(fd) } else { self.active.remove(&fd) };
        if changed && on {
            self.dirty.mark();
        }
    }

    /// The socket `fd` is now ready for `ready` (and nothing else).
    pub(crate) fn set_ready(&mut self, fd: Fd, ready: Interest) {
        if ready.is_empty() {
            self.ready.remove(&fd);
        } else {
            self.ready.insert(fd, ready);
        }
        self.update(fd);
    }

    /// The socket `fd` was closed.
    pub(crate) fn forget(&mut self, fd: Fd) {
        self.set_ready(fd, Interest::NONE);
    }
}

/// Wakes from other threads (`call_soon_threadsafe` from an executor
/// thread) are queued for the simulation, which looks at the host again.
pub(crate) struct SimWaker {
    pub(crate) host: HostId,
    pub(crate) woken: Arc<Mutex<Vec<HostId>>>,
}

impl Wake for SimWaker {
    fn wake(&self) -> io::Result<()> {
        if let Ok(mut w) = self.woken.lock() {
            w.push(self.host);
        }
        Ok(())
    }
}

/// A host's selector.
pub(crate) struct SimSelector {
    pub(crate) io: Rc<RefCell<HostIo>>,
    pub(crate) waker: Arc<SimWaker>,
}

fn not_registered(fd: Fd) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("{fd} is not registered"))
}

impl Selector for SimSelector {
    fn name(&self) -> &'static str {
        "sim"
    }

    fn register(&mut self, fd: Fd, interest: Interest) -> io::Result<()> {
        let mut io = self.io.borrow_mut();
        if io.regs.contains_key(&fd) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{fd} is already registered")));
        }
        io.regs.insert(fd, interest);
        io.update(fd);
        Ok(())
    }

    fn modify(&mut self, fd: Fd, interest: Interest) -> io::Result<()> {
        let mut io = self.io.borrow_mut();
        let Some(slot) = io.regs.get_mut(&fd) else { return Err(not_registered(fd)) };
        *slot = interest;
        io.update(fd);
        Ok(())
    }

    fn unregister(&mut self, fd: Fd) -> io::Result<()> {
        let mut io = self.io.borrow_mut();
        if io.regs.remove(&fd).is_none() {
            return Err(not_registered(fd));
        }
        io.update(fd);
        Ok(())
    }

    /// Reports what is ready now. The simulation only runs an iteration
    /// with timeout 0; a loop asked to wait (its own `run_forever`) gets an
    /// error, since only the simulation can move time and deliver data.
    fn select(&mut self, timeout: Option<f64>, events: &mut Vec<Event>) -> io::Result<()> {
        let io = self.io.borrow();
        if io.active.is_empty() && timeout.is_none_or(|t| t > 0.0) {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "a simulated host's loop cannot wait: its Simulation drives it (use Simulation::run_until_complete, run_for or step)",
            ));
        }
        for &fd in &io.active {
            let interest = io.regs.get(&fd).copied().unwrap_or_default();
            let ready = io.ready.get(&fd).copied().unwrap_or_default();
            events.push(Event { fd, ready: interest.intersect(ready) });
        }
        Ok(())
    }

    fn has_pending(&self) -> bool {
        !self.io.borrow().active.is_empty()
    }

    fn waker(&self) -> Arc<dyn Wake> {
        self.waker.clone()
    }
}
