//! JavaScript values the core holds on to, and the one way we call them.
//!
//! A scheduled callback lives inside the core (a `FnOnce` in the ready queue
//! or the timer heap) for as long as it waits, so it keeps its function and
//! arguments alive with `napi_ref`s and drops them when it runs, is
//! cancelled, or the loop is closed.

use std::cell::Cell;
use std::ffi::c_char;
use std::ptr::null_mut;
use std::rc::Rc;

use napi::sys;

/// The env a loop was created in, and whether it is still alive: after the
/// env's cleanup hook ran, references are leaked rather than deleted.
pub struct JsEnv {
    /// The raw env; only used on its own thread.
    pub raw: sys::napi_env,
    alive: Cell<bool>,
}

impl JsEnv {
    pub fn new(raw: sys::napi_env) -> Rc<JsEnv> {
        Rc::new(JsEnv {
            raw,
            alive: Cell::new(true),
        })
    }

    pub fn is_alive(&self) -> bool {
        self.alive.get()
    }

    /// Called from the env cleanup hook: nothing may touch the env after it.
    pub fn mark_dead(&self) {
        self.alive.set(false);
    }
}

/// A strong reference to a JS value (an object, function or array: Node-API
/// before v10 cannot reference primitives).
pub struct JsRef {
    env: Rc<JsEnv>,
    raw: sys::napi_ref,
}

impl JsRef {
    /// References `value`; `None` if the env refuses (a primitive, or the env
    /// is going away).
    pub fn new(env: &Rc<JsEnv>, value: sys::napi_value) -> Option<JsRef> {
        let mut raw = null_mut();
        // SAFETY: called on the env's thread during a JS call with a live value.
        let status = unsafe { sys::napi_create_reference(env.raw, value, 1, &mut raw) };
        (status == sys::Status::napi_ok).then(|| JsRef {
            env: env.clone(),
            raw,
        })
    }

    /// A weak reference to an object: it does not keep it alive, and
    /// [`get_live`](Self::get_live) returns `None` once it is collected.
    pub fn weak(env: &Rc<JsEnv>, value: sys::napi_value) -> Option<JsRef> {
        let mut raw = null_mut();
        // SAFETY: as in `new`; a count of 0 makes the reference weak.
        let status = unsafe { sys::napi_create_reference(env.raw, value, 0, &mut raw) };
        (status == sys::Status::napi_ok).then(|| JsRef {
            env: env.clone(),
            raw,
        })
    }

    /// The referenced value, `None` if a weak reference's object was
    /// collected; needs an open handle scope.
    pub fn get_live(&self) -> Option<sys::napi_value> {
        let value = self.get();
        (!value.is_null()).then_some(value)
    }

    /// The referenced value; needs an open handle scope.
    pub fn get(&self) -> sys::napi_value {
        let mut value = null_mut();
        // SAFETY: the reference is live (deleted only in Drop) and we are on
        // the env's thread inside a handle scope (callers guarantee it).
        unsafe { sys::napi_get_reference_value(self.env.raw, self.raw, &mut value) };
        value
    }
}

impl Drop for JsRef {
    fn drop(&mut self) {
        if self.env.is_alive() {
            // SAFETY: the reference was created by us and is deleted once; the
            // env is still alive (checked above) and this runs on its thread.
            unsafe { sys::napi_delete_reference(self.env.raw, self.raw) };
        }
    }
}

/// A handle scope for native code that runs outside any JS call (a libuv
/// callback): values created in it are released when it drops.
pub struct HandleScope {
    env: sys::napi_env,
    raw: sys::napi_handle_scope,
}

impl HandleScope {
    pub fn open(env: sys::napi_env) -> HandleScope {
        let mut raw = null_mut();
        // SAFETY: env is live and on this thread; scopes nest with the stack.
        unsafe { sys::napi_open_handle_scope(env, &mut raw) };
        HandleScope { env, raw }
    }
}

impl Drop for HandleScope {
    fn drop(&mut self) {
        // SAFETY: closes the scope opened in `open`, innermost first (RAII).
        unsafe { sys::napi_close_handle_scope(self.env, self.raw) };
    }
}

/// Calls `func(...args)` with `napi_make_callback`, the documented way to
/// enter JS from a native async callback: Node drains `process.nextTick` and
/// the microtask queue right after it, so promise continuations run before
/// the loop's next callback. The receiver is the global object because
/// make_callback rejects `undefined`. A throw is cleared and returned, so no
/// exception is ever left pending.
///
/// Needs an open handle scope.
pub fn make_callback(
    env: sys::napi_env,
    ctx: sys::napi_async_context,
    func: sys::napi_value,
    args: &[sys::napi_value],
) -> Result<(), sys::napi_value> {
    let mut recv = null_mut();
    let mut out = null_mut();
    // SAFETY: env live on this thread; func and args are values of the
    // current handle scope; ctx comes from napi_async_init on this env.
    let status = unsafe {
        sys::napi_get_global(env, &mut recv);
        sys::napi_make_callback(env, ctx, recv, func, args.len(), args.as_ptr(), &mut out)
    };
    if status == sys::Status::napi_ok {
        return Ok(());
    }
    Err(take_exception(env))
}

/// Runs what Node skipped after a callback threw: its callback scope drains
/// `process.nextTick` and the microtask queue only when the callback returns
/// normally. Entering JS once more, with a no-op, under the same async
/// context gives the drain a scope that does not fail. Only called after a
/// throw, so a callback that returns pays nothing. `Err` is a nextTick
/// callback that threw (cleared); the ones after it are still queued.
///
/// Needs an open handle scope.
pub fn drain_task_queues(
    env: sys::napi_env,
    ctx: sys::napi_async_context,
) -> Result<(), sys::napi_value> {
    let mut noop = null_mut();
    // SAFETY: env live on this thread; the name is empty (len 0), the
    // callback takes no data.
    let status = unsafe {
        sys::napi_create_function(
            env,
            c"".as_ptr(),
            0,
            Some(noop_callback),
            null_mut(),
            &mut noop,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(take_exception(env));
    }
    make_callback(env, ctx, noop, &[])
}

/// The body of the no-op `drain_task_queues` enters: returns `undefined`.
unsafe extern "C" fn noop_callback(
    _env: sys::napi_env,
    _info: sys::napi_callback_info,
) -> sys::napi_value {
    null_mut()
}

/// Whether the env may still run JS. A terminating worker (or an env being
/// torn down) fails every call with `napi_pending_exception` but has no
/// exception to show; that is not the callback's fault and is not reported.
pub fn can_run_js(env: sys::napi_env) -> bool {
    let (mut n, mut s) = (null_mut(), null_mut());
    // SAFETY: env live on this thread. napi_create_double needs no JS; napi_coerce_to_string
    // checks "can call into JS" first and fails with a pending-exception status when it cannot.
    unsafe {
        sys::napi_create_double(env, 0.0, &mut n);
        sys::napi_coerce_to_string(env, n, &mut s) == sys::Status::napi_ok
    }
}

/// Clears and returns the pending exception (`undefined` when there is none).
pub fn take_exception(env: sys::napi_env) -> sys::napi_value {
    let mut exc = null_mut();
    // SAFETY: env live on this thread; clearing with nothing pending yields undefined.
    unsafe { sys::napi_get_and_clear_last_exception(env, &mut exc) };
    exc
}

/// The elements of a JS array, as values of the current handle scope.
pub fn array_elements(env: sys::napi_env, array: sys::napi_value) -> Vec<sys::napi_value> {
    let mut len = 0u32;
    // SAFETY: env live; `array` was checked to be an array when it was stored.
    unsafe { sys::napi_get_array_length(env, array, &mut len) };
    (0..len)
        .map(|i| {
            let mut v = null_mut();
            // SAFETY: as above; i < len.
            unsafe { sys::napi_get_element(env, array, i, &mut v) };
            v
        })
        .collect()
}

/// `typeof value`, as napi reports it.
pub fn type_of(env: sys::napi_env, value: sys::napi_value) -> sys::napi_valuetype {
    let mut t = sys::ValueType::napi_undefined;
    // SAFETY: env live; value belongs to the current scope.
    unsafe { sys::napi_typeof(env, value, &mut t) };
    t
}

/// A string property of an object (`fn.name`, `err.stack`), if it is one.
/// Getters are user code: a throw is cleared and read as absent.
pub fn string_property(
    env: sys::napi_env,
    obj: sys::napi_value,
    name: &std::ffi::CStr,
) -> Option<String> {
    let t = type_of(env, obj);
    if t != sys::ValueType::napi_object && t != sys::ValueType::napi_function {
        return None;
    }
    let mut v = null_mut();
    // SAFETY: env live; obj is an object of the current scope; name is NUL-terminated.
    let status = unsafe { sys::napi_get_named_property(env, obj, name.as_ptr(), &mut v) };
    if status != sys::Status::napi_ok {
        take_exception(env);
        return None;
    }
    (type_of(env, v) == sys::ValueType::napi_string).then(|| js_string(env, v))
}

/// `String(value)`; a throw (a hostile `toString`, a Symbol) gives a fallback.
pub fn coerce_to_string(env: sys::napi_env, value: sys::napi_value) -> String {
    let mut s = null_mut();
    // SAFETY: env live; value belongs to the current scope.
    let status = unsafe { sys::napi_coerce_to_string(env, value, &mut s) };
    if status != sys::Status::napi_ok {
        take_exception(env);
        return "<unprintable value>".to_string();
    }
    js_string(env, s)
}

/// The contents of a JS string value.
fn js_string(env: sys::napi_env, s: sys::napi_value) -> String {
    let mut len = 0usize;
    // SAFETY: env live; s is a string. The first call asks for the length
    // (buf null), the second fills a buffer of len + 1 bytes (NUL included).
    unsafe {
        sys::napi_get_value_string_utf8(env, s, null_mut(), 0, &mut len);
        let mut buf = vec![0u8; len + 1];
        let mut written = 0usize;
        sys::napi_get_value_string_utf8(
            env,
            s,
            buf.as_mut_ptr().cast::<c_char>(),
            len + 1,
            &mut written,
        );
        buf.truncate(written);
        String::from_utf8_lossy(&buf).into_owned()
    }
}

/// What a thrown value says: its `stack` for an Error, else `String(value)`.
pub fn describe_exception(env: sys::napi_env, exc: sys::napi_value) -> String {
    string_property(env, exc, c"stack").unwrap_or_else(|| coerce_to_string(env, exc))
}

/// JavaScript values for the keys of an exception context that the core
/// reports (`ExceptionContext::with_payload(Rc::new(JsContextPayload ..))`):
/// the handler then gets these values (an `exception` Error object, a
/// `transport`, a `protocol`, ...) instead of the core's text for the key.
/// For code in this crate that reports errors of JS origin through the core.
pub struct JsContextPayload {
    pub values: Vec<(String, JsRef)>,
}

/// `undefined`.
pub fn undefined(env: sys::napi_env) -> sys::napi_value {
    let mut v = null_mut();
    // SAFETY: env live on this thread.
    unsafe { sys::napi_get_undefined(env, &mut v) };
    v
}

/// A JS string.
pub fn string(env: sys::napi_env, s: &str) -> sys::napi_value {
    let mut v = null_mut();
    // SAFETY: env live; the string is passed with its length (no NUL needed).
    unsafe { sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut v) };
    v
}

/// A JS number.
pub fn number(env: sys::napi_env, n: f64) -> sys::napi_value {
    let mut v = null_mut();
    // SAFETY: env live on this thread.
    unsafe { sys::napi_create_double(env, n, &mut v) };
    v
}

/// A new empty object.
pub fn object(env: sys::napi_env) -> sys::napi_value {
    let mut v = null_mut();
    // SAFETY: env live on this thread.
    unsafe { sys::napi_create_object(env, &mut v) };
    v
}

/// `obj[key] = value` (a plain data property of an object we created).
pub fn set_property(env: sys::napi_env, obj: sys::napi_value, key: &str, value: sys::napi_value) {
    let k = string(env, key);
    // SAFETY: env live; obj is an ordinary object of the current scope.
    unsafe { sys::napi_set_property(env, obj, k, value) };
}

/// A plain `Error` with `message`.
pub fn plain_error(env: sys::napi_env, message: &str) -> sys::napi_value {
    let (m, mut e) = (string(env, message), null_mut());
    // SAFETY: env live; no code.
    unsafe { sys::napi_create_error(env, null_mut(), m, &mut e) };
    e
}

/// A Node `Buffer` holding a copy of `bytes`.
pub fn buffer_copy(env: sys::napi_env, bytes: &[u8]) -> sys::napi_value {
    let (mut data, mut v) = (null_mut(), null_mut());
    // SAFETY: env live; napi copies `len` bytes from the slice.
    unsafe {
        sys::napi_create_buffer_copy(env, bytes.len(), bytes.as_ptr().cast(), &mut data, &mut v)
    };
    v
}
