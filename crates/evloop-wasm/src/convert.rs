//! Conversions between core values and JS values, and the package's hooks
//! (`packages/evloop/sim/simulation.js` installs them once): its error classes
//! and its `Transport` wrapper.

use std::cell::RefCell;

use evloop::{Address, Error};
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::thrown;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    pub(crate) fn console_error(message: &str, error: &JsValue);
}

/// Functions of the package the binding calls.
struct Hooks {
    /// `(code, message, extra) => Error`: an instance of the package's class.
    make_error: Function,
    /// `(native) => Transport`: the package's wrapper of a native transport.
    wrap_transport: Function,
}

thread_local! {
    static HOOKS: RefCell<Option<Hooks>> = const { RefCell::new(None) };
}

/// Installs the package's hooks (`makeError(code, message, extra)`,
/// `wrapTransport(native)`); the sim entry calls it once.
#[wasm_bindgen(js_name = setHooks)]
pub fn set_hooks(make_error: Function, wrap_transport: Function) {
    let _ = HOOKS.try_with(|h| {
        if let Ok(mut h) = h.try_borrow_mut() {
            *h = Some(Hooks { make_error, wrap_transport });
        }
    });
}

fn hook(which: impl Fn(&Hooks) -> Function) -> Option<Function> {
    HOOKS.try_with(|h| h.try_borrow().ok().and_then(|h| h.as_ref().map(&which))).ok().flatten()
}

/// The package's `Transport` for a native transport (the native object
/// itself before the hooks are installed).
pub(crate) fn wrap_transport(native: JsValue) -> JsValue {
    match hook(|h| h.wrap_transport.clone()) {
        Some(f) => f.call1(&JsValue::UNDEFINED, &native).unwrap_or(native),
        None => native,
    }
}

/// The `code` a core error is made with: the Python class, and for OS and
/// resolution errors `"<Class>|<CODE>|<errno>|<syscall>"` (as the addon).
fn code_of(err: &Error) -> String {
    match err {
        Error::Os(os) | Error::Gai(os) => {
            let errno = if os.errno == 0 { String::new() } else { os.errno.to_string() };
            format!("{}|{}|{}|{}", err.name(), err.code().unwrap_or(""), errno, os.syscall)
        }
        // `<Class>|<reason>|1|`, as the addon's.
        Error::Ssl(ssl) => format!("{}|{}|1|", err.name(), ssl.reason),
        _ => err.name().to_string(),
    }
}

/// The JS value of a core error: the original value for one thrown by JS,
/// else an instance of the package's class (`ConnectionResetError`, ...).
pub(crate) fn error_value(err: &Error) -> JsValue {
    if let Some(v) = thrown::original(err) {
        return v;
    }
    let code = code_of(err);
    let message = err.message();
    let extra = match err {
        Error::IncompleteRead { partial, expected } => {
            let o = Object::new();
            set(&o, "partial", &Uint8Array::from(partial.as_slice()).into());
            set(&o, "expected", &expected.map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64)));
            o.into()
        }
        Error::LimitOverrun { consumed, .. } => {
            let o = Object::new();
            set(&o, "consumed", &JsValue::from_f64(*consumed as f64));
            o.into()
        }
        Error::Group { errors, .. } => {
            let o = Object::new();
            let items: Vec<JsValue> = errors.iter().map(error_value).collect();
            set(&o, "errors", &array(&items));
            o.into()
        }
        Error::Ssl(ssl) => crate::tls_info::ssl_error_extra(ssl),
        _ => JsValue::UNDEFINED,
    };
    if let Some(f) = hook(|h| h.make_error.clone()) {
        if let Ok(v) = f.call3(&JsValue::UNDEFINED, &JsValue::from_str(&code), &JsValue::from_str(&message), &extra) {
            return v;
        }
    }
    let e = js_sys::Error::new(&message);
    set(&e, "code", &JsValue::from_str(&code));
    e.into()
}

/// `obj[key] = value` on an object of ours (never throws).
pub(crate) fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// `{ address, port, family }`: `"sim"` for simulated hosts (API.md), as
/// `node:net` gives IP addresses; a Unix path as its string.
pub(crate) fn address_value(addr: &Address) -> JsValue {
    let o = Object::new();
    match addr {
        Address::Sim { host, port } => {
            set(&o, "address", &JsValue::from_str(host));
            set(&o, "port", &JsValue::from_f64(f64::from(*port)));
            set(&o, "family", &JsValue::from_str("sim"));
        }
        Address::Inet(sa) => {
            set(&o, "address", &JsValue::from_str(&sa.ip().to_string()));
            set(&o, "port", &JsValue::from_f64(f64::from(sa.port())));
            set(&o, "family", &JsValue::from_str(if sa.is_ipv4() { "IPv4" } else { "IPv6" }));
        }
        Address::Unix(path) => return JsValue::from_str(path),
    }
    o.into()
}

/// A JS array of values.
pub(crate) fn array(items: &[JsValue]) -> JsValue {
    items.iter().collect::<Array>().into()
}

/// `obj[key]` when it is a function (a throwing getter reads as absent).
pub(crate) fn method(obj: &JsValue, key: &str) -> Option<Function> {
    Reflect::get(obj, &JsValue::from_str(key)).ok()?.dyn_into::<Function>().ok()
}

/// `opts[key]` as an optional number (the package checked its type).
pub(crate) fn opt_f64(opts: &JsValue, key: &str) -> Option<f64> {
    if !opts.is_object() {
        return None;
    }
    Reflect::get(opts, &JsValue::from_str(key)).ok()?.as_f64()
}

/// `opts[key]` as an optional integer.
pub(crate) fn opt_i32(opts: &JsValue, key: &str) -> Option<i32> {
    opt_f64(opts, key).filter(|v| v.fract() == 0.0 && *v >= f64::from(i32::MIN) && *v <= f64::from(i32::MAX)).map(|v| v as i32)
}

/// `opts[key]` as an optional flag.
pub(crate) fn opt_bool(opts: &JsValue, key: &str) -> Option<bool> {
    if !opts.is_object() {
        return None;
    }
    Reflect::get(opts, &JsValue::from_str(key)).ok()?.as_bool()
}

/// `opts[key]` as an optional string.
pub(crate) fn opt_string(opts: &JsValue, key: &str) -> Option<String> {
    if !opts.is_object() {
        return None;
    }
    Reflect::get(opts, &JsValue::from_str(key)).ok()?.as_string()
}

/// A core error to throw from an exported method.
pub(crate) fn throw(err: Error) -> JsValue {
    error_value(&err)
}

/// A `TypeError` to throw.
pub(crate) fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// The pieces of a `writelines` list (the package passes Uint8Arrays).
pub(crate) fn byte_pieces(list: &Array) -> Result<Vec<Vec<u8>>, JsValue> {
    list.iter()
        .map(|v| match v.dyn_ref::<Uint8Array>() {
            Some(a) => Ok(a.to_vec()),
            None => Err(type_error("data argument must be a bytes-like object")),
        })
        .collect()
}
