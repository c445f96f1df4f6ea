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

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;
use std::rc::{Rc, Weak};
use std::time::Instant;

use evloop::{EventLoop, ExceptionContext};
use napi::sys;

use crate::errors;
use crate::js_callback::{self, HandleScope, JsContextPayload, JsEnv, JsRef};
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

/// The package's JS functions the driver calls (module-level functions, so
/// holding them strongly makes no cycle with the loop object).
pub struct Hooks {
    /// `(loop, exc, handle, func, args)`: a callback threw.
    pub callback_error: JsRef,
    /// `(loop, seconds, handle, func, args)`: debug mode, a slow callback.
    pub slow_callback: JsRef,
    /// `(loop, context)`: the core reported an exception context.
    pub context: JsRef,
    /// `(loop, callback, bytes)`: a message from another thread arrived.
    pub remote_call: JsRef,
    /// `(loop)`: runs the package's next `callSoon` callback (see `js_ready.rs`).
    pub run_soon: JsRef,
    /// `(loop, id)`: runs the package's timer `id`.
    pub run_timer: JsRef,
}

/// A JS reader or writer callback registered in the loop (`addReader`, `addWriter`).
pub struct ScheduledCall {
    pub func: JsRef,
    /// A JS array, or `None` for no arguments.
    pub args: Option<JsRef>,
    /// Weak reference to the package's `Handle` for it, for error reports.
    pub handle: RefCell<Option<JsRef>>,
    /// Weak: the call lives inside the loop, which the driver holds.
    pub driver: Weak<DriverCore>,
}

impl ScheduledCall {
    pub fn run(&self) {
        if let Some(driver) = self.driver.upgrade() {
            driver.invoke(self);
        }
    }
}

/// Shared by the JS object and the libuv handles (each handle's `data` holds
/// one `Rc`), so it outlives whichever goes first.
pub struct DriverCore {
    /// The loop being driven.
    lp: EventLoop,
    /// The env the loop's JS callbacks run in.
    env: Rc<JsEnv>,
    /// Weak reference to the package's loop object (passed to the hooks).
    owner: JsRef,
    hooks: Hooks,
    /// async_hooks context for every call into JS (null once disposed).
    async_ctx: Cell<sys::napi_async_context>,
    handles: RefCell<Option<Handles>>,
    phase: Cell<Phase>,
    /// Resolves (or rejects) the promise of the current `runForever`.
    on_done: RefCell<Option<JsRef>>,
    /// A fatal error (SystemExit, KeyboardInterrupt) ending the run.
    fatal: RefCell<Option<JsRef>>,
    /// Remote tokens this loop created, with the callback each delivers to.
    remotes: RefCell<HashMap<u64, Option<JsRef>>>,
    /// The `Rc` handed to the env cleanup hook, null once released.
    hook_arg: Cell<*const DriverCore>,
    /// The core timers of the package's `callLater`/`callAt`, by the id the
    /// package gave them (see `js_ready.rs`).
    pub(crate) js_timers: crate::js_ready::JsTimers,
    /// The one core handle queued for every `callSoon` of the package.
    pub(crate) js_soon: evloop::Handle,
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
        let core = Rc::new_cyclic(|weak| DriverCore {
            lp,
            env: env.clone(),
            owner,
            hooks,
            async_ctx: Cell::new(new_async_context(env.raw)),
            handles: RefCell::new(None),
            phase: Cell::new(Phase::Idle),
            on_done: RefCell::new(None),
            fatal: RefCell::new(None),
            remotes: RefCell::new(HashMap::new()),
            hook_arg: Cell::new(std::ptr::null()),
            js_timers: Default::default(),
            js_soon: crate::js_ready::soon_handle(weak.clone()),
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

        let weak = Rc::downgrade(&core);
        core.lp.set_exception_handler(Some(Rc::new(move |_lp, ctx| match weak.upgrade() {
            Some(driver) => driver.report_context(ctx),
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
        self.async_ctx.get()
    }

    /// The package's loop object, unless it was collected (needs an open
    /// handle scope).
    pub fn owner_value(&self) -> Option<sys::napi_value> {
        self.owner.get_live()
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
        let Some(done) = self.on_done.borrow_mut().take() else {
            return;
        };
        if !self.env.is_alive() {
            return;
        }
        let env = self.env.raw;
        let _scope = HandleScope::open(env);
        let args: Vec<sys::napi_value> = match (&fatal, &err) {
            (Some(f), _) => vec![f.get()],
            (None, Some((code, message))) => vec![errors::error_value(env, code, message)],
            (None, None) => Vec::new(),
        };
        if let Err(exc) = js_callback::make_callback(env, self.async_ctx.get(), done.get(), &args) {
            eprintln!(
                "evloop: runForever completion threw: {}",
                js_callback::describe_exception(env, exc)
            );
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

    /// Calls a scheduled JS callback; a throw goes to the package's hook
    /// (the loop's exception handler, or a fatal error), as asyncio's
    /// `Handle._run` does, and the loop goes on.
    ///
    /// Node skips its nextTick and microtask drain after a throw. The hook
    /// is entered through `napi_make_callback` too, so its return drains
    /// them, before the loop's next callback: a nextTick that throws there
    /// is reported the same way (as Node's drain after a callback that
    /// returned already reports it) and the drain goes on with the rest.
    pub fn invoke(&self, call: &ScheduledCall) {
        if !self.env.is_alive() || self.phase.get() == Phase::Disposed {
            return;
        }
        let env = self.env.raw;
        let _scope = HandleScope::open(env);
        let f = call.func.get();
        let args = call.args.as_ref().map(JsRef::get);
        let argv = args
            .map(|a| js_callback::array_elements(env, a))
            .unwrap_or_default();
        let started = self.lp.get_debug().then(Instant::now);
        let mut result = js_callback::make_callback(env, self.async_ctx.get(), f, &argv);
        while let Err(exc) = result {
            if !js_callback::can_run_js(env) {
                return; // the env is terminating (worker.terminate()); nothing to report
            }
            let handle = self.handle_value(call);
            let undefined = js_callback::undefined(env);
            result = self.call_hook(
                &self.hooks.callback_error,
                &[exc, handle, f, args.unwrap_or(undefined)],
                &format!("Exception in callback {}", callback_name(env, f)),
                exc,
            );
            if !self.env.is_alive() || self.phase.get() == Phase::Disposed {
                return; // torn down meanwhile: no async context to drain under
            }
        }
        if let Some(started) = started {
            let took = started.elapsed().as_secs_f64();
            if took >= self.lp.slow_callback_duration() {
                let handle = self.handle_value(call);
                let undefined = js_callback::undefined(env);
                let seconds = js_callback::number(env, took);
                let _ = self.call_hook(
                    &self.hooks.slow_callback,
                    &[seconds, handle, f, args.unwrap_or(undefined)],
                    &format!("Executing {} took {took:.3} seconds", callback_name(env, f)),
                    js_callback::undefined(env),
                );
            }
        }
    }

    /// Runs the package's next `callSoon` callback (`hooks.runSoon`): the
    /// package keeps the callbacks in its own FIFO, in the order of the core
    /// handles that stand for them (`js_ready.rs`).
    pub fn run_js_soon(&self) {
        self.enter_package(&self.hooks.run_soon, None);
    }

    /// Runs the package's timer `id` (`hooks.runTimer`); its slot is free
    /// from now on.
    pub fn run_js_timer(&self, id: u32) {
        self.js_timers.fired(id);
        self.enter_package(&self.hooks.run_timer, Some(id));
    }

    /// `hook(loop)` or `hook(loop, id)` through `napi_make_callback`, so
    /// microtasks and `process.nextTick` drain after each callback as they
    /// do after any Node callback. The package's runner catches what the
    /// user's callback throws and reports it itself; a throw that still
    /// gets here is the runner's own and goes to the error hook.
    fn enter_package(&self, hook: &JsRef, id: Option<u32>) {
        if !self.env.is_alive() || self.phase.get() == Phase::Disposed {
            return;
        }
        let env = self.env.raw;
        let _scope = HandleScope::open(env);
        // The loop object owns the callbacks: once it is collected there is nothing to run.
        let Some(owner) = self.owner.get_live() else { return };
        let result = match id {
            None => js_callback::make_callback(env, self.async_ctx.get(), hook.get(), &[owner]),
            Some(id) => {
                let id = js_callback::number(env, f64::from(id));
                js_callback::make_callback(env, self.async_ctx.get(), hook.get(), &[owner, id])
            }
        };
        if let Err(exc) = result {
            if !js_callback::can_run_js(env) {
                return;
            }
            let undefined = js_callback::undefined(env);
            let _ = self.call_hook(
                &self.hooks.callback_error,
                &[exc, undefined, undefined, undefined],
                "Exception in callback",
                exc,
            );
        }
    }

    /// The package's `Handle` of a call (`undefined` once collected: the
    /// package holds a reader's handle while it is registered).
    fn handle_value(&self, call: &ScheduledCall) -> sys::napi_value {
        call.handle
            .borrow()
            .as_ref()
            .and_then(JsRef::get_live)
            .unwrap_or_else(|| js_callback::undefined(self.env.raw))
    }

    /// Calls `hook(loop, ...args)`. Without the loop object (collected) the
    /// report goes to stderr instead: `fallback` and the error `exc`.
    fn call_hook(
        &self,
        hook: &JsRef,
        args: &[sys::napi_value],
        fallback: &str,
        exc: sys::napi_value,
    ) -> Result<(), sys::napi_value> {
        let env = self.env.raw;
        let Some(owner) = self.owner.get_live() else {
            if js_callback::type_of(env, exc) == sys::ValueType::napi_undefined {
                eprintln!("{fallback}");
            } else {
                eprintln!("{fallback}\n{}", js_callback::describe_exception(env, exc));
            }
            return js_callback::drain_task_queues(env, self.async_ctx.get());
        };
        let mut argv = Vec::with_capacity(args.len() + 1);
        argv.push(owner);
        argv.extend_from_slice(args);
        js_callback::make_callback(env, self.async_ctx.get(), hook.get(), &argv)
    }

    /// Hands an exception context of the core to the JS exception handler
    /// (`context.exception` is an Error; the payload's JS values win).
    fn report_context(&self, ctx: &ExceptionContext) {
        if !self.env.is_alive() || self.phase.get() == Phase::Disposed {
            eprintln!("{}", evloop::format_context(ctx));
            return;
        }
        let env = self.env.raw;
        let _scope = HandleScope::open(env);
        let obj = js_callback::object(env);
        js_callback::set_property(env, obj, "message", js_callback::string(env, &ctx.message));
        if let Some(err) = &ctx.error {
            let exc = crate::errors::error_value(env, &crate::errors::code_string(err), &err.message());
            js_callback::set_property(env, obj, "exception", exc);
        } else if let Some(text) = &ctx.exception {
            js_callback::set_property(env, obj, "exception", js_callback::plain_error(env, text));
        }
        if let Some(handle) = &ctx.handle {
            js_callback::set_property(env, obj, "handle", js_callback::string(env, handle));
        }
        for (key, value) in &ctx.extra {
            js_callback::set_property(env, obj, key, js_callback::string(env, value));
        }
        if let Some(payload) = ctx.payload.as_ref().and_then(|p| p.downcast_ref::<JsContextPayload>()) {
            for (key, value) in &payload.values {
                js_callback::set_property(env, obj, key, value.get());
            }
        }
        let mut result = self.call_hook(
            &self.hooks.context,
            &[obj],
            &evloop::format_context(ctx),
            js_callback::undefined(env),
        );
        // A nextTick that throws in the drain after the hook: report it too.
        while let Err(exc) = result {
            if !js_callback::can_run_js(env) || !self.env.is_alive() {
                return;
            }
            let undefined = js_callback::undefined(env);
            result = self.call_hook(
                &self.hooks.callback_error,
                &[exc, undefined, undefined, undefined],
                "Exception in callback",
                exc,
            );
        }
    }

    /// Registers a remote token of this loop (see `js_remote.rs`).
    pub fn add_remote(&self, token: u64, callback: Option<JsRef>) {
        self.remotes.borrow_mut().insert(token, callback);
    }

    /// Forgets a remote token; whether it was this loop's.
    pub fn remove_remote(&self, token: u64) -> bool {
        self.remotes.borrow_mut().remove(&token).is_some()
    }

    /// Runs on the loop's thread, inside an iteration: a message another
    /// thread sent through the remote `token` (dropped if it was closed).
    pub fn deliver_remote(&self, token: u64, bytes: &[u8]) {
        if !self.env.is_alive() || self.phase.get() == Phase::Disposed {
            return;
        }
        let env = self.env.raw;
        let _scope = HandleScope::open(env);
        let callback = match self.remotes.borrow().get(&token) {
            Some(Some(cb)) => cb.get(),
            _ => return,
        };
        let buffer = js_callback::buffer_copy(env, bytes);
        let mut result = self.call_hook(
            &self.hooks.remote_call,
            &[callback, buffer],
            "Exception in a callSoonThreadsafe callback",
            js_callback::undefined(env),
        );
        while let Err(exc) = result {
            if !js_callback::can_run_js(env) || !self.env.is_alive() {
                return;
            }
            let undefined = js_callback::undefined(env);
            result = self.call_hook(
                &self.hooks.callback_error,
                &[exc, undefined, callback, undefined],
                "Exception in callback",
                exc,
            );
        }
    }

    /// The tokens this loop created (to unregister them when it goes away).
    fn take_remotes(&self) -> Vec<u64> {
        self.remotes.borrow_mut().drain().map(|(token, _)| token).collect()
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
        crate::js_remote::forget(&self.take_remotes());
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

/// `name()` of a JS function, for stderr fallbacks only.
fn callback_name(env: sys::napi_env, f: sys::napi_value) -> String {
    let name = js_callback::string_property(env, f, c"name").filter(|n| !n.is_empty());
    format!("{}()", name.as_deref().unwrap_or("<anonymous>"))
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
