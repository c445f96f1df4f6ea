//! The `#[napi]` loop class and its handles: forward to the core, convert
//! arguments, nothing more.
//!
//! Every method takes `&self`: JS callbacks that the loop runs call back
//! into the same object (`loop.callSoon` inside a callback), and napi-rs
//! refuses a second borrow of a `&mut self` receiver.

use std::borrow::Cow;
use std::rc::{Rc, Weak};

use evloop::EventLoop;
use napi::bindgen_prelude::{Env, Unknown};
use napi::{sys, JsValue};
use napi_derive::napi;

use crate::driver::{Driver, DriverCore};
use crate::errors::{self, ErrCode, JsResult};
use crate::js_callback::{self, JsEnv, JsRef};

/// Names JS callbacks in the core's reports. Reading `fn.name` at every
/// `callSoon` would cost a property lookup; reports name it when it throws.
const JS_LABEL: &str = "<JavaScript function>";

/// A JS function and its arguments, waiting in the loop until it runs.
struct ScheduledCall {
    func: JsRef,
    /// A JS array, or `None` for no arguments.
    args: Option<JsRef>,
    /// Weak: the call lives inside the loop, which the driver holds.
    driver: Weak<DriverCore>,
}

impl ScheduledCall {
    fn run(self) {
        if let Some(driver) = self.driver.upgrade() {
            driver.invoke(&self.func, self.args.as_ref());
        }
    }
}

/// The native event loop; the package's `EventLoop` class wraps it.
#[napi(js_name = "NativeEventLoop")]
pub struct JsEventLoop {
    lp: EventLoop,
    env: Rc<JsEnv>,
    driver: Driver,
}

#[napi]
impl JsEventLoop {
    /// A loop on the platform's default selector (epoll on Linux).
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env) -> napi::Result<Self, ErrCode> {
        let lp = EventLoop::new().map_err(errors::from_core)?;
        let js_env = JsEnv::new(env.raw());
        let driver = Driver::new(&js_env, lp.clone())?;
        Ok(JsEventLoop {
            lp,
            env: js_env,
            driver,
        })
    }

    /// The loop's monotonic clock, in seconds.
    #[napi(catch_unwind)]
    pub fn time(&self) -> f64 {
        self.lp.time()
    }

    /// `callSoon(cb, args)`: runs `cb(...args)` in the next iteration (FIFO).
    #[napi(
        catch_unwind,
        ts_args_type = "cb: (...args: any[]) => unknown, args?: unknown[]"
    )]
    pub fn call_soon(&self, cb: Unknown, args: Option<Unknown>) -> napi::Result<JsHandle, ErrCode> {
        let call = self.prepare("callSoon", cb, args)?;
        let inner = self
            .lp
            .call_soon_labelled(Cow::Borrowed(JS_LABEL), move || call.run())
            .map_err(errors::from_core)?;
        self.driver.wake();
        Ok(JsHandle { inner })
    }

    /// `callLater(delay, cb, args)`: runs `cb(...args)` after `delay` seconds.
    #[napi(
        catch_unwind,
        ts_args_type = "delay: number, cb: (...args: any[]) => unknown, args?: unknown[]"
    )]
    pub fn call_later(
        &self,
        delay: Unknown,
        cb: Unknown,
        args: Option<Unknown>,
    ) -> napi::Result<JsTimerHandle, ErrCode> {
        let delay = seconds(delay, "delay", "delay must not be None")?;
        let call = self.prepare("callLater", cb, args)?;
        let inner = self
            .lp
            .call_later_labelled(delay, Cow::Borrowed(JS_LABEL), move || call.run())
            .map_err(errors::from_core)?;
        self.driver.wake();
        Ok(JsTimerHandle { inner })
    }

    /// `callAt(when, cb, args)`: runs `cb(...args)` at loop time `when`.
    #[napi(
        catch_unwind,
        ts_args_type = "when: number, cb: (...args: any[]) => unknown, args?: unknown[]"
    )]
    pub fn call_at(
        &self,
        when: Unknown,
        cb: Unknown,
        args: Option<Unknown>,
    ) -> napi::Result<JsTimerHandle, ErrCode> {
        let when = seconds(when, "when", "when cannot be None")?;
        let call = self.prepare("callAt", cb, args)?;
        let inner = self
            .lp
            .call_at_labelled(when, Cow::Borrowed(JS_LABEL), move || call.run())
            .map_err(errors::from_core)?;
        self.driver.wake();
        Ok(JsTimerHandle { inner })
    }

    /// Starts running; `onDone()` is called when the loop stops, or
    /// `onDone(err)` if an iteration failed. Iterations run from Node's
    /// libuv loop; this returns at once.
    #[napi(catch_unwind, ts_args_type = "onDone: (err?: Error) => void")]
    pub fn run_forever(&self, on_done: Unknown) -> napi::Result<(), ErrCode> {
        let raw = on_done.raw();
        if js_callback::type_of(self.env.raw, raw) != sys::ValueType::napi_function {
            return Err(errors::type_error(
                "runForever() needs a completion callback",
            ));
        }
        let on_done = JsRef::new(&self.env, raw)
            .ok_or_else(|| errors::runtime_error("cannot reference onDone"))?;
        self.driver.run_forever(on_done)
    }

    /// Asks the loop to stop after the current iteration.
    #[napi(catch_unwind)]
    pub fn stop(&self) {
        self.lp.stop();
        self.driver.wake();
    }

    /// Closes the loop: pending callbacks are dropped without running.
    #[napi(catch_unwind)]
    pub fn close(&self) -> napi::Result<(), ErrCode> {
        if !self.lp.is_running() {
            // libuv must let go of the selector's fd before the core closes it.
            self.driver.dispose();
        }
        self.lp.close().map_err(errors::from_core)
    }

    #[napi(catch_unwind)]
    pub fn is_running(&self) -> bool {
        self.lp.is_running()
    }

    #[napi(catch_unwind)]
    pub fn is_closed(&self) -> bool {
        self.lp.is_closed()
    }

    /// Checks a callback and its arguments and references them.
    fn prepare(&self, call: &str, cb: Unknown, args: Option<Unknown>) -> JsResult<ScheduledCall> {
        let env = self.env.raw;
        if self.lp.is_closed() {
            return Err(errors::from_core(evloop::Error::loop_closed()));
        }
        let f = cb.raw();
        if js_callback::type_of(env, f) != sys::ValueType::napi_function {
            return Err(errors::type_error(format!(
                "a callable object was expected by {call}(), got {}",
                describe(env, f)
            )));
        }
        let func = JsRef::new(&self.env, f)
            .ok_or_else(|| errors::runtime_error("cannot reference the callback"))?;
        let args = match args {
            Some(a) if !is_empty_or_missing(env, a.raw())? => Some(
                JsRef::new(&self.env, a.raw())
                    .ok_or_else(|| errors::runtime_error("cannot reference the arguments"))?,
            ),
            _ => None,
        };
        Ok(ScheduledCall {
            func,
            args,
            driver: self.driver.downgrade(),
        })
    }
}

/// `true` for `undefined`/`null`/`[]`; an error for anything but an array.
fn is_empty_or_missing(env: sys::napi_env, value: sys::napi_value) -> JsResult<bool> {
    let t = js_callback::type_of(env, value);
    if t == sys::ValueType::napi_undefined || t == sys::ValueType::napi_null {
        return Ok(true);
    }
    let mut is_array = false;
    // SAFETY: env live during this call; value is its argument.
    unsafe { sys::napi_is_array(env, value, &mut is_array) };
    if !is_array {
        return Err(errors::type_error("callback arguments must be an array"));
    }
    let mut len = 0u32;
    // SAFETY: as above; value is an array.
    unsafe { sys::napi_get_array_length(env, value, &mut len) };
    Ok(len == 0)
}

/// Seconds from a JS value. `null`/`undefined` raise asyncio's TypeError
/// for `None`; other non-numbers a TypeError naming the parameter.
fn seconds(value: Unknown, name: &str, none_message: &str) -> JsResult<f64> {
    let env = value.value().env;
    let raw = value.raw();
    match js_callback::type_of(env, raw) {
        sys::ValueType::napi_undefined | sys::ValueType::napi_null => {
            Err(errors::type_error(none_message))
        }
        sys::ValueType::napi_number => {
            let mut v = 0.0;
            // SAFETY: env live during this call; raw is a number.
            unsafe { sys::napi_get_value_double(env, raw, &mut v) };
            Ok(v)
        }
        _ => Err(errors::type_error(format!(
            "{name} must be a number, got {}",
            describe(env, raw)
        ))),
    }
}

/// A short rendering of a bad argument for messages (Python's repr where
/// it is cheap: strings quoted).
fn describe(env: sys::napi_env, value: sys::napi_value) -> String {
    match js_callback::type_of(env, value) {
        sys::ValueType::napi_string => format!("'{}'", js_callback::coerce_to_string(env, value)),
        sys::ValueType::napi_symbol => "a symbol".to_string(),
        sys::ValueType::napi_object => "an object".to_string(),
        _ => js_callback::coerce_to_string(env, value),
    }
}

/// A callback scheduled with `callSoon`.
#[napi(js_name = "Handle")]
pub struct JsHandle {
    inner: evloop::Handle,
}

#[napi]
impl JsHandle {
    /// Cancels the callback (it will not run; its references are dropped).
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    #[napi(catch_unwind)]
    pub fn cancelled(&self) -> bool {
        self.inner.cancelled()
    }
}

/// A callback scheduled with `callLater` or `callAt`.
#[napi(js_name = "TimerHandle")]
pub struct JsTimerHandle {
    inner: evloop::TimerHandle,
}

#[napi]
impl JsTimerHandle {
    /// Cancels the callback (it will not run; its references are dropped).
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    #[napi(catch_unwind)]
    pub fn cancelled(&self) -> bool {
        self.inner.cancelled()
    }

    /// The loop time the callback is scheduled for, in seconds.
    #[napi(catch_unwind)]
    pub fn when(&self) -> f64 {
        self.inner.when()
    }
}
