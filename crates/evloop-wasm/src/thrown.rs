//! JavaScript values thrown by callbacks and protocols, carried through the
//! core as `evloop::Error`s and handed back unchanged.
//!
//! The core's errors must be `Send + Sync` and JS values are neither, so the
//! error holds an id into a table of this (only) thread; the entry goes when
//! the last clone of the error is dropped. A protocol that throws `err` in
//! `dataReceived` thus gets the very same `err` in `connectionLost(err)`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

thread_local! {
    static THROWN: RefCell<HashMap<u64, JsValue>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

/// A thrown JS value, as the core's error source.
#[derive(Debug)]
pub(crate) struct JsThrown {
    id: u64,
    /// `String(value)`, for text-only reports.
    text: String,
}

impl fmt::Display for JsThrown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for JsThrown {}

impl Drop for JsThrown {
    fn drop(&mut self) {
        let entry = THROWN.try_with(|t| t.try_borrow_mut().ok().and_then(|mut t| t.remove(&self.id)));
        drop(entry); // outside the borrow
    }
}

/// The text of a thrown JS value: `Error.toString()`, the string itself, or its debug form.
pub(crate) fn text_of(value: &JsValue) -> String {
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        return String::from(e.to_string());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// Wraps the thrown `value` as a core error.
pub(crate) fn wrap(value: JsValue) -> evloop::Error {
    let text = text_of(&value);
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    let _ = THROWN.try_with(|t| t.try_borrow_mut().map(|mut t| t.insert(id, value)));
    evloop::Error::user(JsThrown { id, text })
}

/// The original JS value behind `err`, if it is a wrapped one.
pub(crate) fn original(err: &evloop::Error) -> Option<JsValue> {
    let evloop::Error::User(source) = err else { return None };
    let thrown = (**source).downcast_ref::<JsThrown>()?;
    THROWN.try_with(|t| t.try_borrow().ok().and_then(|t| t.get(&thrown.id).cloned())).ok().flatten()
}
