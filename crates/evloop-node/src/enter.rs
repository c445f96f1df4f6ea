//! Entering JS for one loop: every call the loop makes into the package
//! (scheduled callbacks, `callSoon` and timer runs, exception reports,
//! messages from other threads, the end of `runForever`) goes through a
//! [`JsEntry`], under the loop's async context, through
//! `napi_make_callback`, so Node drains nextTicks and microtasks after
//! each one as after any Node callback.
//!
//! The libuv side (when to run an iteration) is `driver.rs`; this side
//! knows nothing of libuv.

use std::cell::{Cell, RefCell};
use std::ptr::null_mut;
use std::rc::{Rc, Weak};
use std::time::Instant;

use evloop::{EventLoop, ExceptionContext};
use napi::sys;

use crate::errors;
use crate::js_callback::{self, HandleScope, JsContextPayload, JsEnv, JsRef};

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
    /// Weak: the call lives inside the loop, which the JS loop object holds.
    pub entry: Weak<JsEntry>,
}

impl ScheduledCall {
    pub fn run(&self) {
        if let Some(entry) = self.entry.upgrade() {
            entry.invoke(self);
        }
    }
}

/// How one loop enters JS.
pub struct JsEntry {
    /// The loop (its debug settings decide the slow-callback reports).
    lp: EventLoop,
    /// The env the loop's JS callbacks run in.
    env: Rc<JsEnv>,
    /// Weak reference to the package's loop object (passed to the hooks).
    owner: JsRef,
    hooks: Hooks,
    /// async_hooks context for every call into JS (null once closed).
    async_ctx: Cell<sys::napi_async_context>,
}

impl JsEntry {
    /// Entry into `env` for `lp`, with a fresh async context.
    pub fn new(env: &Rc<JsEnv>, lp: EventLoop, owner: JsRef, hooks: Hooks) -> JsEntry {
        JsEntry { lp, env: env.clone(), owner, hooks, async_ctx: Cell::new(new_async_context(env.raw)) }
    }

    /// The async context every call into JS runs under; null once closed.
    pub fn async_context(&self) -> sys::napi_async_context {
        self.async_ctx.get()
    }

    /// The package's loop object, unless it was collected (needs an open
    /// handle scope).
    pub fn owner_value(&self) -> Option<sys::napi_value> {
        self.owner.get_live()
    }

    /// Whether JS may be entered: the env is alive and the entry not closed.
    fn is_live(&self) -> bool {
        self.env.is_alive() && !self.async_ctx.get().is_null()
    }

    /// Destroys the async context; no JS is entered from now on. Idempotent.
    pub fn close(&self) {
        let ctx = self.async_ctx.replace(null_mut());
        if !ctx.is_null() && self.env.is_alive() {
            // SAFETY: ctx came from napi_async_init on this env and is
            // destroyed once (replaced by null above).
            unsafe { sys::napi_async_destroy(self.env.raw, ctx) };
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
        if !self.is_live() {
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
            if !self.is_live() {
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
    pub fn run_soon(&self) {
        self.enter_package(&self.hooks.run_soon, None);
    }

    /// Runs the package's timer `id` (`hooks.runTimer`).
    pub fn run_timer(&self, id: u32) {
        self.enter_package(&self.hooks.run_timer, Some(id));
    }

    /// `hook(loop)` or `hook(loop, id)` through `napi_make_callback`, so
    /// microtasks and `process.nextTick` drain after each callback as they
    /// do after any Node callback. The package's runner catches what the
    /// user's callback throws and reports it itself; a throw that still
    /// gets here is the runner's own and goes to the error hook.
    fn enter_package(&self, hook: &JsRef, id: Option<u32>) {
        if !self.is_live() {
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
    pub fn report_context(&self, ctx: &ExceptionContext) {
        if !self.is_live() {
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

    /// Runs on the loop's thread, inside an iteration: hands a message
    /// another thread sent to the remote's `callback` (`hooks.remoteCall`).
    pub fn deliver_remote(&self, callback: &JsRef, bytes: &[u8]) {
        if !self.is_live() {
            return;
        }
        let env = self.env.raw;
        let _scope = HandleScope::open(env);
        let callback = callback.get();
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

    /// Settles the promise of a `runForever`: `done()`, or `done(error)`
    /// with the fatal error raised by a callback or the loop's error.
    pub fn settle(&self, done: JsRef, fatal: Option<JsRef>, err: Option<(String, String)>) {
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
