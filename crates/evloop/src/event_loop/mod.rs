//! `EventLoop`: asyncio's `BaseEventLoop` scheduling core over any
//! [`Selector`] and [`Clock`].
//!
//! The loop is a cheap, clonable handle (`Rc`) so callbacks can capture it
//! and call back into it; it is `!Send`, and other threads use a
//! [`LoopRemote`]. No borrow of the loop's state is held while user code
//! runs, so every method may be called from inside a callback.
//!
//! The selector and the clock are trait objects, not type parameters: the
//! bindings choose the selector by name at run time, and one concrete
//! `EventLoop` type keeps them (and user code) simple. The one virtual call
//! per `select` is nothing next to the system call behind it.

mod exceptions;
mod executor;
mod inspect;
mod io;
mod run;
mod run_once;

use std::borrow::Cow;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::backend::Backend;
use crate::clock::{Clock, VirtualClock};
use crate::error::{Error, Result};
use crate::exception::ExceptionHandler;
use crate::handle::{Handle, TimerHandle};
use crate::net::network::Network;
use crate::remote::{LoopRemote, RemoteItem, Shared, ThreadsafeHandle};
use crate::selector::{Event, Fd, Selector};
use crate::task::TaskTable;
use crate::timer_heap::TimerHeap;

pub use run::get_running_loop;
pub(crate) use io::FdOwner;

/// The `log` target of debug mode's slow-callback warnings ("Executing <Handle>
/// took 0.200 seconds"). The bindings report slow callbacks themselves, with
/// their own callbacks' names, and leave records of this target out.
pub const SLOW_CALLBACK_TARGET: &str = "evloop::slow_callback";

/// asyncio's `slow_callback_duration` default, in seconds.
const DEFAULT_SLOW_CALLBACK_DURATION: f64 = 0.1;

static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The loops of this thread by id, so a task waker fired on the loop's
    /// own thread can schedule the task directly (keeping asyncio's order)
    /// instead of going through the cross-thread inbox.
    static LOOPS: RefCell<HashMap<u64, Weak<Inner>>> = RefCell::new(HashMap::new());
}

/// An entry of the ready queue.
pub(crate) enum Ready {
    Local(Handle),
    Remote(ThreadsafeHandle),
}

/// The reader and writer registered for one fd (asyncio keeps the pair as
/// the selector key's data).
#[derive(Default)]
pub(crate) struct IoHandles {
    reader: Option<Handle>,
    writer: Option<Handle>,
}

/// Observers a driver installs on a loop it runs step by step (the
/// simulation, `crate::sim`): it must learn when work is scheduled from
/// outside the loop's own iteration (another host's callback, a test between
/// two steps) without polling every loop, and it traces each callback run.
pub(crate) struct LoopHooks {
    /// Called after `call_soon`/`call_at` queued something.
    pub(crate) scheduled: Box<dyn Fn()>,
    /// Called with the callback's label right before it runs.
    pub(crate) running: Box<dyn Fn(&str)>,
}

/// Numbers that tests and tools read to check the loop's bookkeeping.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoopStats {
    /// Iterations started since the loop was created.
    pub iterations: u64,
    /// Timers in the heap, cancelled ones included.
    pub timers: usize,
    /// Cancelled timers still in the heap.
    pub cancelled_timers: usize,
    /// Handles in the ready queue.
    pub ready: usize,
    /// The timeout passed to the last `select` (`None`: block).
    pub last_select_timeout: Option<f64>,
}

pub(crate) struct Inner {
    id: u64,
    _live: crate::live::Counted,
    clock: Rc<dyn Clock>,
    /// `None` once closed.
    selector: RefCell<Option<Box<dyn Selector>>>,
    selector_name: &'static str,
    ready: RefCell<VecDeque<Ready>>,
    timers: RefCell<TimerHeap>,
    io: RefCell<HashMap<Fd, IoHandles>>,
    /// Where sockets come from: the OS, or a simulated network.
    network: Rc<dyn Network>,
    /// How accepting, stream I/O and connecting are done: readiness or
    /// completion (`crate::backend`).
    backend: Box<dyn Backend>,
    /// Fds owned by live transports: `add_reader` and friends refuse them.
    transports: RefCell<HashMap<Fd, FdOwner>>,
    /// The servers made on this loop (weakly): `close()` releases the
    /// listening sockets of those still open.
    servers: RefCell<Vec<Weak<crate::server::ServerInner>>>,
    /// The child processes started on this loop (weakly): `close()` kills
    /// and reaps those still running, and releases their pidfds.
    #[cfg(target_os = "linux")]
    children: RefCell<Vec<Weak<crate::subprocess::TransportInner>>>,
    /// Reused between iterations to avoid an allocation per `select`.
    events: RefCell<Vec<Event>>,
    stopping: Cell<bool>,
    running: Cell<bool>,
    closed: Cell<bool>,
    /// Set by a fatal error (the analogue of SystemExit): the iteration
    /// stops at once and `run_forever` returns it.
    fatal: RefCell<Option<Error>>,
    debug: Cell<bool>,
    slow_callback_duration: Cell<f64>,
    exception_handler: RefCell<Option<ExceptionHandler>>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) tasks: RefCell<TaskTable>,
    executor: RefCell<executor::ExecutorState>,
    /// Signal handlers and the OS wake-up pipe (`crate::signals`).
    pub(crate) signals: RefCell<crate::signals::SignalState>,
    iterations: Cell<u64>,
    last_select_timeout: Cell<Option<f64>>,
    /// Set once by a step-by-step driver (the simulation); empty otherwise,
    /// which costs one branch per `call_soon`.
    pub(crate) hooks: OnceCell<LoopHooks>,
}

/// An asyncio event loop. Clone it freely: clones are the same loop.
#[derive(Clone)]
pub struct EventLoop {
    pub(crate) inner: Rc<Inner>,
}

impl EventLoop {
    /// A loop on the default selector (mio: epoll or kqueue), like
    /// `asyncio.new_event_loop()`.
    ///
    /// # Errors
    /// The OS error if the selector cannot be created (for example EMFILE).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new() -> Result<EventLoop> {
        EventLoop::with_selector(crate::selector::SelectorKind::Default)
    }

    /// A `SelectorEventLoop` on the chosen selector.
    ///
    /// # Errors
    /// The OS error if the selector cannot be created.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn with_selector(kind: crate::selector::SelectorKind) -> Result<EventLoop> {
        let selector = crate::selector::open(kind).map_err(|e| Error::os("selector", e))?;
        Ok(EventLoop::from_parts(
            selector,
            Rc::new(crate::clock::MonotonicClock),
            Rc::new(crate::net::os::OsNetwork),
            Box::new(crate::backend::readiness::Readiness),
        ))
    }

    /// A loop on virtual time with no I/O: waiting jumps the clock to the
    /// next timer, so a one-hour `call_later` runs at once. Used by the
    /// simulation and available on every target, wasm included.
    pub fn virtual_time() -> EventLoop {
        let clock = VirtualClock::new();
        let selector = crate::selector::virtual_time::VirtualSelector::new(clock.clone());
        EventLoop::from_parts(
            Box::new(selector),
            Rc::new(clock),
            Rc::new(crate::net::network::NoNetwork),
            Box::new(crate::backend::readiness::Readiness),
        )
    }

    /// A loop on any selector, clock, network and back end.
    pub(crate) fn from_parts(
        selector: Box<dyn Selector>,
        clock: Rc<dyn Clock>,
        network: Rc<dyn Network>,
        backend: Box<dyn Backend>,
    ) -> EventLoop {
        let id = NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(Shared {
            inbox: Mutex::new(Vec::new()),
            waker: Mutex::new(Some(selector.waker())),
            closed: Default::default(),
            owner: std::thread::current().id(),
        });
        let inner = Rc::new(Inner {
            id,
            clock,
            selector_name: selector.name(),
            selector: RefCell::new(Some(selector)),
            _live: crate::live::Counted::new(crate::live::Kind::Loop),
            ready: RefCell::new(VecDeque::new()),
            timers: RefCell::new(TimerHeap::new()),
            io: RefCell::new(HashMap::new()),
            network,
            backend,
            transports: RefCell::new(HashMap::new()),
            servers: RefCell::new(Vec::new()),
            #[cfg(target_os = "linux")]
            children: RefCell::new(Vec::new()),
            events: RefCell::new(Vec::new()),
            stopping: Cell::new(false),
            running: Cell::new(false),
            closed: Cell::new(false),
            fatal: RefCell::new(None),
            debug: Cell::new(false),
            slow_callback_duration: Cell::new(DEFAULT_SLOW_CALLBACK_DURATION),
            exception_handler: RefCell::new(None),
            shared,
            tasks: RefCell::new(TaskTable::default()),
            executor: RefCell::new(Default::default()),
            signals: RefCell::new(Default::default()),
            iterations: Cell::new(0),
            last_select_timeout: Cell::new(None),
            hooks: OnceCell::new(),
        });
        LOOPS.with(|l| l.borrow_mut().insert(id, Rc::downgrade(&inner)));
        EventLoop { inner }
    }

    pub(crate) fn by_id(id: u64) -> Option<EventLoop> {
        LOOPS.with(|l| l.borrow().get(&id).and_then(Weak::upgrade)).map(|inner| EventLoop { inner })
    }

    /// Installs the driver's hooks (once; later calls are ignored).
    pub(crate) fn set_hooks(&self, hooks: LoopHooks) {
        let _ = self.inner.hooks.set(hooks);
    }

    fn notify_scheduled(&self) {
        if let Some(hooks) = self.inner.hooks.get() {
            (hooks.scheduled)();
        }
    }

    pub(crate) fn network(&self) -> Rc<dyn Network> {
        self.inner.network.clone()
    }

    /// The back end servers, transports and connects ask for I/O.
    pub(crate) fn backend(&self) -> &dyn Backend {
        &*self.inner.backend
    }

    /// Whether this loop is a `ProactorEventLoop` (completion I/O).
    pub fn is_proactor(&self) -> bool {
        self.inner.backend.is_completion()
    }

    /// Operations the proactor has in flight (0 on other loops): the
    /// memory the kernel may still use. For tests and leak checks.
    pub fn proactor_in_flight(&self) -> usize {
        self.inner.backend.in_flight()
    }

    /// On a proactor made with a `RecvMemory` (`proactor_with`): the kernel
    /// never writes into a supplied block again, and receives go on in the
    /// loop's own memory. For a binding whose runtime frees that memory
    /// (a Node worker's teardown). Nothing on other loops.
    pub fn release_recv_memory(&self) {
        self.inner.backend.release_recv_memory();
    }

    /// A number that identifies this loop (futures remember it).
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The selector in use: `"epoll"`, `"kqueue"`, `"poll"`, `"select"` or `"virtual"`.
    pub fn selector_name(&self) -> &'static str {
        self.inner.selector_name
    }

    /// The loop's clock, in seconds (`loop.time()`).
    pub fn time(&self) -> f64 {
        self.inner.clock.now()
    }

    /// The clock's resolution in seconds.
    pub fn clock_resolution(&self) -> f64 {
        self.inner.clock.resolution()
    }

    pub(crate) fn check_closed(&self) -> Result<()> {
        if self.inner.closed.get() {
            Err(Error::loop_closed())
        } else {
            Ok(())
        }
    }

    /// Schedules `f` to run in the next iteration, after the callbacks
    /// already queued (FIFO).
    ///
    /// # Errors
    /// `RuntimeError('Event loop is closed')`.
    pub fn call_soon(&self, f: impl FnOnce() + 'static) -> Result<Handle> {
        self.call_soon_labelled(Cow::Borrowed(std::any::type_name_of_val(&f)), f)
    }

    /// [`call_soon`](Self::call_soon) with the label that names the
    /// callback in reports (bindings pass the JavaScript function's name).
    pub fn call_soon_labelled(&self, label: Cow<'static, str>, f: impl FnOnce() + 'static) -> Result<Handle> {
        self.check_closed()?;
        let handle = Handle::once(f, label);
        self.inner.ready.borrow_mut().push_back(Ready::Local(handle.clone()));
        self.notify_scheduled();
        Ok(handle)
    }

    /// Queues `handle` (a [`Handle::repeating`]) once more, after the
    /// callbacks already queued; each time it comes up it runs, unless it
    /// was cancelled.
    ///
    /// # Errors
    /// `RuntimeError('Event loop is closed')`.
    pub fn call_soon_again(&self, handle: &Handle) -> Result<()> {
        self.check_closed()?;
        self.inner.ready.borrow_mut().push_back(Ready::Local(handle.clone()));
        self.notify_scheduled();
        Ok(())
    }

    /// `call_soon` that also wakes the loop if it waits for I/O. From the
    /// loop's own thread it keeps FIFO order with `call_soon`; other
    /// threads use [`LoopRemote::call_soon_threadsafe`].
    ///
    /// # Errors
    /// `RuntimeError('Event loop is closed')`.
    pub fn call_soon_threadsafe(&self, f: impl FnOnce() + 'static) -> Result<Handle> {
        let handle = self.call_soon(f)?;
        self.inner.shared.wake()?;
        Ok(handle)
    }

    /// A `Send` handle for scheduling on this loop from other threads.
    pub fn remote(&self) -> LoopRemote {
        LoopRemote(self.inner.shared.clone())
    }

    /// Schedules `f` after `delay` seconds (`call_at(time() + delay)`).
    /// Negative delays are allowed and mean "already due".
    ///
    /// # Errors
    /// `TypeError('delay must not be None')` for NaN (the bindings' stand-in
    /// for a missing delay); `RuntimeError('Event loop is closed')`.
    pub fn call_later(&self, delay: f64, f: impl FnOnce() + 'static) -> Result<TimerHandle> {
        self.call_later_labelled(delay, Cow::Borrowed(std::any::type_name_of_val(&f)), f)
    }

    /// [`call_later`](Self::call_later) with a label.
    pub fn call_later_labelled(
        &self,
        delay: f64,
        label: Cow<'static, str>,
        f: impl FnOnce() + 'static,
    ) -> Result<TimerHandle> {
        if delay.is_nan() {
            return Err(Error::Type("delay must not be None".into()));
        }
        self.call_at_labelled(self.time() + delay, label, f)
    }

    /// Schedules `f` at loop time `when` (seconds, as [`time`](Self::time)).
    ///
    /// # Errors
    /// `TypeError('when cannot be None')` for NaN; `RuntimeError('Event loop is closed')`.
    pub fn call_at(&self, when: f64, f: impl FnOnce() + 'static) -> Result<TimerHandle> {
        self.call_at_labelled(when, Cow::Borrowed(std::any::type_name_of_val(&f)), f)
    }

    /// [`call_at`](Self::call_at) with a label.
    pub fn call_at_labelled(&self, when: f64, label: Cow<'static, str>, f: impl FnOnce() + 'static) -> Result<TimerHandle> {
        if when.is_nan() {
            return Err(Error::Type("when cannot be None".into()));
        }
        self.check_closed()?;
        let timer = self.inner.timers.borrow_mut().push(when, f, label);
        self.notify_scheduled();
        Ok(timer)
    }

    /// Turns debug mode on or off (slow-callback warnings).
    pub fn set_debug(&self, enabled: bool) {
        self.inner.debug.set(enabled);
    }

    /// Whether debug mode is on.
    pub fn get_debug(&self) -> bool {
        self.inner.debug.get()
    }

    /// In debug mode, callbacks that take at least this many seconds are
    /// reported (default 0.1).
    pub fn slow_callback_duration(&self) -> f64 {
        self.inner.slow_callback_duration.get()
    }

    /// Sets [`slow_callback_duration`](Self::slow_callback_duration).
    pub fn set_slow_callback_duration(&self, seconds: f64) {
        self.inner.slow_callback_duration.set(seconds);
    }

    /// Bookkeeping numbers for tests and tools.
    pub fn stats(&self) -> LoopStats {
        let timers = self.inner.timers.borrow();
        LoopStats {
            iterations: self.inner.iterations.get(),
            timers: timers.len(),
            cancelled_timers: timers.cancelled_count(),
            ready: self.inner.ready.borrow().len(),
            last_select_timeout: self.inner.last_select_timeout.get(),
        }
    }

    /// Whether this is the same loop as `other`.
    pub fn ptr_eq(&self, other: &EventLoop) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    pub(crate) fn push_remote_items(&self, items: Vec<RemoteItem>) {
        for item in items {
            match item {
                RemoteItem::Call(h) => self.inner.ready.borrow_mut().push_back(Ready::Remote(h)),
                RemoteItem::WakeTask(id) => crate::task::schedule_step(self, id),
            }
        }
    }
}

impl Drop for Inner {
    /// asyncio's `BaseEventLoop.__del__`: a loop dropped (garbage collected,
    /// in a binding) without `close()` warns in debug mode, as asyncio's
    /// `ResourceWarning` does; what it holds is released here either way.
    fn drop(&mut self) {
        if !self.closed.get() && self.debug.get() {
            log::warn!(
                target: "evloop",
                "unclosed event loop <EventLoop selector={} running={} closed=false debug=true>",
                self.selector_name,
                self.running.get()
            );
        }
        self.signals.get_mut().release_at_drop(self.id);
        self.shared.close();
        let id = self.id;
        // The thread-local may already be gone at thread exit.
        let _ = LOOPS.try_with(|l| l.borrow_mut().remove(&id));
    }
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<EventLoop selector={} running={} closed={} debug={}>",
            self.inner.selector_name,
            self.inner.running.get(),
            self.inner.closed.get(),
            self.inner.debug.get()
        )
    }
}
