//! Handle mirrors: what callSoon / callLater return, for cancelling a callback.
use wasm_bindgen::prelude::*;

/// A scheduled callback (`asyncio.Handle`).
#[wasm_bindgen(js_name = Handle)]
pub struct SimHandle(pub(crate) evloop::Handle);

#[wasm_bindgen(js_class = Handle)]
impl SimHandle {
    /// Cancels the callback; a no-op if it already ran.
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// True once `cancel()` was called.
    pub fn cancelled(&self) -> bool {
        self.0.cancelled()
    }
}

/// A scheduled timer (`asyncio.TimerHandle`).
#[wasm_bindgen(js_name = TimerHandle)]
pub struct SimTimerHandle(pub(crate) evloop::TimerHandle);

#[wasm_bindgen(js_class = TimerHandle)]
impl SimTimerHandle {
    /// Cancels the timer; a no-op if it already ran.
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// True once `cancel()` was called.
    pub fn cancelled(&self) -> bool {
        self.0.cancelled()
    }

    /// The loop time at which the timer is due, in seconds.
    pub fn when(&self) -> f64 {
        self.0.when()
    }
}
