//! `getaddrinfo` and `getnameinfo` on a simulated host: the core resolves
//! the simulation's host names after a drawn virtual delay.

use evloop::{AddrInfo, AddrInfoHints};
use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::convert::{self, opt_i32, throw};
use crate::ctx::{Ctx, NativeCall};
use crate::host_loop::HostLoop;

fn infos_value(_ctx: &Ctx, infos: Vec<AddrInfo>) -> evloop::Result<JsValue> {
    let rows: Vec<JsValue> = infos
        .iter()
        .map(|ai| {
            convert::array(&[
                JsValue::from_f64(f64::from(ai.family)),
                JsValue::from_f64(f64::from(ai.socktype)),
                JsValue::from_f64(f64::from(ai.proto)),
                JsValue::from_str(&ai.canonname),
                convert::address_value(&ai.addr),
            ])
        })
        .collect();
    Ok(convert::array(&rows))
}

#[wasm_bindgen(js_class = NativeHostLoop)]
impl HostLoop {
    /// `loop.getaddrinfo(host, port, opts)`; `done(ok, entries)`. `opts`:
    /// `{ family, socktype, proto, flags }` (normalized by the package).
    #[wasm_bindgen(js_name = getaddrinfo)]
    pub fn getaddrinfo(&self, host: Option<String>, port: Option<String>, opts: JsValue, done: Function) -> Result<NativeCall, JsValue> {
        let ctx = self.ctx();
        let hints = AddrInfoHints {
            family: opt_i32(&opts, "family").unwrap_or(0),
            socktype: opt_i32(&opts, "socktype").unwrap_or(0),
            proto: opt_i32(&opts, "proto").unwrap_or(0),
            flags: opt_i32(&opts, "flags").unwrap_or(0),
        };
        let fut = ctx.lp().getaddrinfo(host, port, hints);
        ctx.spawn(fut, done, infos_value).map_err(throw)
    }

    /// `loop.getnameinfo([host, port], flags)`; `done(ok, [host, service])`.
    #[wasm_bindgen(js_name = getnameinfo)]
    pub fn getnameinfo(&self, host: String, port: u16, flags: i32, done: Function) -> Result<NativeCall, JsValue> {
        let ctx = self.ctx();
        let fut = ctx.lp().getnameinfo(host, port, flags);
        ctx.spawn(fut, done, |_ctx, (host, service): (String, String)| {
            Ok(convert::array(&[JsValue::from_str(&host), JsValue::from_str(&service)]))
        })
        .map_err(throw)
    }
}
