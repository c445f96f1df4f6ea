//! evloop for Node: the core's event loop as a napi-rs class, driven from
//! Node's own libuv loop (see `driver.rs`).
//!
//! The package `evloop` wraps these exports in `packages/evloop/src`, which
//! maps error codes to the Python-named error classes. `docs/node.md` says
//! how the pieces fit.

// napi-derive registers the exports only outside `cfg(test)`, so in the
// test build every export and what only exports use look unused.
#![cfg_attr(test, allow(dead_code))]

mod convert;
mod ctx;
mod datagram;
mod dns;
mod driver;
mod enter;
mod errors;
mod js_callback;
mod js_log;
mod js_loop;
mod js_ready;
mod js_remote;
mod js_write;
mod malloc_stats;
mod process;
mod protocol;
mod raw_call;
mod raw_socket;
mod read_pool;
mod server;
mod sock_calls;
mod socket;
mod start_tls;
mod streams;
mod thrown;
mod tls;
mod tls_info;
mod transport;
mod transport_methods;
mod uv;
mod watcher;

use napi_derive::napi;

/// The version of the evloop core this addon was built from.
#[napi(catch_unwind)]
pub fn core_version() -> String {
    evloop::version().to_string()
}
