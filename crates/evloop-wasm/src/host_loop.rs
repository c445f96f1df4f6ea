//! `NativeHostLoop`: one life of one simulated host's event loop, as the
//! package's host object uses it. The package checks arguments and wraps
//! callbacks (its trampolines report their own exceptions); this layer
//! forwards to the core loop, which the simulation drives.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::convert::throw;
use crate::ctx::{self, Ctx, NativeCall};
use crate::handle::{SimHandle, SimTimerHandle};

/// One life of a simulated host's loop (a restart makes a new one).
#[wasm_bindgen(js_name = NativeHostLoop)]
pub struct HostLoop {
    ctx: Ctx,
    /// The callbacks scheduled by number (`scheduleSoon`, `scheduleAt`), for `cancelScheduled`.
    slots: Rc<Slots>,
}

/// The numbered callbacks of one life: the package numbers its handles and
/// gets the number back in one dispatch function, so that scheduling a
/// callback crosses the boundary with numbers only (no JS function, no
/// handle object per callback).
#[derive(Default)]
struct Slots {
    handles: RefCell<Vec<Option<Scheduled>>>,
    dispatch: RefCell<Option<Function>>,
}

enum Scheduled {
    Soon(evloop::Handle),
    Timer(evloop::TimerHandle),
}

impl Slots {
    fn put(&self, id: u32, h: Scheduled) {
        let mut v = self.handles.borrow_mut();
        let i = id as usize;
        if v.len() <= i {
            v.resize_with(i + 1, || None);
        }
        v[i] = Some(h);
    }

    fn take(&self, id: u32) -> Option<Scheduled> {
        self.handles.borrow_mut().get_mut(id as usize).and_then(Option::take)
    }
}

thread_local! {
    /// Callback labels by number: the few names a program's callbacks have, kept once.
    static LABELS: RefCell<(HashMap<&'static str, u32>, Vec<&'static str>)> = RefCell::new((HashMap::new(), Vec::new()));
}

/// At most this many distinct labels are kept (the rest cross as strings).
const MAX_LABELS: usize = 4096;

/// The number of `label` for the numbered calls, or -1 when too many labels are kept already.
#[wasm_bindgen(js_name = internLabel)]
pub fn intern_label(label: &str) -> i32 {
    LABELS.with(|l| {
        let mut l = l.borrow_mut();
        if let Some(&n) = l.0.get(label) {
            return n as i32;
        }
        if l.1.len() >= MAX_LABELS {
            return -1;
        }
        // Kept for the process: bounded by MAX_LABELS, and names repeat across simulations.
        let s: &'static str = Box::leak(label.to_owned().into_boxed_str());
        let n = l.1.len() as u32;
        l.1.push(s);
        l.0.insert(s, n);
        n as i32
    })
}

fn label_of(n: u32) -> Cow<'static, str> {
    LABELS.with(|l| Cow::Borrowed(l.borrow().1.get(n as usize).copied().unwrap_or("<unknown>")))
}

impl HostLoop {
    pub(crate) fn new(ctx: Ctx) -> HostLoop {
        HostLoop { ctx, slots: Rc::new(Slots::default()) }
    }

    /// The core callback of numbered callback `id`: `dispatch(id)`.
    fn numbered(&self, id: u32) -> impl FnOnce() + 'static {
        let ctx = self.ctx.clone();
        // Weak: the slots hold the handle, which holds this callback.
        let slots: Weak<Slots> = Rc::downgrade(&self.slots);
        move || {
            let Some(slots) = slots.upgrade() else { return };
            slots.take(id);
            let Some(f) = slots.dispatch.borrow().clone() else { return };
            if let Err(exc) = ctx.call(&f, &JsValue::UNDEFINED, &[JsValue::from(id)]) {
                ctx.report("Exception in callback", exc, Vec::new());
            }
        }
    }

    pub(crate) fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// The core callback that runs the JS function `run` (a trampoline of
    /// the package, which reports its own exceptions; whatever escapes is
    /// reported here).
    fn callback(&self, run: Function) -> impl FnOnce() + 'static {
        let ctx = self.ctx.clone();
        move || {
            if let Err(exc) = ctx.call(&run, &JsValue::UNDEFINED, &[]) {
                ctx.report("Exception in callback", exc, Vec::new());
            }
        }
    }
}

#[wasm_bindgen(js_class = NativeHostLoop)]
impl HostLoop {
    /// The simulation's virtual time.
    pub fn time(&self) -> f64 {
        self.ctx.lp().time()
    }

    /// `callSoon`: `run` is the package's trampoline, `label` names the
    /// callback in the trace.
    #[wasm_bindgen(js_name = callSoon)]
    pub fn call_soon(&self, label: String, run: Function) -> Result<SimHandle, JsValue> {
        let cb = self.callback(run);
        self.ctx.lp().call_soon_labelled(Cow::Owned(label), cb).map(SimHandle).map_err(throw)
    }

    #[wasm_bindgen(js_name = callLater)]
    pub fn call_later(&self, delay: f64, label: String, run: Function) -> Result<SimTimerHandle, JsValue> {
        let cb = self.callback(run);
        self.ctx.lp().call_later_labelled(delay, Cow::Owned(label), cb).map(SimTimerHandle).map_err(throw)
    }

    #[wasm_bindgen(js_name = callAt)]
    pub fn call_at(&self, when: f64, label: String, run: Function) -> Result<SimTimerHandle, JsValue> {
        let cb = self.callback(run);
        self.ctx.lp().call_at_labelled(when, Cow::Owned(label), cb).map(SimTimerHandle).map_err(throw)
    }

    /// Sets the function numbered callbacks call with their number (`undefined`: none, the life ends).
    #[wasm_bindgen(js_name = setDispatch)]
    pub fn set_dispatch(&self, dispatch: Option<Function>) {
        *self.slots.dispatch.borrow_mut() = dispatch;
        if self.slots.dispatch.borrow().is_none() {
            self.slots.handles.borrow_mut().clear();
        }
    }

    /// `callSoon` by number: label number `label` (internLabel), callback number `id` (the package's).
    #[wasm_bindgen(js_name = scheduleSoon)]
    pub fn schedule_soon(&self, label: u32, id: u32) -> Result<(), JsValue> {
        let h = self.ctx.lp().call_soon_labelled(label_of(label), self.numbered(id)).map_err(throw)?;
        self.slots.put(id, Scheduled::Soon(h));
        Ok(())
    }

    /// `callAt` (`relative`: `callLater`) by number; returns when the timer is due.
    #[wasm_bindgen(js_name = scheduleAt)]
    pub fn schedule_at(&self, at: f64, relative: bool, label: u32, id: u32) -> Result<f64, JsValue> {
        let cb = self.numbered(id);
        let lp = self.ctx.lp();
        let h = if relative { lp.call_later_labelled(at, label_of(label), cb) } else { lp.call_at_labelled(at, label_of(label), cb) }
            .map_err(throw)?;
        let when = h.when();
        self.slots.put(id, Scheduled::Timer(h));
        Ok(when)
    }

    /// Cancels numbered callback `id`; a no-op if it ran or was cancelled.
    #[wasm_bindgen(js_name = cancelScheduled)]
    pub fn cancel_scheduled(&self, id: u32) {
        match self.slots.take(id) {
            Some(Scheduled::Soon(h)) => h.cancel(),
            Some(Scheduled::Timer(h)) => h.cancel(),
            None => {}
        }
    }

    /// Starts (`deliver`) or stops (`undefined`) passing signal `sig` to
    /// the package: the simulation's `signal` faults queue a callback,
    /// labelled `signal <name>` in the trace, that calls `deliver()`.
    #[wasm_bindgen(js_name = watchSignal)]
    pub fn watch_signal(&self, sig: i32, name: &str, deliver: Option<Function>) -> Result<(), JsValue> {
        let lp = self.ctx.lp();
        let Some(deliver) = deliver else {
            return lp.remove_signal_handler(sig).map(drop).map_err(throw);
        };
        let ctx = self.ctx.clone();
        let run = move || {
            if let Err(exc) = ctx.call(&deliver, &JsValue::UNDEFINED, &[]) {
                ctx.report("Exception in callback", exc, Vec::new());
            }
        };
        lp.add_signal_handler_labelled(sig, Cow::Owned(format!("signal {name}")), Box::new(run)).map_err(throw)
    }

    pub fn stop(&self) {
        self.ctx.lp().stop();
    }

    pub fn close(&self) -> Result<(), JsValue> {
        self.ctx.lp().close().map_err(throw)
    }

    #[wasm_bindgen(js_name = isRunning)]
    pub fn is_running(&self) -> bool {
        self.ctx.lp().is_running()
    }

    #[wasm_bindgen(js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.ctx.lp().is_closed()
    }

    /// Ends the running iteration after the current callback; the
    /// simulation's step then throws `exc` (SystemExit, KeyboardInterrupt).
    #[wasm_bindgen(js_name = raiseFatal)]
    pub fn raise_fatal(&self, exc: JsValue) {
        self.ctx.lp().raise_fatal(ctx::fatal(exc));
    }

    /// Sends the core's exception contexts to `report(context)`.
    #[wasm_bindgen(js_name = setReporter)]
    pub fn set_reporter(&self, report: Function) {
        ctx::install_reporter(&self.ctx, report);
    }

    /// Forgets the reporter (breaks the reference cycle through JS).
    #[wasm_bindgen(js_name = clearReporter)]
    pub fn clear_reporter(&self) {
        self.ctx.lp().set_exception_handler(None);
    }

    /// Ready callbacks, timers and tasks (`pending` in the package's repr).
    #[wasm_bindgen(js_name = taskCount)]
    pub fn task_count(&self) -> f64 {
        self.ctx.lp().task_count() as f64
    }

    #[wasm_bindgen(js_name = createServer)]
    pub fn create_server(&self, factory: Function, host: JsValue, port: Option<u16>, opts: JsValue, done: Function) -> Result<NativeCall, JsValue> {
        self.net_create_server(factory, &host, port, &opts, done)
    }

    #[wasm_bindgen(js_name = createUnixServer)]
    pub fn create_unix_server(&self, factory: Function, path: Option<String>, opts: JsValue, done: Function) -> Result<NativeCall, JsValue> {
        self.net_create_unix_server(factory, path, &opts, done)
    }

    #[wasm_bindgen(js_name = createConnection)]
    pub fn create_connection(&self, factory: Function, host: Option<String>, port: Option<u16>, opts: JsValue, done: Function) -> Result<NativeCall, JsValue> {
        self.net_create_connection(factory, host, port, &opts, done)
    }

    #[wasm_bindgen(js_name = createUnixConnection)]
    pub fn create_unix_connection(&self, factory: Function, path: Option<String>, opts: JsValue, done: Function) -> Result<NativeCall, JsValue> {
        self.net_create_unix_connection(factory, path, &opts, done)
    }

    #[wasm_bindgen(js_name = createDatagramEndpoint)]
    pub fn create_datagram_endpoint(&self, factory: Function, opts: JsValue, done: Function) -> Result<NativeCall, JsValue> {
        self.net_create_datagram_endpoint(factory, &opts, done)
    }

    #[wasm_bindgen(js_name = openConnection)]
    pub fn open_connection(&self, host: Option<String>, port: Option<u16>, opts: JsValue, done: Function) -> Result<NativeCall, JsValue> {
        self.net_open_connection(host, port, &opts, done)
    }

    /// `loop.startTls`: `done(ok, transport)`.
    #[wasm_bindgen(js_name = startTls)]
    pub fn start_tls(&self, transport: &crate::transport::JsTransport, protocol: JsValue, opts: JsValue, done: Function) -> Result<NativeCall, JsValue> {
        self.net_start_tls(transport, protocol, &opts, done)
    }

    #[wasm_bindgen(js_name = startServer)]
    pub fn start_server(&self, cb: Function, host: JsValue, port: Option<u16>, opts: JsValue, done: Function) -> Result<NativeCall, JsValue> {
        self.net_start_server(cb, &host, port, &opts, done)
    }
}
