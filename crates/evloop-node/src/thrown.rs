//! JavaScript values thrown by protocol callbacks, carried through the core
//! as `evloop::Error`s and handed back unchanged.
//!
//! The core's errors must be `Send + Sync` and JS values are neither, so the
//! error holds an id into a per-thread table of references; the entry goes
//! when the last clone of the error is dropped. A protocol that throws
//! `err` in `dataReceived` thus gets the very same `err` in
//! `connectionLost(err)`, and so does the exception handler.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::ptr::null_mut;
use std::rc::Rc;
use std::thread::ThreadId;

use napi::sys;

use crate::js_callback::{self, JsEnv, JsRef};

thread_local! {
    /// The thrown values of this thread by id, each inside a one-element
    /// array (Node-API before v10 cannot reference primitives).
    static THROWN: RefCell<HashMap<u64, JsRef>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

/// A thrown JS value, as the core's error source.
#[derive(Debug)]
pub struct JsThrown {
    id: u64,
    thread: ThreadId,
    /// The value's `stack` (or `String(value)`), for text-only reports.
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
        if self.thread != std::thread::current().id() {
            return; // the table is the other thread's; the entry leaks
        }
        let entry = THROWN.try_with(|t| t.borrow_mut().remove(&self.id)).ok().flatten();
        drop(entry); // outside the borrow: deleting a reference runs no JS, but be safe
    }
}

/// Wraps the thrown `value` (of the current handle scope) as a core error.
pub fn wrap(env: &Rc<JsEnv>, value: sys::napi_value) -> evloop::Error {
    let text = js_callback::describe_exception(env.raw, value);
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    let mut holder = null_mut();
    // SAFETY: env live on this thread inside a handle scope; value belongs to it.
    unsafe {
        sys::napi_create_array_with_length(env.raw, 1, &mut holder);
        sys::napi_set_element(env.raw, holder, 0, value);
    }
    if let Some(r) = JsRef::new(env, holder) {
        THROWN.with(|t| t.borrow_mut().insert(id, r));
    }
    evloop::Error::user(JsThrown {
        id,
        thread: std::thread::current().id(),
        text,
    })
}

/// The original JS value behind `err`, if it is one this thread wrapped;
/// needs an open handle scope.
pub fn original(env: sys::napi_env, err: &evloop::Error) -> Option<sys::napi_value> {
    let evloop::Error::User(source) = err else { return None };
    let thrown = (**source).downcast_ref::<JsThrown>()?;
    if thrown.thread != std::thread::current().id() {
        return None;
    }
    let holder = THROWN.with(|t| t.borrow().get(&thrown.id).map(JsRef::get))?;
    let mut value = null_mut();
    // SAFETY: env live; holder is the one-element array made in `wrap`.
    unsafe { sys::napi_get_element(env, holder, 0, &mut value) };
    Some(value)
}

/// The env is going away: forget the table without deleting its references
/// through the dying env (errors dropped later find no entry).
pub fn forget_all() {
    if let Ok(table) = THROWN.try_with(|t| std::mem::take(&mut *t.borrow_mut())) {
        std::mem::forget(table);
    }
}
