//! The core's `log` records (asyncio's `logger.warning(...)`) handed to the
//! package's replaceable logger: `setLogHook(fn(level, message))`, as the
//! Node addon does. The simulation runs on one thread, so one hook serves.

use std::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::prelude::*;

thread_local! {
    static HOOK: RefCell<Option<Function>> = const { RefCell::new(None) };
}

static LOGGER: evloop::ForwardLog = evloop::ForwardLog::new(deliver);

/// Calls the hook; false without one.
fn deliver(level: &'static str, message: &str) -> bool {
    let Some(hook) = HOOK.try_with(|h| h.borrow().clone()).ok().flatten() else { return false };
    // A throwing logger must not unwind into the core: its error is dropped.
    let _ = hook.call2(&JsValue::UNDEFINED, &JsValue::from_str(level), &JsValue::from_str(message));
    true
}

/// Installs `hook(level, message)` as the receiver of the core's warnings
/// (`level` is "warn" or "error").
#[wasm_bindgen(js_name = setLogHook)]
pub fn set_log_hook(hook: Function) {
    HOOK.with(|h| h.borrow_mut().replace(hook));
    LOGGER.install();
}
