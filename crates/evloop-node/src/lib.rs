//! evloop for Node: the core's event loop as a napi-rs class, driven from
//! Node's own libuv loop (see `driver.rs`).
//!
//! The package `evloop` wraps these exports in `packages/evloop/src`, which
//! maps error codes to the Python-named error classes.

mod driver;
mod errors;
mod js_callback;
mod js_loop;
mod uv;

use napi_derive::napi;

/// The version of the evloop core this addon was built from.
#[napi]
pub fn core_version() -> String {
    evloop::version().to_string()
}
