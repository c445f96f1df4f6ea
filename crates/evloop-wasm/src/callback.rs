//! JS functions as core callbacks, and where their exceptions go.
//!
//! A Rust panic would abort the wasm instance, so a JS exception is caught here, once, and
//! passed to the running loop's exception handler, as asyncio does for a raising callback.
use std::borrow::Cow;
use std::rc::Rc;

use evloop::{format_context, EventLoop, ExceptionContext};
use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str, error: &JsValue);
}

/// The label that names `cb` in reports: its JS name, as asyncio shows a callback's repr.
pub(crate) fn label(cb: &Function) -> Cow<'static, str> {
    let name = String::from(cb.name());
    Cow::Owned(if name.is_empty() {
        "<anonymous>".to_string()
    } else {
        name
    })
}

/// Wraps `cb` so that a throw goes to the loop's exception handler instead of unwinding.
pub(crate) fn wrap(cb: Function) -> impl FnOnce() + 'static {
    move || {
        let Err(error) = cb.call0(&JsValue::UNDEFINED) else {
            return;
        };
        let context = ExceptionContext::new(format!("Exception in callback {}", label(&cb)))
            .with_exception(error_text(&error))
            .with_payload(Rc::new(error));
        // The callback runs inside run_forever, so the running loop is the one that called it.
        match evloop::get_running_loop() {
            Ok(lp) => lp.call_exception_handler(context),
            Err(_) => console_error(&format_context(&context), &JsValue::UNDEFINED),
        }
    }
}

/// The default handler of a SimLoop: the core logs through `log`, which has no sink in
/// wasm, so print to the JS console with the original error object (its stack included).
pub(crate) fn console_exception_handler(_lp: &EventLoop, context: &ExceptionContext) {
    let error = context
        .payload
        .as_ref()
        .and_then(|p| p.downcast_ref::<JsValue>())
        .cloned()
        .unwrap_or(JsValue::UNDEFINED);
    console_error(&format_context(context), &error);
}

/// The text of a thrown JS value: `Error.toString()`, the string itself, or its debug form.
fn error_text(error: &JsValue) -> String {
    if let Some(e) = error.dyn_ref::<js_sys::Error>() {
        return String::from(e.to_string());
    }
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}
