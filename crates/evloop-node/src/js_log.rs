//! The core's `log` records (asyncio's `logger.warning(...)`: "socket.send()
//! raised exception.", slow callbacks, unclosed writers) handed to the
//! package's replaceable logger: `setLogHook(fn(level, message))`.
//!
//! `log` has one logger per process, but JS functions belong to one thread's
//! env: the logger looks up the hook of the thread the record comes from, so
//! each worker's records reach its own hook. Without a hook (or where JS may
//! not run, e.g. during env teardown) the record goes to stderr.

use std::cell::RefCell;
use std::ptr::null_mut;
use std::rc::Rc;

use napi::bindgen_prelude::{Env, Unknown};
use napi::{sys, JsValue};
use napi_derive::napi;

use crate::errors::{self, ErrCode};
use crate::js_callback::{self, HandleScope, JsEnv, JsRef};

thread_local! {
    static HOOK: RefCell<Option<Rc<JsRef>>> = const { RefCell::new(None) };
    static ENV: RefCell<Option<Rc<JsEnv>>> = const { RefCell::new(None) };
}

static LOGGER: evloop::ForwardLog = evloop::ForwardLog::new(deliver);

/// Calls the thread's hook; false if there is none or JS cannot run now.
fn deliver(level: &'static str, message: &str) -> bool {
    let Some(hook) = HOOK.try_with(|h| h.borrow().clone()).ok().flatten() else { return false };
    let Some(env) = ENV.try_with(|e| e.borrow().clone()).ok().flatten() else { return false };
    if !env.is_alive() {
        return false;
    }
    let raw = env.raw;
    // Records also come from libuv callbacks, where no JS frame has opened a scope:
    // every value made below (can_run_js's included) needs this one.
    let _scope = HandleScope::open(raw);
    if !js_callback::can_run_js(raw) {
        return false;
    }
    let args = [js_callback::string(raw, level), js_callback::string(raw, message)];
    let (mut global, mut out) = (null_mut(), null_mut());
    // SAFETY: on the env's thread inside a handle scope; the hook is a live
    // function reference; a throw is cleared below so none stays pending.
    let status = unsafe {
        sys::napi_get_global(raw, &mut global);
        sys::napi_call_function(raw, global, hook.get(), args.len(), args.as_ptr(), &mut out)
    };
    if status != sys::Status::napi_ok {
        js_callback::take_exception(raw);
    }
    true
}

/// The env is going away: forget the hook and never touch the env again.
unsafe extern "C" fn on_env_cleanup(_arg: *mut std::ffi::c_void) {
    let result = std::panic::catch_unwind(|| {
        let env = ENV.try_with(|e| e.borrow_mut().take()).ok().flatten();
        if let Some(env) = env {
            env.mark_dead();
        }
        // Its env is marked dead: dropping the reference no longer touches it.
        let hook = HOOK.try_with(|h| h.borrow_mut().take()).ok().flatten();
        drop(hook);
    });
    if result.is_err() {
        eprintln!("evloop: internal error in the log env cleanup hook");
    }
}

/// Installs `hook(level, message)` as this thread's receiver of the core's
/// warnings (`level` is "warn" or "error").
#[napi(catch_unwind)]
pub fn set_log_hook(env: Env, hook: Unknown) -> napi::Result<(), ErrCode> {
    let raw = env.raw();
    if js_callback::type_of(raw, hook.raw()) != sys::ValueType::napi_function {
        return Err(errors::type_error("setLogHook(): hook must be a function"));
    }
    let (js_env, first) = ENV.with(|e| {
        let mut e = e.borrow_mut();
        let first = e.is_none();
        (e.get_or_insert_with(|| JsEnv::new(raw)).clone(), first)
    });
    if first {
        // Records can come while the env is torn down (a loop dropped unclosed warns from a
        // libuv close callback then): after this hook they go to stderr.
        // SAFETY: env live; the hook takes no data and runs once, at teardown.
        unsafe { sys::napi_add_env_cleanup_hook(raw, Some(on_env_cleanup), null_mut()) };
    }
    let hook = JsRef::new(&js_env, hook.raw()).ok_or_else(|| errors::runtime_error("cannot reference the log hook"))?;
    HOOK.with(|h| h.borrow_mut().replace(Rc::new(hook)));
    // The first thread installs the process's logger; later calls find it set.
    LOGGER.install();
    Ok(())
}
