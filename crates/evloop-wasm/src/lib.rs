//! wasm-bindgen bindings for evloop: the virtual-time loop for browsers and Node.
//!
//! Bindings forward and convert; the scheduling lives in the core crate.
use wasm_bindgen::prelude::*;

mod callback;
mod handle;
mod sim_loop;

pub use handle::{SimHandle, SimTimerHandle};
pub use sim_loop::SimLoop;

/// The version of the evloop core this module was built from.
#[wasm_bindgen(js_name = coreVersion)]
pub fn core_version() -> String {
    evloop::version().to_string()
}
