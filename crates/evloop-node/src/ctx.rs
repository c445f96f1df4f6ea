//! The loop a networking object belongs to, and how to enter JS for it.
//!
//! Results of asynchronous calls (`createServer`, `waitClosed`, stream
//! reads) go to a JS completion callback `done(ok, value)`, entered with
//! `napi_make_callback` from inside a loop iteration, so the package's
//! promise continuations run right after it, before the loop's next
//! callback.

use std::ptr::null_mut;
use std::rc::{Rc, Weak};

use evloop::{EventLoop, ExceptionContext};
use napi::sys;
use napi_derive::napi;

use crate::convert::{boolean, error_value, is_object};
use crate::driver::DriverCore;
use crate::js_callback::{self, HandleScope, JsContextPayload, JsEnv, JsRef};
use crate::js_loop::JsEventLoop;

/// The loop a networking object belongs to, and how to enter JS for it.
#[derive(Clone)]
pub struct Ctx {
    /// The env of the loop's JS callbacks.
    pub env: Rc<JsEnv>,
    /// The core loop.
    pub lp: EventLoop,
    /// Weak: transports and servers live inside the loop, which the driver holds.
    driver: Weak<DriverCore>,
    /// The async context of the call that created the server or connection
    /// this belongs to, or `None` (the loop's).
    created_in: Option<Rc<CallerContext>>,
}

/// The async context (async_hooks, and so `AsyncLocalStorage`) current when
/// a JS call into the binding made it: `createServer`, `createConnection`,
/// `startServer` and `openConnection` capture one, and their protocols',
/// stream callbacks' and completions' calls into JS run in it (asyncio runs a
/// transport's protocol in a copy of the context of its creation).
pub struct CallerContext {
    env: Rc<JsEnv>,
    raw: sys::napi_async_context,
    /// The async resource: napi keeps no strong reference to it, and the
    /// context's stores live on it, so it is held until the context is
    /// destroyed (dropped after `drop` below).
    _resource: JsRef,
}

impl CallerContext {
    /// The context current now (called from inside a JS call on `env`'s thread).
    fn capture(env: &Rc<JsEnv>) -> Option<Rc<CallerContext>> {
        let name = "evloop.Transport";
        let (mut resource, mut js_name, mut raw) = (null_mut(), null_mut(), null_mut());
        // SAFETY: env live on this thread inside the binding call; async_hooks
        // copies the current context into the new resource (napi_async_init).
        let status = unsafe {
            sys::napi_create_object(env.raw, &mut resource);
            sys::napi_create_string_utf8(env.raw, name.as_ptr().cast(), name.len() as isize, &mut js_name);
            sys::napi_async_init(env.raw, resource, js_name, &mut raw)
        };
        if status != sys::Status::napi_ok || raw.is_null() {
            return None;
        }
        let Some(resource) = JsRef::new(env, resource) else {
            // SAFETY: raw came from napi_async_init above and is destroyed once.
            unsafe { sys::napi_async_destroy(env.raw, raw) };
            return None;
        };
        Some(Rc::new(CallerContext { env: env.clone(), raw, _resource: resource }))
    }
}

impl Drop for CallerContext {
    fn drop(&mut self) {
        if self.env.is_alive() {
            // SAFETY: raw came from napi_async_init on this env, destroyed once
            // here, on its thread (Ctx is neither Send nor Sync).
            unsafe { sys::napi_async_destroy(self.env.raw, self.raw) };
        }
    }
}

impl Ctx {
    pub fn of(lp: &JsEventLoop) -> Ctx {
        Ctx {
            env: lp.env.clone(),
            lp: lp.lp.clone(),
            driver: Rc::downgrade(lp.driver.core()),
            created_in: None,
        }
    }

    /// `Ctx::of(lp)` whose calls into JS run in the async context current
    /// now (see [`CallerContext`]); call it inside the creating JS call.
    pub fn of_caller(lp: &JsEventLoop) -> Ctx {
        let mut ctx = Ctx::of(lp);
        ctx.created_in = CallerContext::capture(&ctx.env);
        ctx
    }

    /// The raw env (only used on its own thread).
    pub fn raw(&self) -> sys::napi_env {
        self.env.raw
    }

    /// Re-arms the driver after work was scheduled from outside an
    /// iteration (a Node callback that closes a transport, ...).
    pub fn wake(&self) {
        if let Some(driver) = self.driver.upgrade() {
            driver.wake();
        }
    }

    /// The async context to enter JS under; `None` once the loop's driver
    /// is gone or the env is torn down (then no JS runs).
    fn async_ctx(&self) -> Option<sys::napi_async_context> {
        if !self.env.is_alive() {
            return None;
        }
        let ctx = self.driver.upgrade()?.async_context();
        if ctx.is_null() {
            return None;
        }
        Some(self.created_in.as_ref().map_or(ctx, |c| c.raw))
    }

    /// Whether JS can be entered for this loop.
    pub fn can_call(&self) -> bool {
        self.async_ctx().is_some()
    }

    /// Calls `func` with `this = recv` (the global object when null) through
    /// `napi_make_callback`, so Node drains nextTicks and microtasks after
    /// it. `Err` is the thrown value, cleared; as Node skips that drain
    /// after a throw, it is run here before returning. Needs an open handle
    /// scope. When JS cannot be entered any more, returns `undefined`.
    pub fn call(
        &self,
        recv: sys::napi_value,
        func: sys::napi_value,
        args: &[sys::napi_value],
    ) -> Result<sys::napi_value, sys::napi_value> {
        let env = self.raw();
        let Some(actx) = self.async_ctx() else {
            return Ok(js_callback::undefined(env));
        };
        let mut recv = recv;
        let mut out = null_mut();
        // SAFETY: env live on this thread inside the caller's handle scope;
        // func, recv and args are values of that scope; actx is the loop's
        // async context (checked not destroyed above).
        let status = unsafe {
            if recv.is_null() {
                sys::napi_get_global(env, &mut recv);
            }
            sys::napi_make_callback(env, actx, recv, func, args.len(), args.as_ptr(), &mut out)
        };
        if status == sys::Status::napi_ok {
            return Ok(out);
        }
        let exc = js_callback::take_exception(env);
        if js_callback::can_run_js(env) {
            // A nextTick that throws in this drain is the process's business
            // in Node's own model too; report it as a callback error.
            let mut drained = js_callback::drain_task_queues(env, actx);
            while let Err(tick_exc) = drained {
                self.report("Exception in callback process.nextTick()", tick_exc, &[]);
                if !js_callback::can_run_js(env) || self.async_ctx().is_none() {
                    break;
                }
                drained = js_callback::drain_task_queues(env, actx);
            }
        }
        Err(exc)
    }

    /// Reports a JS error to the loop's exception handler: `exception` is
    /// the thrown value itself (an object; a primitive is shown as text),
    /// plus the other `values`. Needs an open handle scope.
    pub fn report(&self, message: &str, exc: sys::napi_value, values: &[(&str, sys::napi_value)]) {
        let env = self.raw();
        let text = js_callback::describe_exception(env, exc);
        let payload = js_payload(&self.env, std::iter::once(("exception", exc)).chain(values.iter().copied()));
        self.lp.call_exception_handler(
            ExceptionContext::new(message)
                .with_exception(text)
                .with_payload(Rc::new(payload)),
        );
    }

    /// Runs `fut` as a core task and hands its outcome to `done(ok, value)`
    /// (`convert` makes the JS value of a success). The returned call
    /// cancels it (the package's Future does when it is cancelled).
    ///
    /// # Errors
    /// `RuntimeError('Event loop is closed')`.
    pub fn spawn<T: 'static>(
        &self,
        fut: impl std::future::Future<Output = evloop::Result<T>> + 'static,
        done: JsRef,
        convert: impl FnOnce(&Ctx, T) -> evloop::Result<sys::napi_value> + 'static,
    ) -> evloop::Result<JsCall> {
        let ctx = self.clone();
        let task = self.lp.create_task(async move {
            let result = fut.await;
            ctx.deliver(&done, result, convert);
        })?;
        self.wake();
        Ok(JsCall { task, ctx: self.clone() })
    }

    /// Hands the outcome of a core future to `done(ok, value)` once it is
    /// done (in the iteration after, as asyncio resumes an awaiting task).
    pub fn on_done<T: Clone + 'static>(
        &self,
        fut: &evloop::Future<T>,
        done: JsRef,
        convert: impl FnOnce(&Ctx, T) -> evloop::Result<sys::napi_value> + 'static,
    ) {
        let ctx = self.clone();
        fut.add_done_callback(move |f| ctx.deliver(&done, f.result(), convert));
        self.wake();
    }

    /// Calls `done(true, value)` or `done(false, error)`.
    pub fn deliver<T>(
        &self,
        done: &JsRef,
        result: evloop::Result<T>,
        convert: impl FnOnce(&Ctx, T) -> evloop::Result<sys::napi_value>,
    ) {
        if !self.can_call() {
            return;
        }
        let env = self.raw();
        let _scope = HandleScope::open(env);
        let args = match result.and_then(|v| convert(self, v)) {
            Ok(v) => [boolean(env, true), v],
            Err(e) => [boolean(env, false), error_value(env, &e)],
        };
        if let Err(exc) = self.call(null_mut(), done.get(), &args) {
            self.report("Exception in a completion callback", exc, &[]);
        }
    }
}

/// The JS values of an exception context's keys (objects only: the
/// driver shows a key without one, a thrown primitive, by its text).
pub fn js_payload<'a>(
    env: &Rc<JsEnv>,
    values: impl Iterator<Item = (&'a str, sys::napi_value)>,
) -> JsContextPayload {
    let values = values
        .filter(|(_, v)| is_object(env.raw, *v))
        .filter_map(|(k, v)| JsRef::new(env, v).map(|r| (k.to_string(), r)))
        .collect();
    JsContextPayload { values }
}

/// An asynchronous call in flight (a read, `drain`, a connect, ...): the
/// package's Future for it calls `cancel()` when it is cancelled.
#[napi(js_name = "NativeCall")]
pub struct JsCall {
    task: evloop::Task<()>,
    ctx: Ctx,
}

#[napi]
impl JsCall {
    /// Stops the call in the core at once: its Rust future is dropped, so a
    /// read takes nothing from the buffer (the bytes stay for the next read),
    /// a connect closes its half-made socket, a drain leaves the data queued.
    /// No result is delivered after it. False if the call had finished.
    #[napi(catch_unwind)]
    pub fn cancel(&self) -> bool {
        let cancelled = self.task.cancel();
        self.ctx.wake();
        cancelled
    }
}
