//! The core's `log` records (asyncio's `logger.warning(...)`) handed to the
//! package's replaceable logger: `setLogHook(fn(level, message))`, as the
//! Node addon does. The simulation runs on one thread, so one hook serves.

use std::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::prelude::*;

thread_local! {
    static HOOK: RefCell<Option<Function>> = const { RefCell::new(None) };
}

struct ToJs;

static LOGGER: ToJs = ToJs;

impl log::Log for ToJs {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        // Slow callbacks are reported by the binding's own hook, with JS names.
        metadata.level() <= log::Level::Warn && metadata.target() != evloop::SLOW_CALLBACK_TARGET
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = if record.level() == log::Level::Error { "error" } else { "warn" };
        let message = record.args().to_string();
        let hook = HOOK.try_with(|h| h.borrow().clone()).ok().flatten();
        if let Some(hook) = hook {
            // A throwing logger must not unwind into the core: its error is dropped.
            let _ = hook.call2(&JsValue::UNDEFINED, &JsValue::from_str(level), &JsValue::from_str(&message));
        }
    }

    fn flush(&self) {}
}

/// Installs `hook(level, message)` as the receiver of the core's warnings
/// (`level` is "warn" or "error").
#[wasm_bindgen(js_name = setLogHook)]
pub fn set_log_hook(hook: Function) {
    HOOK.with(|h| h.borrow_mut().replace(hook));
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
}
