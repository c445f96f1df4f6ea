//! wasm-bindgen bindings for evloop: the deterministic simulation
//! (`evloop::sim`) and the single virtual-time loop `SimLoop`, for browsers
//! and Node.
//!
//! Bindings forward and convert; the scheduling lives in the core crate,
//! the JS API (argument checks, the driver, futures) in
//! `packages/evloop/sim/`. No exported path unwraps: a JS exception in a
//! callback is caught and reported, and core errors become the package's
//! error classes (`setHooks`).
use wasm_bindgen::prelude::*;

mod callback;
mod convert;
mod ctx;
mod datagram;
mod dns;
mod handle;
mod heap;
mod host_loop;
mod live;
mod log_hook;
mod protocol;
mod server;
mod sim_loop;
mod sim_power;
mod simulation;
mod socket;
mod start_tls;
mod streams;
mod thrown;
mod tls;
mod tls_info;
mod transport;
mod transport_methods;

pub use handle::{SimHandle, SimTimerHandle};
pub use sim_loop::SimLoop;

/// The version of the evloop core this module was built from.
#[wasm_bindgen(js_name = coreVersion)]
pub fn core_version() -> String {
    evloop::version().to_string()
}
