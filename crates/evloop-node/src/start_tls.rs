//! `loop.startTls(transport, protocol, sslcontext, opts)` and
//! `writer.startTls(sslcontext, opts)`: the core's `start_tls`, for the
//! package's transports and stream writers.

use napi::bindgen_prelude::Unknown;
use napi::JsValue;
use napi_derive::napi;

use crate::convert;
use crate::ctx::Ctx;
use crate::errors::{self, ErrCode};
use crate::js_loop::JsEventLoop;
use crate::protocol::JsProtocol;
use crate::transport::JsTransport;

/// Options of `startTls`, normalized by the package.
#[napi(object)]
pub struct NetStartTlsOptions {
    /// The id of a `NativeSslContext`.
    pub ssl_context: u32,
    pub server_side: Option<bool>,
    pub server_hostname: Option<String>,
    pub ssl_handshake_timeout: Option<f64>,
    pub ssl_shutdown_timeout: Option<f64>,
}

pub(crate) fn start_tls_options(opts: &NetStartTlsOptions) -> evloop::tls::StartTlsOptions {
    evloop::tls::StartTlsOptions {
        server_side: opts.server_side.unwrap_or(false),
        server_hostname: opts.server_hostname.clone(),
        ssl_handshake_timeout: opts.ssl_handshake_timeout,
        ssl_shutdown_timeout: opts.ssl_shutdown_timeout,
    }
}

/// `loop.startTls(transport, protocol, sslcontext, opts)`; `done(ok, transport)`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, transport: NativeTransport, protocol: object, opts: NetStartTlsOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_start_tls(
    lp: &JsEventLoop,
    transport: &JsTransport,
    protocol: Unknown,
    opts: NetStartTlsOptions,
    done: Unknown,
) -> napi::Result<crate::ctx::JsCall, ErrCode> {
    const CALL: &str = "startTls";
    let ctx = Ctx::of(lp);
    let env = ctx.raw();
    if !convert::is_object(env, protocol.raw()) {
        return Err(errors::type_error(format!("{CALL}(): protocol must be an object, got {}", convert::type_name(env, protocol.raw()))));
    }
    let done = convert::function_arg(&ctx.env, done, CALL, "done")?;
    let ssl = crate::tls::context(opts.ssl_context, CALL)?;
    let p = JsProtocol::new(&ctx, protocol.raw(), None).map_err(convert::throw)?;
    let fut = ctx.lp.start_tls(&transport.t, p.clone(), &ssl, start_tls_options(&opts));
    let fut = async move { fut.await.map(|t| (t, p)) };
    ctx.spawn(fut, done, |_ctx: &Ctx, (t, p)| Ok(p.transport_wrapper(&t))).map_err(convert::throw)
}
