//! `loop.startTls(transport, protocol, sslcontext, opts)` on a simulated
//! host: the core's `start_tls`, for the package's transports.

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::convert::{opt_i32, throw, type_error};
use crate::ctx::NativeCall;
use crate::protocol::JsProtocol;
use crate::transport::JsTransport;

impl crate::host_loop::HostLoop {
    /// `done(ok, transport)`: the new TLS transport's package wrapper.
    pub(crate) fn net_start_tls(&self, transport: &JsTransport, protocol: JsValue, opts: &JsValue, done: Function) -> Result<NativeCall, JsValue> {
        const CALL: &str = "startTls";
        if !protocol.is_object() {
            return Err(type_error(&format!("{CALL}(): protocol must be an object")));
        }
        let id = opt_i32(opts, "sslContext").ok_or_else(|| type_error(&format!("{CALL}(): ssl must be an SSLContext")))?;
        let ssl = crate::tls::context(id, CALL)?;
        let ctx = self.ctx();
        let p = JsProtocol::new(ctx, protocol, None).map_err(throw)?;
        let fut = ctx.lp().start_tls(transport.core(), p.clone(), &ssl, crate::tls::start_tls_options(opts));
        let fut = async move { fut.await.map(|t| (t, p)) };
        ctx.spawn(fut, done, |_ctx, (t, p)| Ok(p.transport_wrapper(&t))).map_err(throw)
    }
}
