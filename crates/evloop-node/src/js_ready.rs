//! The package's `callSoon`, `callLater` and `callAt` without a napi
//! reference per call.
//!
//! A JS callback scheduled through a reference costs two `napi_ref`s, a
//! wrapped handle object with a finalizer and a weak reference to it, which
//! made `callSoon` ~8x dearer than Node's `setImmediate` (docs/benchmarks.md).
//! So the package keeps its callbacks, arguments and `Handle` objects in JS,
//! and the core keeps only what decides when they run:
//!
//! - `callSoon`: the package pushes the callback on its own FIFO and the core
//!   queues, once more, the loop's one repeating handle that calls
//!   `hooks.runSoon(loop)`, which runs the head of that FIFO. Both queues
//!   grow in the same order and are emptied in the same order (the core runs
//!   its ready handles first in, first out; closing the loop empties both),
//!   so the n-th core handle runs the n-th callback,
//!   interleaved with the core's own callbacks exactly as asyncio orders them.
//!   A cancelled callback keeps its place in the core's queue and is skipped
//!   by the package, as asyncio skips a cancelled handle in `_ready`.
//! - timers: the package numbers its timers (ids are reused once free); the
//!   core's `TimerHandle` is kept here under that id so that `cancel()`
//!   reaches the timer heap (asyncio's cancelled-timer bookkeeping), and
//!   firing calls `hooks.runTimer(loop, id)`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ffi::CStr;
use std::ptr::null_mut;
use std::rc::{Rc, Weak};

use evloop::TimerHandle;
use napi::sys;

use crate::driver::DriverCore;
use crate::enter::JsEntry;
use crate::js_callback;
use crate::raw_call;

/// Names JS callbacks in the core's own reports. Reading `fn.name` at every
/// `callSoon` would cost a property lookup; the package names a callback
/// when it reports one.
pub(crate) const JS_LABEL: &str = "<JavaScript function>";

/// What the package's `callSoon` and timers need of one loop, owned by its
/// JS object; the functions of [`fast_calls`] hold it weakly.
pub struct Ready {
    /// Re-armed after scheduling; the loop to schedule on.
    driver: Weak<DriverCore>,
    /// Where the callbacks run.
    entry: Weak<JsEntry>,
    /// The core timers of the package's `callLater`/`callAt`, by the id the
    /// package gave them.
    pub timers: JsTimers,
    /// The one core handle queued for every `callSoon` of the package.
    soon: evloop::Handle,
}

impl Ready {
    /// The `callSoon` and timer state of the loop `driver` drives.
    pub fn new(driver: &Rc<DriverCore>) -> Rc<Ready> {
        Rc::new(Ready {
            driver: Rc::downgrade(driver),
            entry: Rc::downgrade(driver.entry()),
            timers: JsTimers::default(),
            soon: soon_handle(Rc::downgrade(driver.entry())),
        })
    }
}

/// The core timers of the package's timers, indexed by the package's ids.
#[derive(Default)]
pub struct JsTimers {
    slots: RefCell<Vec<Option<TimerHandle>>>,
}

impl JsTimers {
    /// Keeps `timer` under `id` (a free id: the package reuses only ids
    /// that fired or were cancelled).
    pub fn insert(&self, id: u32, timer: TimerHandle) {
        let mut slots = self.slots.borrow_mut();
        let i = id as usize;
        if slots.len() <= i {
            slots.resize_with(i + 1, || None);
        }
        slots[i] = Some(timer);
    }

    /// Timer `id` fired: its slot is free.
    pub fn fired(&self, id: u32) {
        if let Some(slot) = self.slots.borrow_mut().get_mut(id as usize) {
            *slot = None;
        }
    }

    /// Cancels timer `id` in the core; whether it was still pending.
    pub fn cancel(&self, id: u32) -> bool {
        let timer = self.slots.borrow_mut().get_mut(id as usize).and_then(Option::take);
        match timer {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }

    /// The loop closed: its timers are gone.
    pub fn clear(&self) {
        self.slots.borrow_mut().clear();
    }
}

/// The core handle that stands for every `callSoon` of the package: it is
/// queued once per call and runs the head of the package's FIFO each time.
fn soon_handle(entry: Weak<JsEntry>) -> evloop::Handle {
    evloop::Handle::repeating(
        move || {
            if let Some(e) = entry.upgrade() {
                e.run_soon();
            }
        },
        Cow::Borrowed(JS_LABEL),
    )
}

/// The three entry points as plain JS functions over a weak reference to
/// the loop's [`Ready`] (`raw_call.rs`), made once per loop.
pub fn fast_calls(env: sys::napi_env, ready: &Rc<Ready>) -> Option<sys::napi_value> {
    let obj = js_callback::object(env);
    let entries: [(&CStr, raw_call::RawCallback); 3] = [
        (c"enqueueSoon", enqueue_soon),
        (c"scheduleTimer", schedule_timer),
        (c"cancelTimer", cancel_timer),
    ];
    for (name, f) in entries {
        let func = raw_call::function(env, name, f, Rc::downgrade(ready))?;
        // SAFETY: env live during the calling method; name is NUL-terminated.
        unsafe { sys::napi_set_named_property(env, obj, name.as_ptr(), func) };
    }
    Some(obj)
}

/// `enqueueSoon()`: one more `callSoon` callback of the package: queues the
/// core handle that runs the head of the package's FIFO.
unsafe extern "C" fn enqueue_soon(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    raw_call::guarded(env, || {
        // SAFETY: called by V8 as the function made in `fast_calls`.
        let (ready, []) = unsafe { raw_call::call_args::<Weak<Ready>, 0>(env, info) };
        let Some(ready) = ready.upgrade() else { return null_mut() };
        let Some(core) = ready.driver.upgrade() else { return null_mut() };
        match core.event_loop().call_soon_again(&ready.soon) {
            Ok(()) => {
                core.wake();
                null_mut()
            }
            Err(e) => raw_call::throw(env, &e),
        }
    })
}

/// `scheduleTimer(id, at, relative)`: the package's timer `id` at loop time
/// `at`, or after `at` seconds; returns the loop time it is due.
unsafe extern "C" fn schedule_timer(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    raw_call::guarded(env, || {
        // SAFETY: called by V8 as the function made in `fast_calls`.
        let (ready, [id, at, relative]) = unsafe { raw_call::call_args::<Weak<Ready>, 3>(env, info) };
        let Some(ready) = ready.upgrade() else { return null_mut() };
        let Some(core) = ready.driver.upgrade() else { return null_mut() };
        let id = raw_call::number_arg(env, id) as u32;
        let at = raw_call::number_arg(env, at);
        let weak = Rc::downgrade(&ready);
        let run = move || {
            if let Some(r) = weak.upgrade() {
                // Its slot is free from now on.
                r.timers.fired(id);
                if let Some(e) = r.entry.upgrade() {
                    e.run_timer(id);
                }
            }
        };
        let lp = core.event_loop();
        let label = Cow::Borrowed(JS_LABEL);
        let timer = if raw_call::bool_arg(env, relative) {
            lp.call_later_labelled(at, label, run)
        } else {
            lp.call_at_labelled(at, label, run)
        };
        match timer {
            Ok(timer) => {
                let when = timer.when();
                ready.timers.insert(id, timer);
                core.wake();
                js_callback::number(env, when)
            }
            Err(e) => raw_call::throw(env, &e),
        }
    })
}

/// `cancelTimer(id)`: cancels the package's timer `id`; whether it was pending.
unsafe extern "C" fn cancel_timer(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    raw_call::guarded(env, || {
        // SAFETY: called by V8 as the function made in `fast_calls`.
        let (ready, [id]) = unsafe { raw_call::call_args::<Weak<Ready>, 1>(env, info) };
        let Some(ready) = ready.upgrade() else { return null_mut() };
        let cancelled = ready.timers.cancel(raw_call::number_arg(env, id) as u32);
        if let Some(core) = ready.driver.upgrade().filter(|_| cancelled) {
            core.wake();
        }
        raw_call::boolean(env, cancelled)
    })
}
