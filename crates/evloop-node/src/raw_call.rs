//! Plain JS functions over native code, for the hot paths (`callSoon`,
//! timers, `Transport.write`): a napi-rs class method unwraps `this` and
//! tracks borrows on every call, which cost as much as these calls' own
//! work (it showed in the profiles of the loop benchmarks and of echo).
//! The package checks every argument before calling them.

use std::ffi::{c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;

use napi::sys;

use crate::errors;

pub type RawCallback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// A JS function `name` that calls `f` with `data` at hand (see
/// [`call_args`]); `data` is dropped with the function.
pub fn function<T: 'static>(env: sys::napi_env, name: &CStr, f: RawCallback, data: T) -> Option<sys::napi_value> {
    let data = Box::into_raw(Box::new(data));
    let mut func = null_mut();
    // SAFETY: env live; `data` stays valid until the finalizer below frees it
    // (or we free it here if the function was not made).
    unsafe {
        let status = sys::napi_create_function(env, name.as_ptr(), name.to_bytes().len() as isize, Some(f), data.cast(), &mut func);
        if status != sys::Status::napi_ok {
            drop(Box::from_raw(data));
            return None;
        }
        let status = sys::napi_add_finalizer(env, func, data.cast(), Some(free_data::<T>), null_mut(), null_mut());
        if status != sys::Status::napi_ok {
            drop(Box::from_raw(data));
            return None;
        }
    }
    Some(func)
}

unsafe extern "C" fn free_data<T>(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the Box<T> leaked in `function`, freed once, here.
    drop(unsafe { Box::from_raw(data.cast::<T>()) });
}

/// The data of the called function and its first `N` arguments (missing
/// ones are `undefined`).
///
/// # Safety
/// `info` is the callback info of a call to a function made by
/// [`function`] with data of type `T`; the reference is used only during
/// that call.
pub unsafe fn call_args<'a, T, const N: usize>(env: sys::napi_env, info: sys::napi_callback_info) -> (&'a T, [sys::napi_value; N]) {
    let mut argc = N;
    let mut argv = [null_mut(); N];
    let mut data = null_mut();
    // SAFETY: per the contract; argv has room for argc values.
    unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), null_mut(), &mut data) };
    // SAFETY: data is the live Box<T> of this function (freed only with it).
    (unsafe { &*data.cast::<T>() }, argv)
}

/// A number argument (NaN for anything else: the package passes numbers).
pub fn number_arg(env: sys::napi_env, value: sys::napi_value) -> f64 {
    let mut v = f64::NAN;
    // SAFETY: env live; a non-number leaves NaN.
    unsafe { sys::napi_get_value_double(env, value, &mut v) };
    v
}

/// A boolean argument (false for anything else).
pub fn bool_arg(env: sys::napi_env, value: sys::napi_value) -> bool {
    let mut v = false;
    // SAFETY: as number_arg.
    unsafe { sys::napi_get_value_bool(env, value, &mut v) };
    v
}

/// A JS boolean.
pub fn boolean(env: sys::napi_env, b: bool) -> sys::napi_value {
    let mut v = null_mut();
    // SAFETY: env live.
    unsafe { sys::napi_get_boolean(env, b, &mut v) };
    v
}

/// Throws an error with `code` as the class methods do (`code` names the
/// Python class, see `errors.rs`); returns the value to return.
pub fn throw_code(env: sys::napi_env, code: &str, message: &str) -> sys::napi_value {
    let value = errors::error_value(env, code, message);
    // SAFETY: env live; nothing else is pending (we just came from JS).
    unsafe { sys::napi_throw(env, value) };
    null_mut()
}

/// Throws a core error as the class methods do.
pub fn throw(env: sys::napi_env, err: &evloop::Error) -> sys::napi_value {
    throw_code(env, &errors::code_string(err), &err.message())
}

/// Runs `f`, turning a panic into a thrown RuntimeError: no panic crosses into JS.
pub fn guarded(env: sys::napi_env, f: impl FnOnce() -> sys::napi_value) -> sys::napi_value {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => throw(env, &evloop::Error::Runtime("evloop internal error".into())),
    }
}
