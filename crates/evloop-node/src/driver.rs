//! Drives one evloop loop from Node's own libuv loop: no thread hop for
//! callbacks, Node never blocked.
//!
//! `run_forever` is asyncio's `while True: run_once(); if stopping: break`
//! turned inside out: setup, then each libuv wake-up runs exactly one
//! non-blocking iteration, then either re-arms or (stopping) cleans up and
//! settles the JS promise. Three things wake it:
//! - I/O: for epoll/kqueue loops a `uv_poll` on the selector's own fd; for
//!   poll(2)/select(2) loops, which have no such fd, a helper thread that
//!   waits for the loop's fds and wakes libuv through a `uv_async`
//!   (`watcher.rs` says why not one `uv_poll` per fd);
//! - a `uv_timer` armed for `next_timeout()`: the earliest timer is due;
//! - a `uv_idle` while `next_timeout()` is `Some(0)`: work is ready now.
//!
//! Why idle for "now" rather than a 0 ms timer or a check handle: an active
//! idle handle makes libuv poll with a zero timeout and runs its callback
//! once per turn, after Node's timers and before I/O polling, so evloop
//! iterations and Node's own I/O take turns (Node's `setImmediate` uses the
//! same pair). A check handle alone does not stop libuv from blocking in
//! poll, and a 0 ms timer re-armed from its own callback can run again in the
//! same timers phase on older libuv, starving I/O.
//!
//! All handles are stopped (the async one unreferenced) while the loop is
//! not running, so an idle loop never keeps Node's process alive.
//!
//! This file decides *when* an iteration runs; calls into JS go through the
//! loop's `JsEntry` (`enter.rs`), and messages from other threads are
//! `js_remote.rs`'s, which hooks into [`DriverCore::on_dispose`].

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::{Rc, Weak};

use evloop::EventLoop;
use napi::sys;

use crate::enter::{Hooks, JsEntry};
use crate::errors;
use crate::js_callback::{JsEnv, JsRef};
use crate::uv::{self, UvHandle};
use crate::watcher::Watcher;

/// libuv timers count whole milliseconds; asyncio caps a select timeout at
/// one day (`MAXIMUM_SELECT_TIMEOUT`), which also bounds a bogus value.
const MAX_TIMEOUT_MS: f64 = 86_400_000.0;

thread_local! {
    /// The drivers of this thread by loop id, so work sent from other
    /// threads (which reaches the core as a `FnOnce(&EventLoop)`) can find
    /// the JS side of its loop.
    static DRIVERS: RefCell<HashMap<u64, Weak<DriverCore>>> = RefCell::new(HashMap::new());
}

/// The driver of the loop `lp`, on this thread.
pub fn driver_of(lp: &EventLoop) -> Option<Rc<DriverCore>> {
    DRIVERS
        .try_with(|d| d.borrow().get(&lp.id()).and_then(Weak::upgrade))
        .ok()
        .flatten()
}

/// Where the driven loop is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Not running; handles stopped.
    Idle,
    /// `runForever` in progress, waiting for a wake-up.
    Running,
    /// Inside `run_once_nonblocking` (JS callbacks may call back into us).
    InIteration,
    /// Handles closed (loop closed, object collected or env torn down).
    Disposed,
}

/// How the driver learns that the loop's I/O is ready.
enum Waiter {
    /// A `uv_poll` on the selector's own fd (epoll, kqueue).
    SelectorFd(UvHandle<DriverCore>),
    /// poll(2)/select(2): a helper thread waits and sends to `wake`.
    Watched {
        wake: UvHandle<DriverCore>,
        watcher: Watcher,
    },
}

/// The libuv handles of one loop.
struct Handles {
    waiter: Waiter,
    timer: UvHandle<DriverCore>,
    idle: UvHandle<DriverCore>,
}

/// Shared by the JS object and the libuv handles (each handle's `data` holds
/// one `Rc`), so it outlives whichever goes first.
pub struct DriverCore {
    /// The loop being driven.
    lp: EventLoop,
    /// The env the loop's JS callbacks run in.
    env: Rc<JsEnv>,
    /// How the loop enters JS (`enter.rs`).
    entry: Rc<JsEntry>,
    handles: RefCell<Option<Handles>>,
    phase: Cell<Phase>,
    /// Resolves (or rejects) the promise of the current `runForever`.
    on_done: RefCell<Option<JsRef>>,
    /// A fatal error (SystemExit, KeyboardInterrupt) ending the run.
    fatal: RefCell<Option<JsRef>>,
    /// The `Rc` handed to the env cleanup hook, null once released.
    hook_arg: Cell<*const DriverCore>,
    /// Run once when the driver is disposed (the loop's remote tokens are
    /// invalidated this way, `js_remote.rs`).
    on_dispose: RefCell<Vec<Box<dyn FnOnce()>>>,
}

/// Owned by the JS loop object; disposing on drop closes the handles.
pub struct Driver {
    core: Rc<DriverCore>,
}

impl Driver {
    /// Creates the (stopped) handles for `lp` on the env's libuv loop and
    /// routes the core's exception reports to the JS hooks.
    ///
    /// # Errors
    /// A `RuntimeError` if the env has no libuv loop or a handle cannot be
    /// created.
    pub fn new(env: &Rc<JsEnv>, lp: EventLoop, owner: JsRef, hooks: Hooks) -> errors::JsResult<Driver> {
        let uv_loop = uv::uv_loop_of(env.raw)
            .ok_or_else(|| errors::runtime_error("no libuv loop in this env"))?;
        let core = Rc::new(DriverCore {
            entry: Rc::new(JsEntry::new(env, lp.clone(), owner, hooks)),
            lp,
            env: env.clone(),
            handles: RefCell::new(None),
            phase: Cell::new(Phase::Idle),
            on_done: RefCell::new(None),
            fatal: RefCell::new(None),
            hook_arg: Cell::new(std::ptr::null()),
            on_dispose: RefCell::new(Vec::new()),
        });
        let waiter = match core.lp.selector_fd() {
            Some(fd) => Waiter::SelectorFd(
                UvHandle::poll(uv_loop, fd, core.clone())
                    .map_err(|rc| errors::runtime_error(format!("uv_poll_init failed ({rc})")))?,
            ),
            None => {
                let wake = UvHandle::async_handle(uv_loop, core.clone(), on_async)
                    .map_err(|rc| errors::runtime_error(format!("uv_async_init failed ({rc})")))?;
                wake.set_ref(false);
                match Watcher::new(wake.raw()) {
                    Ok(watcher) => Waiter::Watched { wake, watcher },
                    Err(e) => {
                        wake.close();
                        return Err(errors::runtime_error(format!("cannot create the watcher: {e}")));
                    }
                }
            }
        };
        let timer = UvHandle::timer(uv_loop, core.clone());
        let idle = UvHandle::idle(uv_loop, core.clone());
        *core.handles.borrow_mut() = Some(Handles { waiter, timer, idle });

        let weak = Rc::downgrade(&core.entry);
        core.lp.set_exception_handler(Some(Rc::new(move |_lp, ctx| match weak.upgrade() {
            Some(entry) => entry.report_context(ctx),
            None => eprintln!("{}", evloop::format_context(ctx)),
        })));
        let id = core.lp.id();
        DRIVERS.with(|d| d.borrow_mut().insert(id, Rc::downgrade(&core)));

        let arg = Rc::into_raw(core.clone());
        core.hook_arg.set(arg);
        // SAFETY: env live on this thread; the hook gets back the Rc leaked
        // into `arg`, and `dispose` removes the hook before releasing it.
        unsafe {
            sys::napi_add_env_cleanup_hook(env.raw, Some(on_env_cleanup), arg as *mut c_void)
        };
        Ok(Driver { core })
    }

    /// Starts `runForever`: setup now, iterations from libuv; `on_done` is
    /// called with no argument when the loop stops, or with an error.
    ///
    /// # Errors
    /// The setup's errors (`Event loop is closed`, `This event loop is
    /// already running`, another loop running).
    pub fn run_forever(&self, on_done: JsRef) -> errors::JsResult<()> {
        let core = &self.core;
        core.lp.run_forever_setup().map_err(errors::from_core)?;
        if core.phase.get() != Phase::Idle {
            core.lp.run_forever_cleanup();
            return Err(errors::runtime_error("Event loop is closed"));
        }
        *core.on_done.borrow_mut() = Some(on_done);
        core.fatal.borrow_mut().take();
        core.phase.set(Phase::Running);
        if let Some(h) = core.handles.borrow().as_ref() {
            match &h.waiter {
                Waiter::SelectorFd(poll) => {
                    poll.poll_start(on_poll);
                }
                Waiter::Watched { wake, .. } => wake.set_ref(true),
            }
        }
        core.arm();
        Ok(())
    }

    /// Re-arms after the loop's schedule changed from outside an iteration
    /// (`callSoon` from a Node callback, `stop()` while waiting, a reader
    /// added, ...). Code that changes what the loop waits for calls it.
    pub fn wake(&self) {
        self.core.wake();
    }

    /// Closes the handles (before the loop closes its selector fd).
    pub fn dispose(&self) {
        self.core.dispose();
    }

    /// The shared core (for scheduled calls and remotes).
    pub fn core(&self) -> &Rc<DriverCore> {
        &self.core
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.core.dispose();
    }
}

impl DriverCore {
    /// The async context every call into JS runs under; null once disposed
    /// (for the networking modules, which enter JS for protocols).
    pub fn async_context(&self) -> sys::napi_async_context {
        self.entry.async_context()
    }

    /// How this loop enters JS.
    pub fn entry(&self) -> &Rc<JsEntry> {
        &self.entry
    }

    /// Runs `f` once, when the driver is disposed.
    pub fn on_dispose(&self, f: Box<dyn FnOnce()>) {
        self.on_dispose.borrow_mut().push(f);
    }

    /// The loop being driven.
    pub fn event_loop(&self) -> &EventLoop {
        &self.lp
    }

    /// See [`Driver::wake`].
    pub fn wake(&self) {
        if self.phase.get() == Phase::Running {
            self.arm();
        }
    }

    /// Arms the handles for the loop's next deadline.
    fn arm(&self) {
        let handles = self.handles.borrow();
        let Some(h) = handles.as_ref() else { return };
        // asyncio polls with timeout 0 when stopping: one more iteration, now.
        let timeout = if self.lp.is_stopping() || self.fatal.borrow().is_some() {
            Some(0.0)
        } else {
            self.lp.next_timeout()
        };
        let waits_for_io = !matches!(timeout, Some(t) if t <= 0.0);
        if let Waiter::Watched { watcher, .. } = &h.waiter {
            if waits_for_io {
                watcher.arm(&self.lp.wait_fds());
            } else {
                watcher.disarm();
            }
        }
        match timeout {
            Some(t) if t <= 0.0 => {
                h.timer.timer_stop();
                h.idle.idle_start(on_idle);
            }
            Some(t) => {
                h.idle.idle_stop();
                // Round up, so a timer is never polled before it is due.
                h.timer
                    .timer_start(on_timer, (t * 1000.0).ceil().min(MAX_TIMEOUT_MS) as u64);
            }
            None => {
                h.idle.idle_stop();
                h.timer.timer_stop();
            }
        }
    }

    fn stop_handles(&self) {
        if let Some(h) = self.handles.borrow().as_ref() {
            match &h.waiter {
                Waiter::SelectorFd(poll) => poll.poll_stop(),
                Waiter::Watched { wake, watcher } => {
                    watcher.disarm();
                    wake.set_ref(false);
                }
            }
            h.timer.timer_stop();
            h.idle.idle_stop();
        }
    }

    /// One libuv wake-up: exactly one non-blocking iteration.
    fn wake_up(&self) {
        if self.phase.get() != Phase::Running {
            return; // a wake-up already queued when the loop stopped
        }
        if self.fatal.borrow().is_some() {
            // Raised from outside an iteration (a promise settled by Node).
            self.finish(None);
            return;
        }
        self.phase.set(Phase::InIteration);
        let result = catch_unwind(AssertUnwindSafe(|| self.lp.run_once_nonblocking()));
        if self.phase.get() != Phase::InIteration {
            return; // disposed meanwhile (env teardown)
        }
        self.phase.set(Phase::Running);
        match result {
            Ok(Ok(())) if self.lp.is_stopping() || self.fatal.borrow().is_some() => self.finish(None),
            Ok(Ok(())) => self.arm(),
            Ok(Err(err)) => self.finish(Some((errors::code_string(&err), err.message()))),
            Err(panic) => {
                let text = panic_text(&panic);
                eprintln!("evloop: internal error in an iteration: {text}");
                self.finish(Some((
                    "RuntimeError".into(),
                    format!("evloop internal error: {text}"),
                )));
            }
        }
    }

    /// Ends `runForever`: cleanup, handles stopped, promise settled (a
    /// pending fatal error wins over `err`).
    fn finish(&self, err: Option<(String, String)>) {
        self.phase.set(Phase::Idle);
        self.stop_handles();
        if catch_unwind(AssertUnwindSafe(|| self.lp.run_forever_cleanup())).is_err() {
            eprintln!("evloop: internal error in run_forever_cleanup");
        }
        let fatal = self.fatal.borrow_mut().take();
        // Taken in its own statement: `done` may close the loop, which
        // borrows `on_done` again.
        let done = self.on_done.borrow_mut().take();
        if let Some(done) = done {
            self.entry.settle(done, fatal, err);
        }
    }

    /// A fatal error (the analogue of SystemExit/KeyboardInterrupt): the
    /// current batch stops after the running callback, the rest stays
    /// queued, and `runForever` rejects with `exc`. Ignored when the loop
    /// is not running (nothing to abort).
    pub fn raise_fatal(&self, exc: JsRef) {
        match self.phase.get() {
            Phase::InIteration => {
                *self.fatal.borrow_mut() = Some(exc);
                self.lp
                    .raise_fatal(evloop::Error::Runtime("fatal error raised by a callback".into()));
            }
            Phase::Running => {
                *self.fatal.borrow_mut() = Some(exc);
                self.arm();
            }
            Phase::Idle | Phase::Disposed => {}
        }
    }

    /// Closes the handles and the async context; idempotent.
    fn dispose(&self) {
        let was = self.phase.replace(Phase::Disposed);
        if was == Phase::Disposed {
            self.release_hook();
            return;
        }
        if matches!(was, Phase::Running | Phase::InIteration) {
            // Collected or torn down mid-run: leave the thread's running-loop
            // slot clean; the promise can no longer settle.
            let _ = catch_unwind(AssertUnwindSafe(|| self.lp.run_forever_cleanup()));
        }
        // The loop never runs again: the kernel stops writing into the
        // proactor's receive blocks, which are V8's memory (freed with the
        // isolate, after the env cleanup hook that may have brought us here).
        self.lp.release_recv_memory();
        let on_dispose = std::mem::take(&mut *self.on_dispose.borrow_mut());
        for f in on_dispose {
            f();
        }
        let id = self.lp.id();
        let _ = DRIVERS.try_with(|d| d.borrow_mut().remove(&id));
        if let Some(h) = self.handles.borrow_mut().take() {
            match h.waiter {
                Waiter::SelectorFd(poll) => poll.close(),
                Waiter::Watched { wake, watcher } => {
                    // Join the helper first: it must never send to a closed handle.
                    watcher.shutdown();
                    wake.close();
                }
            }
            h.timer.close();
            h.idle.close();
        }
        self.on_done.borrow_mut().take();
        self.fatal.borrow_mut().take();
        self.entry.close();
        self.release_hook();
    }

    /// Unregisters the env cleanup hook and drops its `Rc` (the hook itself
    /// takes the `Rc` back before disposing, so it never gets here).
    fn release_hook(&self) {
        let arg = self.hook_arg.replace(std::ptr::null());
        if arg.is_null() {
            return;
        }
        if self.env.is_alive() {
            // SAFETY: the same (fun, arg) pair that was registered in Driver::new.
            unsafe {
                sys::napi_remove_env_cleanup_hook(
                    self.env.raw,
                    Some(on_env_cleanup),
                    arg as *mut c_void,
                )
            };
        }
        // SAFETY: arg is the Rc leaked in Driver::new, released exactly once
        // (hook_arg was swapped to null). Other Rcs keep `self` alive.
        drop(unsafe { Rc::from_raw(arg) });
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// Runs `f` on the core behind a libuv handle. No panic may unwind into
/// libuv (that would abort Node), so it stops here.
fn with_core(h: *mut c_void, f: impl FnOnce(&DriverCore)) {
    // SAFETY: every handle of this module is a UvHandle<DriverCore>, and
    // libuv only calls back while it is open.
    let core = unsafe { UvHandle::<DriverCore>::data(h) };
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(core))) {
        eprintln!(
            "evloop: internal error in a libuv callback: {}",
            panic_text(&panic)
        );
    }
}

unsafe extern "C" fn on_poll(h: *mut c_void, _status: c_int, _events: c_int) {
    // A negative status (the fd went bad) still runs the iteration, whose
    // select then reports the error and ends runForever with it.
    with_core(h, DriverCore::wake_up);
}

unsafe extern "C" fn on_async(h: *mut c_void) {
    with_core(h, DriverCore::wake_up);
}

unsafe extern "C" fn on_timer(h: *mut c_void) {
    with_core(h, DriverCore::wake_up);
}

unsafe extern "C" fn on_idle(h: *mut c_void) {
    with_core(h, DriverCore::wake_up);
}

/// The env is going away: close the handles and never touch the env again.
unsafe extern "C" fn on_env_cleanup(arg: *mut c_void) {
    // SAFETY: arg is the Rc<DriverCore> leaked in Driver::new. It is still
    // owned by the hook: release_hook unregisters the hook before it takes
    // the Rc back, so this call means nobody else has. We take it here.
    let core = unsafe { Rc::from_raw(arg as *const DriverCore) };
    core.hook_arg.set(std::ptr::null());
    let result = catch_unwind(AssertUnwindSafe(|| {
        // Dispose while the env can still destroy the async context, then
        // mark it dead so later drops leak references instead of deleting
        // them through a torn-down env.
        core.dispose();
        core.env.mark_dead();
    }));
    if result.is_err() {
        eprintln!("evloop: internal error in the env cleanup hook");
    }
}
