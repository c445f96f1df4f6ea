//! The `#[napi]` loop class: forward to the core, check and
//! convert arguments, nothing more. The package's `SelectorEventLoop`
//! (`packages/evloop/src/loop.js`) wraps it; this class is internal.
//!
//! Every method takes `&self`: JS callbacks that the loop runs call back
//! into the same object (`loop.callSoon` inside a callback), and napi-rs
//! refuses a second borrow of a `&mut self` receiver.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use evloop::{EventLoop, Interest, SelectorKind};
use napi::bindgen_prelude::{Env, Unknown};
use napi::{sys, JsValue};
use napi_derive::napi;

use crate::driver::Driver;
use crate::enter::{Hooks, ScheduledCall};
use crate::errors::{self, ErrCode, JsResult};
use crate::js_callback::{self, JsEnv, JsRef};
use crate::js_ready::{Ready, JS_LABEL};
use crate::read_pool::JsRecvMemory;

/// The native event loop.
#[napi(js_name = "NativeEventLoop")]
pub struct JsEventLoop {
    pub(crate) lp: EventLoop,
    pub(crate) env: Rc<JsEnv>,
    pub(crate) driver: Driver,
    /// The package's `callSoon` and timers (`js_ready.rs`).
    ready: Rc<Ready>,
}

#[napi]
impl JsEventLoop {
    /// A loop on the named selector (`"default"`, `"epoll"`/`"kqueue"`,
    /// `"poll"`, `"select"`). `owner` is the package's loop object (held
    /// weakly, passed to the hooks); `hooks` holds the package's functions
    /// `callbackError`, `slowCallback`, `context` and `remoteCall`.
    #[napi(
        constructor,
        catch_unwind,
        ts_args_type = "selector: string, owner: object, hooks: { callbackError: Function, slowCallback: Function, context: Function, remoteCall: Function, runSoon: Function, runTimer: Function }"
    )]
    pub fn new(env: Env, selector: String, owner: Unknown, hooks: Unknown) -> napi::Result<Self, ErrCode> {
        // "proactor": asyncio's ProactorEventLoop, on io_uring.
        let kind = match selector.as_str() {
            "proactor" => None,
            name => Some(SelectorKind::from_name(name).ok_or_else(|| {
                errors::value_error(format!("SelectorEventLoop(): unknown selector '{selector}'"))
            })?),
        };
        let js_env = JsEnv::new(env.raw());
        let owner = JsRef::weak(&js_env, owner.raw())
            .ok_or_else(|| errors::type_error("JsEventLoop(): owner must be an object"))?;
        let hooks = Hooks {
            callback_error: hook(&js_env, hooks, c"callbackError")?,
            slow_callback: hook(&js_env, hooks, c"slowCallback")?,
            context: hook(&js_env, hooks, c"context")?,
            remote_call: hook(&js_env, hooks, c"remoteCall")?,
            run_soon: hook(&js_env, hooks, c"runSoon")?,
            run_timer: hook(&js_env, hooks, c"runTimer")?,
        };
        let lp = match kind {
            Some(kind) => EventLoop::with_selector(kind),
            // The kernel receives into JS memory (`read_pool.rs`).
            None => EventLoop::proactor_with(Some(Rc::new(JsRecvMemory::new(&js_env)))),
        }
        .map_err(errors::from_core)?;
        let driver = Driver::new(&js_env, lp.clone(), owner, hooks)?;
        let ready = Ready::new(driver.core());
        Ok(JsEventLoop {
            lp,
            env: js_env,
            driver,
            ready,
        })
    }

    /// The selector in use: `"epoll"`, `"kqueue"`, `"poll"` or `"select"`.
    #[napi(getter, catch_unwind)]
    pub fn selector(&self) -> String {
        self.lp.selector_name().to_string()
    }

    /// The loop's monotonic clock, in seconds.
    #[napi(catch_unwind)]
    pub fn time(&self) -> f64 {
        self.lp.time()
    }

    /// The clock's resolution, in seconds.
    #[napi(catch_unwind)]
    pub fn clock_resolution(&self) -> f64 {
        self.lp.clock_resolution()
    }

    /// `{ enqueueSoon, scheduleTimer, cancelTimer }`: the package's
    /// `callSoon` and timers (`js_ready.rs`), as plain functions.
    #[napi(
        catch_unwind,
        ts_return_type = "{ enqueueSoon(): void; scheduleTimer(id: number, at: number, relative: boolean): number; cancelTimer(id: number): boolean }"
    )]
    pub fn fast_calls(&self) -> napi::Result<Unknown<'static>, ErrCode> {
        let env = self.env.raw;
        let value = crate::js_ready::fast_calls(env, &self.ready)
            .ok_or_else(|| errors::runtime_error("cannot create the loop's functions"))?;
        // SAFETY: value belongs to this call's scope and is returned at once.
        Ok(unsafe { Unknown::from_raw_unchecked(env, value) })
    }

    /// `addReader(fd, cb, args)`: runs `cb(...args)` whenever `fd` is
    /// readable, until `removeReader(fd)`.
    #[napi(
        catch_unwind,
        ts_args_type = "fd: number, handle: object, cb: (...args: any[]) => unknown, args?: unknown[]"
    )]
    pub fn add_reader(&self, fd: Unknown, handle: Unknown, cb: Unknown, args: Option<Unknown>) -> napi::Result<(), ErrCode> {
        self.add_io("addReader", Interest::READ, fd, handle, cb, args)
    }

    /// `addWriter(fd, cb, args)`: runs `cb(...args)` whenever `fd` is
    /// writable, until `removeWriter(fd)`.
    #[napi(
        catch_unwind,
        ts_args_type = "fd: number, handle: object, cb: (...args: any[]) => unknown, args?: unknown[]"
    )]
    pub fn add_writer(&self, fd: Unknown, handle: Unknown, cb: Unknown, args: Option<Unknown>) -> napi::Result<(), ErrCode> {
        self.add_io("addWriter", Interest::WRITE, fd, handle, cb, args)
    }

    /// Stops watching `fd` for reading; whether a reader was registered.
    #[napi(catch_unwind, ts_args_type = "fd: number")]
    pub fn remove_reader(&self, fd: Unknown) -> napi::Result<bool, ErrCode> {
        let fd = fd_number("removeReader", fd)?;
        let removed = self.lp.remove_reader(fd).map_err(errors::from_core)?;
        self.driver.wake();
        Ok(removed)
    }

    /// Stops watching `fd` for writing; whether a writer was registered.
    #[napi(catch_unwind, ts_args_type = "fd: number")]
    pub fn remove_writer(&self, fd: Unknown) -> napi::Result<bool, ErrCode> {
        let fd = fd_number("removeWriter", fd)?;
        let removed = self.lp.remove_writer(fd).map_err(errors::from_core)?;
        self.driver.wake();
        Ok(removed)
    }

    /// Starts running; `onDone()` is called when the loop stops, or
    /// `onDone(err)` if an iteration failed or a fatal error was raised.
    /// Iterations run from Node's libuv loop; this returns at once.
    #[napi(catch_unwind, ts_args_type = "onDone: (err?: unknown) => void")]
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

    /// Ends the current run with `exc` (SystemExit, KeyboardInterrupt): the
    /// batch stops after the running callback and `runForever` rejects.
    #[napi(catch_unwind, ts_args_type = "exc: object")]
    pub fn raise_fatal(&self, exc: Unknown) -> napi::Result<(), ErrCode> {
        let exc = JsRef::new(&self.env, exc.raw())
            .ok_or_else(|| errors::type_error("raiseFatal(): exc must be an object"))?;
        self.driver.core().raise_fatal(exc);
        Ok(())
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
        self.lp.close().map_err(errors::from_core)?;
        self.ready.timers.clear();
        Ok(())
    }

    #[napi(catch_unwind)]
    pub fn is_running(&self) -> bool {
        self.lp.is_running()
    }

    #[napi(catch_unwind)]
    pub fn is_closed(&self) -> bool {
        self.lp.is_closed()
    }

    #[napi(catch_unwind)]
    pub fn get_debug(&self) -> bool {
        self.lp.get_debug()
    }

    #[napi(catch_unwind)]
    pub fn set_debug(&self, enabled: bool) {
        self.lp.set_debug(enabled);
    }

    /// Debug mode reports callbacks that take at least this many seconds.
    #[napi(getter, catch_unwind)]
    pub fn slow_callback_duration(&self) -> f64 {
        self.lp.slow_callback_duration()
    }

    #[napi(setter, catch_unwind)]
    pub fn set_slow_callback_duration(&self, seconds: f64) {
        self.lp.set_slow_callback_duration(seconds);
    }

    /// A token other threads can use to reach this loop (`LoopRemote`);
    /// messages they send are delivered to `callback` on this thread.
    #[napi(catch_unwind, ts_args_type = "callback?: (message: Buffer) => void")]
    pub fn create_remote(&self, callback: Option<Unknown>) -> napi::Result<f64, ErrCode> {
        let callback = match callback {
            Some(cb) if !is_nullish(self.env.raw, cb.raw()) => Some(
                JsRef::new(&self.env, cb.raw())
                    .ok_or_else(|| errors::type_error("createRemote(): callback must be a function"))?,
            ),
            _ => None,
        };
        let token = crate::js_remote::register(self.driver.core(), callback).map_err(errors::from_core)?;
        Ok(token as f64)
    }

    /// Invalidates a token of this loop; whether it was one.
    #[napi(catch_unwind)]
    pub fn close_remote(&self, token: f64) -> bool {
        crate::js_remote::close(&self.lp, token as u64)
    }

    /// `handle` is the package's `Handle` for the reader or writer (held
    /// weakly, for reports: the package keeps it while it is registered).
    fn add_io(
        &self,
        name: &str,
        direction: Interest,
        fd: Unknown,
        handle: Unknown,
        cb: Unknown,
        args: Option<Unknown>,
    ) -> JsResult<()> {
        let fd = fd_number(name, fd)?;
        let call = self.prepare(name, cb, args)?;
        *call.handle.borrow_mut() = JsRef::weak(&self.env, handle.raw());
        let run = call.clone();
        self.lp
            .add_io(fd, direction, Cow::Borrowed(JS_LABEL), Box::new(move || run.run()))
            .map_err(errors::from_core)?;
        self.driver.wake();
        Ok(())
    }

    /// Checks a callback and its arguments and references them.
    fn prepare(&self, call: &str, cb: Unknown, args: Option<Unknown>) -> JsResult<Rc<ScheduledCall>> {
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
            Some(a) if !is_empty_or_missing(env, call, a.raw())? => Some(
                JsRef::new(&self.env, a.raw())
                    .ok_or_else(|| errors::runtime_error("cannot reference the arguments"))?,
            ),
            _ => None,
        };
        Ok(Rc::new(ScheduledCall {
            func,
            args,
            handle: RefCell::new(None),
            entry: Rc::downgrade(self.driver.core().entry()),
        }))
    }
}

/// A hook function of the package.
fn hook(env: &Rc<JsEnv>, hooks: Unknown, name: &std::ffi::CStr) -> JsResult<JsRef> {
    let raw = env.raw;
    let mut f = std::ptr::null_mut();
    // SAFETY: env live during the constructor call; name is NUL-terminated.
    let status = unsafe { sys::napi_get_named_property(raw, hooks.raw(), name.as_ptr(), &mut f) };
    if status != sys::Status::napi_ok || js_callback::type_of(raw, f) != sys::ValueType::napi_function {
        js_callback::take_exception(raw);
        return Err(errors::type_error(format!(
            "JsEventLoop(): hooks.{} must be a function",
            name.to_string_lossy()
        )));
    }
    JsRef::new(env, f).ok_or_else(|| errors::runtime_error("cannot reference a hook"))
}

fn is_nullish(env: sys::napi_env, value: sys::napi_value) -> bool {
    matches!(
        js_callback::type_of(env, value),
        sys::ValueType::napi_undefined | sys::ValueType::napi_null
    )
}

/// `true` for `undefined`/`null`/`[]`; an error for anything but an array.
fn is_empty_or_missing(env: sys::napi_env, call: &str, value: sys::napi_value) -> JsResult<bool> {
    if is_nullish(env, value) {
        return Ok(true);
    }
    let mut is_array = false;
    // SAFETY: env live during this call; value is its argument.
    unsafe { sys::napi_is_array(env, value, &mut is_array) };
    if !is_array {
        return Err(errors::type_error(format!(
            "{call}(): callback arguments must be an array"
        )));
    }
    let mut len = 0u32;
    // SAFETY: as above; value is an array.
    unsafe { sys::napi_get_array_length(env, value, &mut len) };
    Ok(len == 0)
}

/// `typeof value` in words, for messages (`null` for null).
fn type_name(env: sys::napi_env, value: sys::napi_value) -> &'static str {
    match js_callback::type_of(env, value) {
        sys::ValueType::napi_undefined => "undefined",
        sys::ValueType::napi_null => "null",
        sys::ValueType::napi_boolean => "boolean",
        sys::ValueType::napi_number => "number",
        sys::ValueType::napi_string => "string",
        sys::ValueType::napi_symbol => "symbol",
        sys::ValueType::napi_function => "function",
        sys::ValueType::napi_bigint => "bigint",
        _ => "object",
    }
}

fn number_of(env: sys::napi_env, value: sys::napi_value) -> Option<f64> {
    if js_callback::type_of(env, value) != sys::ValueType::napi_number {
        return None;
    }
    let mut v = 0.0;
    // SAFETY: env live during this call; value is a number.
    unsafe { sys::napi_get_value_double(env, value, &mut v) };
    Some(v)
}

/// A file descriptor from a JS value (the package resolves `fileno()`).
fn fd_number(call: &str, value: Unknown) -> JsResult<i32> {
    let env = value.value().env;
    let raw = value.raw();
    let Some(v) = number_of(env, raw) else {
        return Err(errors::type_error(format!(
            "{call}(): fd must be an integer or an object with a fileno() method, got {}",
            type_name(env, raw)
        )));
    };
    if v.fract() != 0.0 || !v.is_finite() || v > i32::MAX as f64 {
        return Err(errors::value_error(format!("{call}(): Invalid file descriptor: {v}")));
    }
    if v < 0.0 {
        return Err(errors::value_error(format!("Invalid file descriptor: {v}")));
    }
    Ok(v as i32)
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
