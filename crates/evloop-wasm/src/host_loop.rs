//! `NativeHostLoop`: one life of one simulated host's event loop, as the
//! package's host object uses it. The package checks arguments and wraps
//! callbacks (its trampolines report their own exceptions); this layer
//! forwards to the core loop, which the simulation drives.

use std::borrow::Cow;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::convert::throw;
use crate::ctx::{self, Ctx};
use crate::handle::{SimHandle, SimTimerHandle};

/// One life of a simulated host's loop (a restart makes a new one).
#[wasm_bindgen(js_name = NativeHostLoop)]
pub struct HostLoop {
    ctx: Ctx,
}

impl HostLoop {
    pub(crate) fn new(ctx: Ctx) -> HostLoop {
        HostLoop { ctx }
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
    pub fn create_server(&self, factory: Function, host: JsValue, port: Option<u16>, opts: JsValue, done: Function) -> Result<(), JsValue> {
        self.net_create_server(factory, &host, port, &opts, done)
    }

    #[wasm_bindgen(js_name = createUnixServer)]
    pub fn create_unix_server(&self, factory: Function, path: Option<String>, opts: JsValue, done: Function) -> Result<(), JsValue> {
        self.net_create_unix_server(factory, path, &opts, done)
    }

    #[wasm_bindgen(js_name = createConnection)]
    pub fn create_connection(&self, factory: Function, host: Option<String>, port: Option<u16>, opts: JsValue, done: Function) -> Result<(), JsValue> {
        self.net_create_connection(factory, host, port, &opts, done)
    }

    #[wasm_bindgen(js_name = createUnixConnection)]
    pub fn create_unix_connection(&self, factory: Function, path: Option<String>, opts: JsValue, done: Function) -> Result<(), JsValue> {
        self.net_create_unix_connection(factory, path, &opts, done)
    }

    #[wasm_bindgen(js_name = openConnection)]
    pub fn open_connection(&self, host: Option<String>, port: Option<u16>, opts: JsValue, done: Function) -> Result<(), JsValue> {
        self.net_open_connection(host, port, &opts, done)
    }

    #[wasm_bindgen(js_name = startServer)]
    pub fn start_server(&self, cb: Function, host: JsValue, port: Option<u16>, opts: JsValue, done: Function) -> Result<(), JsValue> {
        self.net_start_server(cb, &host, port, &opts, done)
    }
}
