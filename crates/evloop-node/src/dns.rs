//! `loop.getaddrinfo` and `loop.getnameinfo`: the core's lookups (run on
//! the loop's default executor) as creation-call-style tasks whose result
//! reaches the package's completion callback.

use evloop::{AddrInfo, AddrInfoHints};
use napi::bindgen_prelude::Unknown;
use napi::sys;
use napi_derive::napi;

use crate::convert;
use crate::ctx::{Ctx, JsCall};
use crate::errors::ErrCode;
use crate::js_callback;
use crate::js_loop::JsEventLoop;

/// getaddrinfo's hints, normalized by the package (numbers, 0 = any).
#[napi(object)]
pub struct NetAddrInfoOptions {
    pub family: Option<i32>,
    pub socktype: Option<i32>,
    pub proto: Option<i32>,
    pub flags: Option<i32>,
}

/// `[family, type, proto, canonname, sockaddr]` per entry.
fn infos_value(ctx: &Ctx, infos: Vec<AddrInfo>) -> evloop::Result<sys::napi_value> {
    let env = ctx.raw();
    let rows: Vec<sys::napi_value> = infos
        .iter()
        .map(|ai| {
            convert::array(
                env,
                &[
                    js_callback::number(env, f64::from(ai.family)),
                    js_callback::number(env, f64::from(ai.socktype)),
                    js_callback::number(env, f64::from(ai.proto)),
                    js_callback::string(env, &ai.canonname),
                    convert::address_value(env, &ai.addr),
                ],
            )
        })
        .collect();
    Ok(convert::array(env, &rows))
}

/// `loop.getaddrinfo(host, port, opts)`; `done(ok, entries)`. `port` is a
/// service: digits or a name (the package turns a number into digits).
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, host: string | null | undefined, port: string | null | undefined, opts: NetAddrInfoOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_getaddrinfo(
    lp: &JsEventLoop,
    host: Option<String>,
    port: Option<String>,
    opts: NetAddrInfoOptions,
    done: Unknown,
) -> napi::Result<JsCall, ErrCode> {
    const CALL: &str = "getaddrinfo";
    let ctx = Ctx::of_caller(lp);
    let done = convert::function_arg(&ctx.env, done, CALL, "done")?;
    let hints = AddrInfoHints {
        family: opts.family.unwrap_or(0),
        socktype: opts.socktype.unwrap_or(0),
        proto: opts.proto.unwrap_or(0),
        flags: opts.flags.unwrap_or(0),
    };
    let fut = ctx.lp.getaddrinfo(host, port, hints);
    ctx.spawn(fut, done, infos_value).map_err(convert::throw)
}

/// `loop.getnameinfo([host, port], flags)`; `done(ok, [host, service])`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, host: string, port: number, flags: number, done: (ok: boolean, value: any) => void"
)]
pub fn net_getnameinfo(lp: &JsEventLoop, host: String, port: u32, flags: i32, done: Unknown) -> napi::Result<JsCall, ErrCode> {
    const CALL: &str = "getnameinfo";
    let ctx = Ctx::of_caller(lp);
    let done = convert::function_arg(&ctx.env, done, CALL, "done")?;
    let port = crate::server::port_arg(Some(port), CALL)?.unwrap_or(0);
    let fut = ctx.lp.getnameinfo(host, port, flags);
    ctx.spawn(fut, done, |ctx, (host, service): (String, String)| {
        let env = ctx.raw();
        Ok(convert::array(env, &[js_callback::string(env, &host), js_callback::string(env, &service)]))
    })
    .map_err(convert::throw)
}
