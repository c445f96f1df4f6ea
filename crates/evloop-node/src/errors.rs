//! Core errors as JS errors.
//!
//! The native module throws plain `Error`s whose `code` names the Python
//! class (`"RuntimeError"`, `"TypeError"`, ...); the package's JS wrapper
//! turns them into the exported classes. OS errors carry their details in
//! the same string, `"<Class>|<CODE>|<errno>|<syscall>"` (for example
//! `"ConnectionRefusedError|ECONNREFUSED|111|connect"`), because napi-rs
//! builds thrown errors from a code and a message only.

use std::ptr::null_mut;

use napi::sys;

/// The `code` of a thrown error (see the module docs for its format).
pub struct ErrCode(String);

impl AsRef<str> for ErrCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The result type of every exported method.
pub type JsResult<T> = napi::Result<T, ErrCode>;

/// The `code` string for a core error.
pub fn code_string(err: &evloop::Error) -> String {
    match err {
        evloop::Error::Os(os) => {
            format!(
                "{}|{}|{}|{}",
                err.name(),
                err.code().unwrap_or(""),
                os.errno,
                os.syscall
            )
        }
        // `<Class>|<reason>|1|`: the package reads `reason` from the code
        // when the error is thrown (no extra object then).
        evloop::Error::Ssl(ssl) => format!("{}|{}|1|", err.name(), ssl.reason),
        _ => err.name().to_string(),
    }
}

/// A core error, ready to be thrown by a `#[napi]` method.
pub fn from_core(err: evloop::Error) -> napi::Error<ErrCode> {
    napi::Error::new(ErrCode(code_string(&err)), err.message())
}

/// `TypeError(message)`: a wrong argument type.
pub fn type_error(message: impl Into<String>) -> napi::Error<ErrCode> {
    napi::Error::new(ErrCode("TypeError".into()), message.into())
}

/// `RuntimeError(message)`.
pub fn runtime_error(message: impl Into<String>) -> napi::Error<ErrCode> {
    napi::Error::new(ErrCode("RuntimeError".into()), message.into())
}

/// A JS `Error` value with `code` and message, for errors that are passed to
/// a callback rather than thrown (the end of `runForever`).
pub fn error_value(env: sys::napi_env, code: &str, message: &str) -> sys::napi_value {
    let (mut c, mut m, mut e) = (null_mut(), null_mut(), null_mut());
    // SAFETY: env is live on this thread inside a handle scope; the strings
    // are passed with explicit lengths, so they need no NUL.
    unsafe {
        sys::napi_create_string_utf8(env, code.as_ptr().cast(), code.len() as isize, &mut c);
        sys::napi_create_string_utf8(env, message.as_ptr().cast(), message.len() as isize, &mut m);
        sys::napi_create_error(env, c, m, &mut e);
    }
    e
}

/// `ValueError(message)`: an argument of the right type with a bad value.
pub fn value_error(message: impl Into<String>) -> napi::Error<ErrCode> {
    napi::Error::new(ErrCode("ValueError".into()), message.into())
}

/// The built-in `RangeError(message)`: a number out of its range (NaN).
pub fn range_error(message: impl Into<String>) -> napi::Error<ErrCode> {
    napi::Error::new(ErrCode("RangeError".into()), message.into())
}
