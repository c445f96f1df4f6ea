//! Drives one evloop loop from Node's own libuv loop: no helper thread, no
//! thread hop, Node never blocked.
//!
//! `run_forever` is asyncio's `while True: run_once(); if stopping: break`
//! turned inside out: setup, then each libuv wake-up runs exactly one
//! non-blocking iteration, then either re-arms or (stopping) cleans up and
//! resolves the JS promise. Three handles wake it:
//! - a `uv_poll` on the selector's fd: I/O is ready;
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
//! All handles are stopped while the loop is not running, so an idle loop
//! never keeps Node's process alive.

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;
use std::rc::{Rc, Weak};

use evloop::{EventLoop, ExceptionContext};
use napi::sys;

use crate::errors;
use crate::js_callback::{self, HandleScope, JsEnv, JsRef};
use crate::uv::{self, UvHandle};

/// libuv timers count whole milliseconds; asyncio caps a select timeout at
/// one day (`MAXIMUM_SELECT_TIMEOUT`), which also bounds a bogus value.
const MAX_TIMEOUT_MS: f64 = 86_400_000.0;

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

/// The libuv handles of one loop.
struct Handles {
    /// `None` for selectors without a pollable fd (poll(2), select(2)).
    poll: Option<UvHandle<DriverCore>>,
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
    /// async_hooks context for every call into JS (null once disposed).
    async_ctx: Cell<sys::napi_async_context>,
    handles: RefCell<Option<Handles>>,
    phase: Cell<Phase>,
    /// Resolves (or rejects) the promise of the current `runForever`.
    on_done: RefCell<Option<JsRef>>,
    /// The `Rc` handed to the env cleanup hook, null once released.
    hook_arg: Cell<*const DriverCore>,
}

/// Owned by the JS loop object; disposing on drop closes the handles.
pub struct Driver {
    core: Rc<DriverCore>,
}

impl Driver {
    /// Creates the (stopped) handles for `lp` on the env's libuv loop.
    ///
    /// # Errors
    /// A `RuntimeError` if the env has no libuv loop or the poll handle
    /// cannot watch the selector's fd.
    pub fn new(env: &Rc<JsEnv>, lp: EventLoop) -> errors::JsResult<Driver> {
        let uv_loop = uv::uv_loop_of(env.raw)
            .ok_or_else(|| errors::runtime_error("no libuv loop in this env"))?;
        let core = Rc::new(DriverCore {
            lp,
            env: env.clone(),
            async_ctx: Cell::new(new_async_context(env.raw)),
            handles: RefCell::new(None),
            phase: Cell::new(Phase::Idle),
            on_done: RefCell::new(None),
            hook_arg: Cell::new(std::ptr::null()),
        });
        let poll = match core.lp.selector_fd() {
            Some(fd) => Some(
                UvHandle::poll(uv_loop, fd, core.clone())
                    .map_err(|rc| errors::runtime_error(format!("uv_poll_init failed ({rc})")))?,
            ),
            None => None,
        };
        let timer = UvHandle::timer(uv_loop, core.clone());
        let idle = UvHandle::idle(uv_loop, core.clone());
        *core.handles.borrow_mut() = Some(Handles { poll, timer, idle });

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
        core.phase.set(Phase::Running);
        if let Some(h) = core.handles.borrow().as_ref() {
            if let Some(poll) = &h.poll {
                poll.poll_start(on_poll);
            }
        }
        core.arm();
        Ok(())
    }

    /// Re-arms after the loop's schedule changed from outside an iteration
    /// (`callSoon` from a Node callback, `stop()` while waiting, ...).
    pub fn wake(&self) {
        if self.core.phase.get() == Phase::Running {
            self.core.arm();
        }
    }

    /// Closes the handles (before the loop closes its selector fd).
    pub fn dispose(&self) {
        self.core.dispose();
    }

    /// A weak handle for scheduled callbacks: they live inside the loop,
    /// which the core holds, so a strong one would be a cycle.
    pub fn downgrade(&self) -> Weak<DriverCore> {
        Rc::downgrade(&self.core)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.core.dispose();
    }
}

impl DriverCore {
    /// Arms the handles for the loop's next deadline.
    fn arm(&self) {
        let handles = self.handles.borrow();
        let Some(h) = handles.as_ref() else { return };
        // asyncio polls with timeout 0 when stopping: one more iteration, now.
        let timeout = if self.lp.is_stopping() {
            Some(0.0)
        } else {
            self.lp.next_timeout()
        };
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
            if let Some(poll) = &h.poll {
                poll.poll_stop();
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
        self.phase.set(Phase::InIteration);
        let result = catch_unwind(AssertUnwindSafe(|| self.lp.run_once_nonblocking()));
        if self.phase.get() != Phase::InIteration {
            return; // disposed meanwhile (env teardown)
        }
        self.phase.set(Phase::Running);
        match result {
            Ok(Ok(())) if self.lp.is_stopping() => self.finish(None),
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

    /// Ends `runForever`: cleanup, handles stopped, promise settled.
    fn finish(&self, err: Option<(String, String)>) {
        self.phase.set(Phase::Idle);
        self.stop_handles();
        if catch_unwind(AssertUnwindSafe(|| self.lp.run_forever_cleanup())).is_err() {
            eprintln!("evloop: internal error in run_forever_cleanup");
        }
        let Some(done) = self.on_done.borrow_mut().take() else {
            return;
        };
        if !self.env.is_alive() {
            return;
        }
        let env = self.env.raw;
        let _scope = HandleScope::open(env);
        let args: Vec<sys::napi_value> = match &err {
            Some((code, message)) => vec![errors::error_value(env, code, message)],
            None => Vec::new(),
        };
        if let Err(exc) = js_callback::make_callback(env, self.async_ctx.get(), done.get(), &args) {
            eprintln!(
                "evloop: runForever completion threw: {}",
                js_callback::describe_exception(env, exc)
            );
        }
    }

    /// Calls a scheduled JS callback; a throw goes to the loop's exception
    /// handler, as asyncio's `Handle._run` does, and the loop goes on.
    ///
    /// Node skips its nextTick and microtask drain after a throw, so the
    /// driver then drains them itself, before the loop's next callback: a
    /// nextTick that throws there is reported the same way (as Node's drain
    /// after a callback that returned already reports it) and the drain goes
    /// on with the rest.
    pub fn invoke(&self, func: &JsRef, args: Option<&JsRef>) {
        if !self.env.is_alive() || self.phase.get() == Phase::Disposed {
            return;
        }
        let env = self.env.raw;
        let _scope = HandleScope::open(env);
        let f = func.get();
        let argv = args
            .map(|a| js_callback::array_elements(env, a.get()))
            .unwrap_or_default();
        let mut result = js_callback::make_callback(env, self.async_ctx.get(), f, &argv);
        while let Err(exc) = result {
            if !js_callback::can_run_js(env) {
                return; // the env is terminating (worker.terminate()); nothing to report
            }
            let name = js_callback::string_property(env, f, c"name").filter(|n| !n.is_empty());
            let callback = format!("{}()", name.as_deref().unwrap_or("<anonymous>"));
            let ctx = ExceptionContext::new(format!("Exception in callback {callback}"))
                .with_handle(format!("<Handle {callback}>"))
                .with_exception(js_callback::describe_exception(env, exc));
            self.report_exception(ctx);
            if !self.env.is_alive() || self.phase.get() == Phase::Disposed {
                return; // torn down meanwhile: no async context to drain under
            }
            result = js_callback::drain_task_queues(env, self.async_ctx.get());
        }
    }

    /// Hands an exception to the core's exception handler. With the default
    /// handler active, its text also goes to stderr: it logs through the
    /// `log` crate, and nothing installs a logger in Node.
    fn report_exception(&self, ctx: ExceptionContext) {
        if self.lp.get_exception_handler().is_none() {
            eprintln!("{}", evloop::format_context(&ctx));
        }
        if catch_unwind(AssertUnwindSafe(|| self.lp.call_exception_handler(ctx))).is_err() {
            eprintln!("evloop: internal error in the exception handler");
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
        if let Some(h) = self.handles.borrow_mut().take() {
            if let Some(poll) = h.poll {
                poll.close();
            }
            h.timer.close();
            h.idle.close();
        }
        self.on_done.borrow_mut().take();
        let ctx = self.async_ctx.replace(null_mut());
        if !ctx.is_null() && self.env.is_alive() {
            // SAFETY: ctx came from napi_async_init on this env and is
            // destroyed once (replaced by null above).
            unsafe { sys::napi_async_destroy(self.env.raw, ctx) };
        }
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

/// A fresh async context for calls into JS ("evloop.EventLoop" in async_hooks).
fn new_async_context(env: sys::napi_env) -> sys::napi_async_context {
    let name = "evloop.EventLoop";
    let (mut resource, mut js_name, mut ctx) = (null_mut(), null_mut(), null_mut());
    // SAFETY: env live on this thread during the constructor call.
    unsafe {
        sys::napi_create_object(env, &mut resource);
        sys::napi_create_string_utf8(env, name.as_ptr().cast(), name.len() as isize, &mut js_name);
        sys::napi_async_init(env, resource, js_name, &mut ctx);
    }
    ctx
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
