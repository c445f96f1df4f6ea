//! Conversions between core values and JS values, and the package's
//! hooks that make them (wrapping a transport, building an error).

use std::cell::RefCell;
use std::ffi::c_void;
use std::ptr::null_mut;
use std::rc::Rc;

use evloop::Address;
use napi::bindgen_prelude::{Env, Unknown};
use napi::{sys, JsValue};
use napi_derive::napi;

use crate::errors::{self, ErrCode};
use crate::js_callback::{self, JsEnv, JsRef};
use crate::thrown;

// ----- the package's hooks -----

/// Functions of `packages/evloop/src/net.js` the native side calls.
struct NetHooks {
    env: Rc<JsEnv>,
    /// `(nativeTransport) => Transport`: the package's wrapper.
    wrap_transport: JsRef,
    /// `(code, message, extra) => Error`: the package's error classes.
    make_error: JsRef,
    /// `(protocol, data, offset, length)`: calls `protocol.dataReceived`
    /// with the bytes (`read_pool.rs`).
    data_received: JsRef,
    /// Where received bytes go for JS (JS protocols read into it).
    pool: Rc<crate::read_pool::ReadPool>,
}

thread_local! {
    /// One env per thread in Node (the main thread or a worker).
    static HOOKS: RefCell<Option<Rc<NetHooks>>> = const { RefCell::new(None) };
}

/// Installs the package's hooks (called once by `net.js` when it loads).
#[napi(
    catch_unwind,
    ts_args_type = "wrapTransport: (native: NativeTransport) => object, makeError: (code: string, message: string, extra?: object) => Error, dataReceived: (protocol: object, data: Buffer, offset: number, length: number) => void"
)]
pub fn set_net_hooks(env: Env, wrap_transport: Unknown, make_error: Unknown, data_received: Unknown) -> napi::Result<(), ErrCode> {
    let raw = env.raw();
    for (name, f) in [("wrapTransport", &wrap_transport), ("makeError", &make_error), ("dataReceived", &data_received)] {
        if js_callback::type_of(raw, f.raw()) != sys::ValueType::napi_function {
            return Err(errors::type_error(format!("setNetHooks(): {name} must be a function")));
        }
    }
    let js_env = JsEnv::new(raw);
    let hooks = NetHooks {
        wrap_transport: JsRef::new(&js_env, wrap_transport.raw())
            .ok_or_else(|| errors::runtime_error("cannot reference wrapTransport"))?,
        make_error: JsRef::new(&js_env, make_error.raw())
            .ok_or_else(|| errors::runtime_error("cannot reference makeError"))?,
        data_received: JsRef::new(&js_env, data_received.raw())
            .ok_or_else(|| errors::runtime_error("cannot reference dataReceived"))?,
        pool: Rc::new(crate::read_pool::ReadPool::new(&js_env)),
        env: js_env,
    };
    let first = HOOKS.with(|h| h.borrow_mut().replace(Rc::new(hooks)).is_none());
    if first {
        // SAFETY: env live; the hook takes no data and runs once, at teardown.
        unsafe { sys::napi_add_env_cleanup_hook(raw, Some(on_env_cleanup), null_mut()) };
    }
    Ok(())
}

/// The env is going away: forget the hooks without touching it again.
unsafe extern "C" fn on_env_cleanup(_arg: *mut c_void) {
    let result = std::panic::catch_unwind(|| {
        let hooks = HOOKS.try_with(|h| h.borrow_mut().take()).ok().flatten();
        if let Some(hooks) = hooks {
            hooks.env.mark_dead();
        }
        thrown::forget_all();
    });
    if result.is_err() {
        eprintln!("evloop: internal error in the networking env cleanup hook");
    }
}

fn hooks() -> Option<Rc<NetHooks>> {
    HOOKS.try_with(|h| h.borrow().clone()).ok().flatten()
}

/// Calls a hook with plain `napi_call_function`: package code that runs
/// no user code and queues nothing. `None` if it threw (cleared).
fn call_hook(env: sys::napi_env, hook: &JsRef, args: &[sys::napi_value]) -> Option<sys::napi_value> {
    let (mut recv, mut out) = (null_mut(), null_mut());
    // SAFETY: env live inside the caller's handle scope; args belong to it.
    let status = unsafe {
        sys::napi_get_global(env, &mut recv);
        sys::napi_call_function(env, recv, hook.get(), args.len(), args.as_ptr(), &mut out)
    };
    if status != sys::Status::napi_ok {
        js_callback::take_exception(env);
        return None;
    }
    Some(out)
}

/// The pool JS protocols read into (`read_pool.rs`); `None` before
/// `net.js` installed its hooks.
pub fn read_pool() -> Option<Rc<crate::read_pool::ReadPool>> {
    hooks().map(|h| h.pool.clone())
}

/// The call `hooks.dataReceived(protocol, buffer, offset, length)` that
/// hands `bytes` to `protocol.dataReceived`: a view of the slab a read
/// wrote them into, or a copy (`read_pool.rs`): the function and its
/// arguments; `None` before `net.js` installed its hooks. Needs an open
/// handle scope.
pub fn data_received_call(env: sys::napi_env, protocol: sys::napi_value, data: &[u8]) -> Option<(sys::napi_value, [sys::napi_value; 4])> {
    let h = hooks()?;
    let (buffer, offset, length) = h.pool.place(env, data);
    Some((h.data_received.get(), [protocol, buffer, js_callback::number(env, offset), js_callback::number(env, length)]))
}

/// The package's `Transport` for a native transport object (the native
/// object itself before `net.js` installed its hooks).
pub fn wrap_transport(env: sys::napi_env, native: sys::napi_value) -> sys::napi_value {
    match hooks() {
        Some(h) => call_hook(env, &h.wrap_transport, &[native]).unwrap_or(native),
        None => native,
    }
}

/// The `code` a core error is thrown with: the Python class, and for OS
/// and resolution errors `"<Class>|<CODE>|<errno>|<syscall>"`.
pub fn code_of(err: &evloop::Error) -> String {
    match err {
        evloop::Error::Os(os) | evloop::Error::Gai(os) => {
            let errno = if os.errno == 0 { String::new() } else { os.errno.to_string() };
            format!("{}|{}|{}|{}", err.name(), err.code().unwrap_or(""), errno, os.syscall)
        }
        evloop::Error::Ssl(_) => errors::code_string(err),
        _ => err.name().to_string(),
    }
}

/// The JS value of a core error: the original value for one thrown by JS,
/// else an instance of the package's class (`ConnectionResetError`, ...).
/// Needs an open handle scope.
pub fn error_value(env: sys::napi_env, err: &evloop::Error) -> sys::napi_value {
    if let Some(v) = thrown::original(env, err) {
        return v;
    }
    let code = code_of(err);
    let message = err.message();
    let Some(h) = hooks() else {
        return errors::error_value(env, &code, &message);
    };
    let extra = match err {
        evloop::Error::IncompleteRead { partial, expected } => {
            let o = js_callback::object(env);
            js_callback::set_property(env, o, "partial", js_callback::buffer_copy(env, partial));
            let expected = match expected {
                Some(n) => js_callback::number(env, *n as f64),
                None => null(env),
            };
            js_callback::set_property(env, o, "expected", expected);
            o
        }
        evloop::Error::LimitOverrun { consumed, .. } => {
            let o = js_callback::object(env);
            js_callback::set_property(env, o, "consumed", js_callback::number(env, *consumed as f64));
            o
        }
        evloop::Error::Ssl(ssl) => {
            let o = js_callback::object(env);
            js_callback::set_property(env, o, "reason", js_callback::string(env, &ssl.reason));
            if let Some((code, message)) = &ssl.verify {
                js_callback::set_property(env, o, "verifyCode", js_callback::number(env, *code as f64));
                js_callback::set_property(env, o, "verifyMessage", js_callback::string(env, message));
            }
            o
        }
        evloop::Error::Group { errors, .. } => {
            let o = js_callback::object(env);
            let items: Vec<sys::napi_value> = errors.iter().map(|e| error_value(env, e)).collect();
            js_callback::set_property(env, o, "errors", array(env, &items));
            o
        }
        _ => js_callback::undefined(env),
    };
    let args = [js_callback::string(env, &code), js_callback::string(env, &message), extra];
    call_hook(env, &h.make_error, &args).unwrap_or_else(|| errors::error_value(env, &code, &message))
}

// ----- values -----

pub fn null(env: sys::napi_env) -> sys::napi_value {
    let mut v = null_mut();
    // SAFETY: env live on this thread.
    unsafe { sys::napi_get_null(env, &mut v) };
    v
}

pub fn boolean(env: sys::napi_env, b: bool) -> sys::napi_value {
    let mut v = null_mut();
    // SAFETY: env live on this thread.
    unsafe { sys::napi_get_boolean(env, b, &mut v) };
    v
}

/// `Boolean(value)`.
pub fn truthy(env: sys::napi_env, value: sys::napi_value) -> bool {
    let (mut b, mut out) = (null_mut(), false);
    // SAFETY: env live; value belongs to the current scope. Coercion to
    // boolean runs no user code.
    unsafe {
        sys::napi_coerce_to_bool(env, value, &mut b);
        sys::napi_get_value_bool(env, b, &mut out);
    }
    out
}

/// A JS array of values (needs an open handle scope).
pub fn array(env: sys::napi_env, items: &[sys::napi_value]) -> sys::napi_value {
    let mut a = null_mut();
    // SAFETY: env live inside a scope; items belong to it.
    unsafe {
        sys::napi_create_array_with_length(env, items.len(), &mut a);
        for (i, v) in items.iter().enumerate() {
            sys::napi_set_element(env, a, i as u32, *v);
        }
    }
    a
}

/// An address as `node:net` gives it: `{ address, port, family }` for IP,
/// the path string for a Unix socket.
pub fn address_value(env: sys::napi_env, addr: &Address) -> sys::napi_value {
    match addr {
        Address::Inet(sa) => {
            let o = js_callback::object(env);
            js_callback::set_property(env, o, "address", js_callback::string(env, &sa.ip().to_string()));
            js_callback::set_property(env, o, "port", js_callback::number(env, f64::from(sa.port())));
            let family = if sa.is_ipv4() { "IPv4" } else { "IPv6" };
            js_callback::set_property(env, o, "family", js_callback::string(env, family));
            o
        }
        Address::Unix(path) => js_callback::string(env, path),
        // Only simulated hosts (evloop::sim) have these: API.md's shape.
        Address::Sim { host, port } => {
            let o = js_callback::object(env);
            js_callback::set_property(env, o, "address", js_callback::string(env, host));
            js_callback::set_property(env, o, "port", js_callback::number(env, f64::from(*port)));
            js_callback::set_property(env, o, "family", js_callback::string(env, "sim"));
            o
        }
    }
}

/// A value to return from a `#[napi]` method.
pub fn unknown(env: sys::napi_env, value: sys::napi_value) -> Unknown<'static> {
    // SAFETY: value belongs to the current call's scope and is returned at once.
    unsafe { Unknown::from_raw_unchecked(env, value) }
}

/// `typeof value` in Python's words where it matters (`'str'`), else JS's.
pub fn type_name(env: sys::napi_env, value: sys::napi_value) -> &'static str {
    match js_callback::type_of(env, value) {
        sys::ValueType::napi_undefined => "undefined",
        sys::ValueType::napi_null => "null",
        sys::ValueType::napi_boolean => "boolean",
        sys::ValueType::napi_number => "number",
        sys::ValueType::napi_string => "str",
        sys::ValueType::napi_symbol => "symbol",
        sys::ValueType::napi_function => "function",
        sys::ValueType::napi_bigint => "bigint",
        _ => "object",
    }
}

pub fn is_function(env: sys::napi_env, value: sys::napi_value) -> bool {
    js_callback::type_of(env, value) == sys::ValueType::napi_function
}

pub fn is_object(env: sys::napi_env, value: sys::napi_value) -> bool {
    matches!(
        js_callback::type_of(env, value),
        sys::ValueType::napi_object | sys::ValueType::napi_function
    )
}

/// The bytes of a `Uint8Array`/`Buffer` (any typed array, a `DataView` or
/// an `ArrayBuffer`), valid while `value` is; `None` for anything else.
pub fn bytes_of<'a>(env: sys::napi_env, value: sys::napi_value) -> Option<&'a mut [u8]> {
    let (mut data, mut len): (*mut c_void, usize) = (null_mut(), 0);
    let mut flag = false;
    // SAFETY: env live inside a JS call; the info calls fill the out
    // pointers only for values of the checked kind. The returned slice
    // borrows memory the value keeps alive for the duration of the call.
    unsafe {
        sys::napi_is_typedarray(env, value, &mut flag);
        if flag {
            // `data` already points at the view's first byte.
            let (mut kind, mut elems, mut ab, mut offset) = (0, 0usize, null_mut(), 0usize);
            sys::napi_get_typedarray_info(env, value, &mut kind, &mut elems, &mut data, &mut ab, &mut offset);
            len = elems * element_size(kind);
        } else {
            sys::napi_is_dataview(env, value, &mut flag);
            if flag {
                let (mut ab, mut offset) = (null_mut(), 0usize);
                sys::napi_get_dataview_info(env, value, &mut len, &mut data, &mut ab, &mut offset);
            } else {
                sys::napi_is_arraybuffer(env, value, &mut flag);
                if !flag {
                    return None;
                }
                sys::napi_get_arraybuffer_info(env, value, &mut data, &mut len);
            }
        }
        if len == 0 || data.is_null() {
            return Some(&mut []);
        }
        Some(std::slice::from_raw_parts_mut(data.cast::<u8>(), len))
    }
}

fn element_size(kind: sys::napi_typedarray_type) -> usize {
    match kind {
        sys::TypedarrayType::int16_array | sys::TypedarrayType::uint16_array => 2,
        sys::TypedarrayType::int32_array
        | sys::TypedarrayType::uint32_array
        | sys::TypedarrayType::float32_array => 4,
        sys::TypedarrayType::float64_array
        | sys::TypedarrayType::bigint64_array
        | sys::TypedarrayType::biguint64_array => 8,
        _ => 1,
    }
}

/// The bytes of `value` for a write, or asyncio's TypeError.
pub fn data_arg<'a>(env: sys::napi_env, value: sys::napi_value) -> napi::Result<&'a [u8], ErrCode> {
    match bytes_of(env, value) {
        Some(b) => Ok(b),
        None => Err(errors::type_error(format!(
            "data argument must be a bytes-like object, not '{}'",
            type_name(env, value)
        ))),
    }
}

/// The elements of a JS array argument, or a TypeError naming `call`.
pub fn array_arg(env: sys::napi_env, value: sys::napi_value, call: &str, what: &str) -> napi::Result<Vec<sys::napi_value>, ErrCode> {
    let mut is_array = false;
    // SAFETY: env live during the call; value is its argument.
    unsafe { sys::napi_is_array(env, value, &mut is_array) };
    if !is_array {
        return Err(errors::type_error(format!(
            "{call}(): {what} must be an array, got {}",
            type_name(env, value)
        )));
    }
    Ok(js_callback::array_elements(env, value))
}

/// A JS function argument, referenced; a TypeError naming `call` otherwise.
pub fn function_arg(env: &Rc<JsEnv>, value: Unknown, call: &str, what: &str) -> napi::Result<JsRef, ErrCode> {
    let raw = value.raw();
    if !is_function(env.raw, raw) {
        return Err(errors::type_error(format!(
            "{call}(): {what} must be a function, got {}",
            type_name(env.raw, raw)
        )));
    }
    JsRef::new(env, raw).ok_or_else(|| errors::runtime_error(format!("{call}(): cannot reference {what}")))
}

/// A core error, thrown synchronously (the package maps the code).
pub fn throw(err: evloop::Error) -> napi::Error<ErrCode> {
    errors::from_core(err)
}
