//! The host a binding object belongs to, and how the binding enters JS for
//! it: every call into JS from a host's loop goes through [`Ctx::call`],
//! which records the host as the one running (`runningHostName()`: the
//! package's `getRunningLoop()`), and counts the entry so that the driver
//! knows whether promise continuations may be pending after a step.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use evloop::{Error, EventLoop, ExceptionContext};
use js_sys::{Array, Function, Object};
use wasm_bindgen::prelude::*;

use crate::convert::{self, console_error, set};
use crate::thrown;

thread_local! {
    /// The host whose JS ran last (cleared by the driver).
    static CURRENT: RefCell<Option<Rc<str>>> = const { RefCell::new(None) };
    /// Calls into JS from host loops so far.
    static ENTRIES: Cell<f64> = const { Cell::new(0.0) };
}

/// The name of the host whose JS code ran last, within the step being
/// driven (or the promise continuations after it); `undefined` otherwise.
#[wasm_bindgen(js_name = runningHostName)]
pub fn running_host_name() -> Option<String> {
    CURRENT.try_with(|c| c.try_borrow().ok().and_then(|c| c.as_deref().map(str::to_string))).ok().flatten()
}

/// Forgets the running host (the driver calls it between steps).
#[wasm_bindgen(js_name = clearRunningHost)]
pub fn clear_running_host() {
    let _ = CURRENT.try_with(|c| c.try_borrow_mut().map(|mut c| *c = None));
}

/// How many times host loops called into JS so far.
#[wasm_bindgen(js_name = jsEntries)]
pub fn js_entries() -> f64 {
    ENTRIES.try_with(Cell::get).unwrap_or(0.0)
}

/// The values of an exception context that are JS objects (the thrown
/// error, a protocol, a transport): the handler gets them instead of text.
pub(crate) struct JsPayload {
    pub values: Vec<(String, JsValue)>,
}

/// One life of one host: its loop and its name.
#[derive(Clone)]
pub(crate) struct Ctx(Rc<CtxInner>);

pub(crate) struct CtxInner {
    pub lp: EventLoop,
    pub host: Rc<str>,
}

impl Ctx {
    pub fn new(lp: EventLoop, host: Rc<str>) -> Ctx {
        Ctx(Rc::new(CtxInner { lp, host }))
    }

    pub fn lp(&self) -> &EventLoop {
        &self.0.lp
    }

    /// Marks the host as running JS.
    pub fn enter(&self) {
        let _ = CURRENT.try_with(|c| c.try_borrow_mut().map(|mut c| *c = Some(self.0.host.clone())));
        let _ = ENTRIES.try_with(|e| e.set(e.get() + 1.0));
    }

    /// `f.apply(this, args)`; `Err` is the thrown value.
    pub fn call(&self, f: &Function, this: &JsValue, args: &[JsValue]) -> Result<JsValue, JsValue> {
        self.enter();
        match args {
            [] => f.call0(this),
            [a] => f.call1(this, a),
            [a, b] => f.call2(this, a, b),
            [a, b, c] => f.call3(this, a, b, c),
            _ => f.apply(this, &args.iter().collect::<Array>()),
        }
    }

    /// Reports a JS error to the loop's exception handler: `exception` is
    /// the thrown value itself, plus the other `values`.
    pub fn report(&self, message: &str, exc: JsValue, values: Vec<(String, JsValue)>) {
        let text = thrown::text_of(&exc);
        let mut all = vec![("exception".to_string(), exc)];
        all.extend(values);
        self.0.lp.call_exception_handler(
            ExceptionContext::new(message).with_exception(text).with_payload(Rc::new(JsPayload { values: all })),
        );
    }

    /// Runs `fut` as a core task of this loop and hands its outcome to
    /// `done(ok, value)` (`convert` makes the JS value of a success). The
    /// returned call cancels it (the package's Future does when cancelled).
    pub fn spawn<T: 'static>(
        &self,
        fut: impl std::future::Future<Output = evloop::Result<T>> + 'static,
        done: Function,
        convert: impl FnOnce(&Ctx, T) -> evloop::Result<JsValue> + 'static,
    ) -> evloop::Result<NativeCall> {
        let ctx = self.clone();
        let task = self.0.lp.create_task(async move {
            let result = fut.await;
            ctx.deliver(&done, result, convert);
        })?;
        Ok(NativeCall { task })
    }

    /// Hands the outcome of a core future to `done(ok, value)` once it is done.
    pub fn on_done<T: Clone + 'static>(
        &self,
        fut: &evloop::Future<T>,
        done: Function,
        convert: impl FnOnce(&Ctx, T) -> evloop::Result<JsValue> + 'static,
    ) {
        let ctx = self.clone();
        fut.add_done_callback(move |f| ctx.deliver(&done, f.result(), convert));
    }

    /// Calls `done(true, value)` or `done(false, error)`.
    pub fn deliver<T>(&self, done: &Function, result: evloop::Result<T>, convert: impl FnOnce(&Ctx, T) -> evloop::Result<JsValue>) {
        let (ok, value) = match result.and_then(|v| convert(self, v)) {
            Ok(v) => (true, v),
            Err(e) => (false, convert::error_value(&e)),
        };
        if let Err(exc) = self.call(done, &JsValue::UNDEFINED, &[JsValue::from_bool(ok), value]) {
            self.report("Exception in a completion callback", exc, Vec::new());
        }
    }
}

/// The loop's exception handler in a simulation: the context as a JS
/// object (`exception` an Error; the payload's JS values win), passed to
/// `report(context)`, the package's `host.callExceptionHandler`.
pub(crate) fn install_reporter(ctx: &Ctx, report: Function) {
    let c = ctx.clone();
    ctx.lp().set_exception_handler(Some(Rc::new(move |_lp: &EventLoop, context: &ExceptionContext| {
        let obj = context_value(context);
        if let Err(e) = c.call(&report, &JsValue::UNDEFINED, &[obj]) {
            console_error(&evloop::format_context(context), &e);
        }
    })));
}

fn context_value(context: &ExceptionContext) -> JsValue {
    let obj: JsValue = Object::new().into();
    set(&obj, "message", &JsValue::from_str(&context.message));
    if let Some(err) = &context.error {
        set(&obj, "exception", &crate::convert::error_value(err));
    } else if let Some(text) = &context.exception {
        set(&obj, "exception", &js_sys::Error::new(text).into());
    }
    if let Some(handle) = &context.handle {
        set(&obj, "handle", &JsValue::from_str(handle));
    }
    for (k, v) in &context.extra {
        set(&obj, k, &JsValue::from_str(v));
    }
    if let Some(payload) = context.payload.as_ref().and_then(|p| p.downcast_ref::<JsPayload>()) {
        for (k, v) in &payload.values {
            set(&obj, k, v);
        }
    } else if let Some(v) = context.payload.as_ref().and_then(|p| p.downcast_ref::<JsValue>()) {
        set(&obj, "exception", v);
    }
    obj
}

/// A core error from a JS `Error` value (for `raiseFatal`).
pub(crate) fn fatal(value: JsValue) -> Error {
    thrown::wrap(value)
}

/// An asynchronous call in flight (a read, `drain`, a connect, ...): the
/// package's Future for it calls `cancel()` when it is cancelled.
#[wasm_bindgen]
pub struct NativeCall {
    task: evloop::Task<()>,
}

#[wasm_bindgen]
impl NativeCall {
    /// Stops the call in the core at once: its Rust future is dropped, so a
    /// read takes nothing from the buffer (the bytes stay for the next read),
    /// a connect closes its half-made socket, a drain leaves the data queued.
    /// No result is delivered after it. False if the call had finished.
    pub fn cancel(&self) -> bool {
        self.task.cancel()
    }
}
