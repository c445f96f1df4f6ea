//! `SimLoop`: the core's virtual-time loop, exported to JavaScript.
use std::rc::Rc;

use evloop::EventLoop;
use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::callback::{console_exception_handler, label, wrap};
use crate::handle::{SimHandle, SimTimerHandle};

/// An event loop on a virtual clock with no I/O: `time()` jumps to the next timer instead
/// of waiting, so `callLater(3600, cb)` runs at once in real time.
#[wasm_bindgen]
pub struct SimLoop {
    /// The core loop; every method forwards to it.
    inner: EventLoop,
}

fn js_error(error: evloop::Error) -> JsError {
    JsError::new(&error.to_string())
}

#[wasm_bindgen]
impl SimLoop {
    /// A new loop on its own virtual clock, with a handler that reports callback
    /// exceptions on the JS console.
    #[wasm_bindgen(constructor)]
    pub fn new() -> SimLoop {
        let inner = EventLoop::virtual_time();
        inner.set_exception_handler(Some(Rc::new(console_exception_handler)));
        SimLoop { inner }
    }

    /// The loop's virtual time in seconds.
    pub fn time(&self) -> f64 {
        self.inner.time()
    }

    /// Runs `cb` on the next iteration, after the callbacks already queued (FIFO).
    ///
    /// # Errors
    /// When the loop is closed.
    #[wasm_bindgen(js_name = callSoon)]
    pub fn call_soon(&self, cb: Function) -> Result<SimHandle, JsError> {
        self.inner
            .call_soon_labelled(label(&cb), wrap(cb))
            .map(SimHandle)
            .map_err(js_error)
    }

    /// Runs `cb` once `delay` virtual seconds have passed.
    ///
    /// # Errors
    /// When `delay` is NaN or the loop is closed.
    #[wasm_bindgen(js_name = callLater)]
    pub fn call_later(&self, delay: f64, cb: Function) -> Result<SimTimerHandle, JsError> {
        self.inner
            .call_later_labelled(delay, label(&cb), wrap(cb))
            .map(SimTimerHandle)
            .map_err(js_error)
    }

    /// Runs `cb` at virtual time `when` (seconds, same clock as `time()`).
    ///
    /// # Errors
    /// When `when` is NaN or the loop is closed.
    #[wasm_bindgen(js_name = callAt)]
    pub fn call_at(&self, when: f64, cb: Function) -> Result<SimTimerHandle, JsError> {
        self.inner
            .call_at_labelled(when, label(&cb), wrap(cb))
            .map(SimTimerHandle)
            .map_err(js_error)
    }

    /// Makes `runForever` return after the current iteration.
    pub fn stop(&self) {
        self.inner.stop();
    }

    /// Runs until `stop()` is called.
    ///
    /// # Errors
    /// When the loop is closed or already running.
    #[wasm_bindgen(js_name = runForever)]
    pub fn run_forever(&self) -> Result<(), JsError> {
        self.inner.run_forever().map_err(js_error)
    }

    /// Closes the loop; pending callbacks are dropped.
    ///
    /// # Errors
    /// When the loop is running.
    pub fn close(&self) -> Result<(), JsError> {
        self.inner.close().map_err(js_error)
    }

    /// True while `runForever` runs.
    #[wasm_bindgen(js_name = isRunning)]
    pub fn is_running(&self) -> bool {
        self.inner.is_running()
    }

    /// True once `close()` has succeeded.
    #[wasm_bindgen(js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

impl Default for SimLoop {
    fn default() -> Self {
        Self::new()
    }
}
