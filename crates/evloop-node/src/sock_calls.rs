//! The loop's `sock*` methods, `sendfile` and `connectAcceptedSocket`
//! (API.md v2 "Sockets"): each converts its arguments and runs the core's
//! call as a task whose outcome reaches `done(ok, value)`. The package
//! checks types and ranges first (core/net/sock-args.ts); a socket is
//! passed as its fd, which the package's `Socket` keeps open meanwhile.

use evloop::EndpointAddr;
use napi::bindgen_prelude::Unknown;
use napi::JsValue;
use napi_derive::napi;

use crate::convert;
use crate::ctx::{Ctx, JsCall};
use crate::errors::{self, ErrCode};
use crate::js_callback;
use crate::js_loop::JsEventLoop;
use crate::raw_socket::JsSocket;
use crate::server::{connection_factory, connection_value, NetConnectionOptions};
use crate::transport::JsTransport;


fn addr(host: Option<String>, port: Option<u32>, path: Option<String>, call: &str) -> napi::Result<EndpointAddr, ErrCode> {
    match (host, path) {
        (Some(h), _) => Ok(EndpointAddr::Host(h, crate::server::port_arg(port, call)?.unwrap_or(0))),
        (None, Some(p)) => Ok(EndpointAddr::Path(p)),
        (None, None) => Err(errors::type_error(format!("{call}(): address must be [host, port] or a path"))),
    }
}

fn size(n: f64) -> usize {
    n.max(0.0) as usize
}

fn done_arg(ctx: &Ctx, done: Unknown, call: &str) -> napi::Result<crate::js_callback::JsRef, ErrCode> {
    convert::function_arg(&ctx.env, done, call, "done")
}

/// `loop.sockAccept(sock)`; `done(ok, [NativeSocket, address])`.
#[napi(catch_unwind, ts_args_type = "lp: NativeEventLoop, fd: number, done: (ok: boolean, value: any) => void")]
pub fn net_sock_accept(lp: &JsEventLoop, fd: i32, done: Unknown) -> napi::Result<JsCall, ErrCode> {
    let ctx = Ctx::of(lp);
    let done = done_arg(&ctx, done, "sockAccept")?;
    let l = ctx.lp.clone();
    let fut = async move { l.sock_accept(fd).await };
    ctx.spawn(fut, done, |ctx, (sock, a)| {
        let env = ctx.raw();
        let s = JsSocket::value(env, JsSocket::adopt(sock));
        let a = a.map_or_else(|| convert::null(env), |a| convert::address_value(env, &a));
        Ok(convert::array(env, &[s, a]))
    })
    .map_err(convert::throw)
}

/// `loop.sockConnect(sock, address)`; `done(ok, null)`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, fd: number, host: string | null | undefined, port: number | null | undefined, path: string | null | undefined, done: (ok: boolean, value: any) => void"
)]
pub fn net_sock_connect(lp: &JsEventLoop, fd: i32, host: Option<String>, port: Option<u32>, path: Option<String>, done: Unknown) -> napi::Result<JsCall, ErrCode> {
    let ctx = Ctx::of(lp);
    let done = done_arg(&ctx, done, "sockConnect")?;
    let a = addr(host, port, path, "sockConnect")?;
    let l = ctx.lp.clone();
    ctx.spawn(async move { l.sock_connect(fd, a).await }, done, |ctx, ()| Ok(convert::null(ctx.raw())))
        .map_err(convert::throw)
}

/// `loop.sockRecv(sock, n)` (and the package's `sockRecvInto`, which
/// copies into its buffer); `done(ok, Buffer)`.
#[napi(catch_unwind, ts_args_type = "lp: NativeEventLoop, fd: number, n: number, done: (ok: boolean, value: any) => void")]
pub fn net_sock_recv(lp: &JsEventLoop, fd: i32, n: f64, done: Unknown) -> napi::Result<JsCall, ErrCode> {
    let ctx = Ctx::of(lp);
    let done = done_arg(&ctx, done, "sockRecv")?;
    let l = ctx.lp.clone();
    let n = size(n);
    ctx.spawn(async move { l.sock_recv(fd, n).await }, done, |ctx, data| Ok(js_callback::buffer_copy(ctx.raw(), &data)))
        .map_err(convert::throw)
}

/// `loop.sockRecvfrom(sock, n)`; `done(ok, [Buffer, address])`.
#[napi(catch_unwind, ts_args_type = "lp: NativeEventLoop, fd: number, n: number, done: (ok: boolean, value: any) => void")]
pub fn net_sock_recvfrom(lp: &JsEventLoop, fd: i32, n: f64, done: Unknown) -> napi::Result<JsCall, ErrCode> {
    let ctx = Ctx::of(lp);
    let done = done_arg(&ctx, done, "sockRecvfrom")?;
    let l = ctx.lp.clone();
    let n = size(n);
    ctx.spawn(async move { l.sock_recvfrom(fd, n).await }, done, |ctx, (data, a)| {
        let env = ctx.raw();
        let a = a.map_or_else(|| convert::null(env), |a| convert::address_value(env, &a));
        Ok(convert::array(env, &[js_callback::buffer_copy(env, &data), a]))
    })
    .map_err(convert::throw)
}

/// `loop.sockSendall(sock, data)` (copied now); `done(ok, null)`.
#[napi(catch_unwind, ts_args_type = "lp: NativeEventLoop, fd: number, data: Uint8Array, done: (ok: boolean, value: any) => void")]
pub fn net_sock_sendall(lp: &JsEventLoop, fd: i32, data: Unknown, done: Unknown) -> napi::Result<JsCall, ErrCode> {
    let ctx = Ctx::of(lp);
    let done = done_arg(&ctx, done, "sockSendall")?;
    let bytes = convert::data_arg(ctx.raw(), data.raw())?.to_vec();
    let l = ctx.lp.clone();
    ctx.spawn(async move { l.sock_sendall(fd, &bytes).await }, done, |ctx, ()| Ok(convert::null(ctx.raw())))
        .map_err(convert::throw)
}

/// `loop.sockSendto(sock, data, address)`; `done(ok, bytesSent)`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, fd: number, data: Uint8Array, host: string | null | undefined, port: number | null | undefined, path: string | null | undefined, done: (ok: boolean, value: any) => void"
)]
pub fn net_sock_sendto(
    lp: &JsEventLoop,
    fd: i32,
    data: Unknown,
    host: Option<String>,
    port: Option<u32>,
    path: Option<String>,
    done: Unknown,
) -> napi::Result<JsCall, ErrCode> {
    let ctx = Ctx::of(lp);
    let done = done_arg(&ctx, done, "sockSendto")?;
    let bytes = convert::data_arg(ctx.raw(), data.raw())?.to_vec();
    let a = addr(host, port, path, "sockSendto")?;
    let l = ctx.lp.clone();
    ctx.spawn(async move { l.sock_sendto(fd, &bytes, a).await }, done, |ctx, n| {
        Ok(js_callback::number(ctx.raw(), n as f64))
    })
    .map_err(convert::throw)
}

/// `loop.sockSendfile(sock, file, offset, count, { fallback })`; `done(ok, bytesSent)`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, fd: number, file: number, offset: number, count: number | null | undefined, fallback: boolean, done: (ok: boolean, value: any) => void"
)]
pub fn net_sock_sendfile(lp: &JsEventLoop, fd: i32, file: i32, offset: f64, count: Option<f64>, fallback: bool, done: Unknown) -> napi::Result<JsCall, ErrCode> {
    let ctx = Ctx::of(lp);
    let done = done_arg(&ctx, done, "sockSendfile")?;
    let l = ctx.lp.clone();
    let count = count.map(|c| c as u64);
    let fut = async move { l.sock_sendfile(fd, file, offset as u64, count, fallback).await };
    ctx.spawn(fut, done, |ctx, n| Ok(js_callback::number(ctx.raw(), n as f64))).map_err(convert::throw)
}

/// `loop.sendfile(transport, file, offset, count, { fallback })`; `done(ok, bytesSent)`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, transport: NativeTransport, file: number, offset: number, count: number | null | undefined, fallback: boolean, done: (ok: boolean, value: any) => void"
)]
pub fn net_sendfile(
    lp: &JsEventLoop,
    transport: &JsTransport,
    file: i32,
    offset: f64,
    count: Option<f64>,
    fallback: bool,
    done: Unknown,
) -> napi::Result<JsCall, ErrCode> {
    let ctx = Ctx::of(lp);
    let done = done_arg(&ctx, done, "sendfile")?;
    let l = ctx.lp.clone();
    let t = transport.t.clone();
    let count = count.map(|c| c as u64);
    let fut = async move { l.sendfile(&t, file, offset as u64, count, fallback).await };
    ctx.spawn(fut, done, |ctx, n| Ok(js_callback::number(ctx.raw(), n as f64))).map_err(convert::throw)
}

/// `loop.connectAcceptedSocket(protocolFactory, sock, opts)`; the
/// transport owns the fd from then on (a refused one stays open);
/// `done(ok, [transport, protocol])`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, factory: () => object, fd: number, opts: NetConnectionOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_connect_accepted_socket(lp: &JsEventLoop, factory: Unknown, fd: i32, opts: NetConnectionOptions, done: Unknown) -> napi::Result<JsCall, ErrCode> {
    const CALL: &str = "connectAcceptedSocket";
    let ctx = Ctx::of_caller(lp);
    let factory = convert::function_arg(&ctx.env, factory, CALL, "protocolFactory")?;
    let done = done_arg(&ctx, done, CALL)?;
    let tls = crate::tls::tls_options(opts.ssl_context, None, opts.ssl_handshake_timeout, opts.ssl_shutdown_timeout, CALL)?;
    let options = evloop::AcceptedSocketOptions { tls };
    let fut = ctx.lp.connect_accepted_socket_with(connection_factory(&ctx, factory), fd, options);
    ctx.spawn(fut, done, connection_value).map_err(convert::throw)
}
