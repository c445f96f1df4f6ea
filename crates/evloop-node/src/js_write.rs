//! `Transport.write` as a plain JS function (`raw_call.rs`): the echo
//! profile showed napi-rs's class-method bookkeeping (unwrapping `this`,
//! tracking borrows) costing about as much as the write's own native work.
//! Each native transport object takes a slot in a per-thread table when it
//! is made and gives it back when it is collected; the package's
//! `Transport` keeps its slot and calls `writeTransport(slot, data)`.

use std::cell::RefCell;
use std::ptr::null_mut;

use evloop::Transport;
use napi::bindgen_prelude::{Env, Unknown};
use napi::sys;
use napi_derive::napi;

use crate::errors::{self, ErrCode};
use crate::convert;
use crate::ctx::Ctx;
use crate::raw_call;

thread_local! {
    /// One env per thread in Node (the main thread or a worker).
    static SLOTS: RefCell<Slots> = RefCell::new(Slots::default());
}

#[derive(Default)]
struct Slots {
    entries: Vec<Option<(Transport, Ctx)>>,
    free: Vec<u32>,
}

/// A slot for `t` until [`release`].
pub fn take_slot(t: &Transport, ctx: &Ctx) -> u32 {
    SLOTS.with(|s| {
        let mut s = s.borrow_mut();
        let entry = Some((t.clone(), ctx.clone()));
        match s.free.pop() {
            Some(slot) => {
                s.entries[slot as usize] = entry;
                slot
            }
            None => {
                s.entries.push(entry);
                (s.entries.len() - 1) as u32
            }
        }
    })
}

/// Gives `slot` back (its native transport object was collected).
pub fn release(slot: u32) {
    // At thread exit the table may already be gone: nothing to give back then.
    let _ = SLOTS.try_with(|s| {
        let mut s = s.borrow_mut();
        if let Some(entry) = s.entries.get_mut(slot as usize) {
            if entry.take().is_some() {
                s.free.push(slot);
            }
        }
    });
}

/// `writeTransport(slot, data)`, made once per env by the package (`net.js`).
#[napi(catch_unwind, ts_return_type = "(slot: number, data: Uint8Array) => void")]
pub fn transport_writer(env: Env) -> napi::Result<Unknown<'static>, ErrCode> {
    let raw = env.raw();
    let f = raw_call::function(raw, c"writeTransport", write, ())
        .ok_or_else(|| errors::runtime_error("cannot create writeTransport"))?;
    // SAFETY: f belongs to this call's scope and is returned at once.
    Ok(unsafe { Unknown::from_raw_unchecked(raw, f) })
}

/// `write(data)` of the transport in `slot`: sent at once when nothing is
/// buffered, the rest copied (the core's `Transport::write`).
unsafe extern "C" fn write(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    raw_call::guarded(env, || {
        // SAFETY: called by V8 as the function made in `transport_writer`.
        let (_, [slot, data]) = unsafe { raw_call::call_args::<(), 2>(env, info) };
        let slot = raw_call::number_arg(env, slot);
        // Cloned out of the table: a write can end the connection, whose
        // callbacks may make or drop transports (and so use the table).
        let entry = SLOTS.with(|s| s.borrow().entries.get(slot as usize).cloned().flatten());
        let Some((t, ctx)) = entry else {
            return raw_call::throw_code(env, "RuntimeError", "write(): this transport is gone");
        };
        let Some(bytes) = convert::bytes_of(env, data) else {
            let message = format!("data argument must be a bytes-like object, not '{}'", convert::type_name(env, data));
            return raw_call::throw_code(env, "TypeError", &message);
        };
        match t.write(bytes) {
            Ok(()) => {
                ctx.wake();
                null_mut()
            }
            Err(e) => raw_call::throw(env, &e),
        }
    })
}
