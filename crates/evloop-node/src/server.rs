//! `createServer`, `createUnixServer`, `createConnection`,
//! `createUnixConnection` and the native side of the package's `Server`.
//!
//! Each creation call runs the core's coroutine as a task on the loop (so
//! a call made before the loop runs proceeds once it runs) and hands the
//! result to the package's completion callback. The package checks and
//! normalizes the arguments; this layer checks them again where a bad
//! value could reach the core.

use std::ptr::null_mut;
use std::rc::Rc;

use evloop::{
    ConnectionOptions, Error, Family, Host, Protocol, ProtocolFactory, Server, ServerOptions, Transport,
    UnixServerOptions,
};
use napi::bindgen_prelude::{ToNapiValue, Unknown};
use napi::{sys, JsValue};
use napi_derive::napi;

use crate::errors::{self, ErrCode};
use crate::js_callback::{self, HandleScope, JsRef};
use crate::js_loop::JsEventLoop;
use crate::convert;
use crate::ctx::{Ctx, JsCall};
use crate::protocol::JsProtocol;
use crate::socket::JsTransportSocket;
use crate::thrown;

/// Options of `createServer`/`createUnixServer` (and the stream servers),
/// normalized by the package.
#[napi(object)]
pub struct NetServerOptions {
    pub family: Option<i32>,
    pub flags: Option<i32>,
    pub sock: Option<i32>,
    pub backlog: Option<i32>,
    pub reuse_address: Option<bool>,
    pub reuse_port: Option<bool>,
    pub keep_alive: Option<bool>,
    pub start_serving: Option<bool>,
    pub cleanup_socket: Option<bool>,
    /// Stream servers: the readers' buffer limit.
    pub limit: Option<f64>,
    /// `ssl`: the id of a `NativeSslContext`.
    pub ssl_context: Option<u32>,
    pub ssl_handshake_timeout: Option<f64>,
    pub ssl_shutdown_timeout: Option<f64>,
}

/// Options of `createConnection`/`createUnixConnection` (and the stream
/// connections), normalized by the package.
#[napi(object)]
pub struct NetConnectionOptions {
    pub family: Option<i32>,
    pub flags: Option<i32>,
    pub sock: Option<i32>,
    /// `localAddr[0]`: a host (a name resolves) to bind before connecting.
    pub local_host: Option<String>,
    /// `localAddr[1]`.
    pub local_port: Option<u32>,
    pub proto: Option<i32>,
    /// Seconds (non-negative, checked by the package).
    pub happy_eyeballs_delay: Option<f64>,
    pub interleave: Option<u32>,
    pub all_errors: Option<bool>,
    /// Stream connections: the reader's buffer limit.
    pub limit: Option<f64>,
    /// `ssl`: the id of a `NativeSslContext`.
    pub ssl_context: Option<u32>,
    /// `ssl: true`: a default client context.
    pub ssl_default: Option<bool>,
    pub server_hostname: Option<String>,
    pub ssl_handshake_timeout: Option<f64>,
    pub ssl_shutdown_timeout: Option<f64>,
}

/// Calls a JS protocol factory and wraps what it returns. Needs no scope.
fn call_factory(ctx: &Ctx, factory: &JsRef) -> evloop::Result<Rc<JsProtocol>> {
    if !ctx.can_call() {
        return Err(Error::Runtime("the event loop is gone".into()));
    }
    let env = ctx.raw();
    let _scope = HandleScope::open(env);
    let obj = ctx.call(null_mut(), factory.get(), &[]).map_err(|exc| thrown::wrap(&ctx.env, exc))?;
    JsProtocol::new(ctx, obj, None).map_err(|e| match e {
        Error::Type(m) => Error::Type(format!("protocolFactory() returned no protocol: {m}")),
        other => other,
    })
}

/// A server's factory: the core drops it (and the JS function) once the
/// server is closed.
fn server_factory(ctx: &Ctx, factory: JsRef) -> ProtocolFactory {
    let ctx = ctx.clone();
    Rc::new(move || call_factory(&ctx, &factory).map(|p| p as Rc<dyn Protocol>))
}

/// A connection's factory.
pub(crate) fn connection_factory(ctx: &Ctx, factory: JsRef) -> impl FnOnce() -> evloop::Result<Rc<JsProtocol>> + 'static {
    let ctx = ctx.clone();
    move || call_factory(&ctx, &factory)
}

/// `null`/`undefined` (all interfaces), a string, or an array of strings.
pub(crate) fn host_arg(env: sys::napi_env, host: Unknown, call: &str) -> napi::Result<Option<Host>, ErrCode> {
    let raw = host.raw();
    match js_callback::type_of(env, raw) {
        sys::ValueType::napi_undefined | sys::ValueType::napi_null => Ok(None),
        sys::ValueType::napi_string => Ok(Some(Host::Name(js_callback::coerce_to_string(env, raw)))),
        _ => {
            let items = convert::array_arg(env, raw, call, "host")?;
            let mut names = Vec::with_capacity(items.len());
            for v in items {
                if js_callback::type_of(env, v) != sys::ValueType::napi_string {
                    return Err(errors::type_error(format!(
                        "{call}(): host must be a string or an array of strings, got an element of type {}",
                        convert::type_name(env, v)
                    )));
                }
                names.push(js_callback::coerce_to_string(env, v));
            }
            Ok(Some(Host::Names(names)))
        }
    }
}

pub(crate) fn port_arg(port: Option<u32>, call: &str) -> napi::Result<Option<u16>, ErrCode> {
    match port {
        None => Ok(None),
        Some(p) if p <= 65535 => Ok(Some(p as u16)),
        Some(p) => Err(errors::range_error(format!("{call}(): port must be 0-65535, got {p}"))),
    }
}

fn family_arg(family: Option<i32>, call: &str) -> napi::Result<Family, ErrCode> {
    let af = family.unwrap_or(libc::AF_UNSPEC);
    Family::from_raw(af).ok_or_else(|| {
        errors::value_error(format!("{call}(): family must be AF_UNSPEC, AF_INET or AF_INET6, got {af}"))
    })
}

pub(crate) fn server_options(opts: &NetServerOptions, call: &str) -> napi::Result<ServerOptions, ErrCode> {
    let d = ServerOptions::default();
    Ok(ServerOptions {
        family: family_arg(opts.family, call)?,
        flags: opts.flags.unwrap_or(d.flags),
        sock: opts.sock,
        backlog: opts.backlog.unwrap_or(d.backlog),
        reuse_address: opts.reuse_address,
        reuse_port: opts.reuse_port,
        keep_alive: opts.keep_alive,
        start_serving: opts.start_serving.unwrap_or(d.start_serving),
        tls: server_tls(opts, call)?,
    })
}

fn server_tls(opts: &NetServerOptions, call: &str) -> napi::Result<evloop::tls::TlsOptions, ErrCode> {
    crate::tls::tls_options(opts.ssl_context, None, opts.ssl_handshake_timeout, opts.ssl_shutdown_timeout, call)
}

pub(crate) fn connection_tls(opts: &NetConnectionOptions, call: &str) -> napi::Result<evloop::tls::TlsOptions, ErrCode> {
    if opts.ssl_default == Some(true) && opts.ssl_context.is_none() {
        return Ok(evloop::tls::TlsOptions {
            ssl: Some(evloop::tls::SslContext::create_default_context()),
            server_hostname: opts.server_hostname.clone(),
            ssl_handshake_timeout: opts.ssl_handshake_timeout,
            ssl_shutdown_timeout: opts.ssl_shutdown_timeout,
        });
    }
    crate::tls::tls_options(
        opts.ssl_context,
        opts.server_hostname.clone(),
        opts.ssl_handshake_timeout,
        opts.ssl_shutdown_timeout,
        call,
    )
}

pub(crate) fn unix_server_options(opts: &NetServerOptions, call: &str) -> napi::Result<UnixServerOptions, ErrCode> {
    let d = UnixServerOptions::default();
    Ok(UnixServerOptions {
        sock: opts.sock,
        backlog: opts.backlog.unwrap_or(d.backlog),
        start_serving: opts.start_serving.unwrap_or(d.start_serving),
        cleanup_socket: opts.cleanup_socket.unwrap_or(d.cleanup_socket),
        tls: server_tls(opts, call)?,
    })
}

pub(crate) fn connection_options(opts: &NetConnectionOptions, call: &str) -> napi::Result<ConnectionOptions, ErrCode> {
    let local_addr = match &opts.local_host {
        None => None,
        Some(h) => Some((h.clone(), port_arg(opts.local_port, call)?.unwrap_or(0))),
    };
    if let Some(d) = opts.happy_eyeballs_delay {
        if !d.is_finite() || d < 0.0 {
            return Err(errors::value_error(format!("{call}(): happyEyeballsDelay must be a non-negative number, got {d}")));
        }
    }
    Ok(ConnectionOptions {
        family: family_arg(opts.family, call)?,
        flags: opts.flags.unwrap_or(0),
        sock: opts.sock,
        local_addr,
        proto: opts.proto.unwrap_or(0),
        happy_eyeballs_delay: opts.happy_eyeballs_delay,
        interleave: opts.interleave.map(|n| n as usize),
        all_errors: opts.all_errors.unwrap_or(false),
        tls: connection_tls(opts, call)?,
    })
}

/// `loop.createServer(protocolFactory, host, port, opts)`; `done(ok, server)`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, factory: () => object, host: string | string[] | null | undefined, port: number | null | undefined, opts: NetServerOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_create_server(
    lp: &JsEventLoop,
    factory: Unknown,
    host: Unknown,
    port: Option<u32>,
    opts: NetServerOptions,
    done: Unknown,
) -> napi::Result<JsCall, ErrCode> {
    const CALL: &str = "createServer";
    let ctx = Ctx::of_caller(lp);
    let env = ctx.raw();
    let factory = convert::function_arg(&ctx.env, factory, CALL, "protocolFactory")?;
    let done = convert::function_arg(&ctx.env, done, CALL, "done")?;
    let host = host_arg(env, host, CALL)?;
    let port = port_arg(port, CALL)?;
    let options = server_options(&opts, CALL)?;
    let fut = ctx.lp.create_server_with(server_factory(&ctx, factory), host, port, options);
    ctx.spawn(fut, done, server_value).map_err(convert::throw)
}

/// `loop.createUnixServer(protocolFactory, path, opts)`; `done(ok, server)`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, factory: () => object, path: string | null | undefined, opts: NetServerOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_create_unix_server(
    lp: &JsEventLoop,
    factory: Unknown,
    path: Option<String>,
    opts: NetServerOptions,
    done: Unknown,
) -> napi::Result<JsCall, ErrCode> {
    const CALL: &str = "createUnixServer";
    let ctx = Ctx::of_caller(lp);
    let factory = convert::function_arg(&ctx.env, factory, CALL, "protocolFactory")?;
    let done = convert::function_arg(&ctx.env, done, CALL, "done")?;
    let fut = ctx.lp.create_unix_server_with(server_factory(&ctx, factory), path, unix_server_options(&opts, CALL)?);
    ctx.spawn(fut, done, server_value).map_err(convert::throw)
}

pub(crate) fn server_value(ctx: &Ctx, server: Server) -> evloop::Result<sys::napi_value> {
    Ok(JsServer::value(ctx, server))
}

pub(crate) fn connection_value(ctx: &Ctx, (transport, protocol): (Transport, Rc<JsProtocol>)) -> evloop::Result<sys::napi_value> {
    let env = ctx.raw();
    let wrapper = protocol.transport_wrapper(&transport);
    Ok(convert::array(env, &[wrapper, protocol.object()]))
}

/// `loop.createConnection(protocolFactory, host, port, opts)`;
/// `done(ok, [transport, protocol])`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, factory: () => object, host: string | null | undefined, port: number | null | undefined, opts: NetConnectionOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_create_connection(
    lp: &JsEventLoop,
    factory: Unknown,
    host: Option<String>,
    port: Option<u32>,
    opts: NetConnectionOptions,
    done: Unknown,
) -> napi::Result<JsCall, ErrCode> {
    const CALL: &str = "createConnection";
    let ctx = Ctx::of_caller(lp);
    let factory = convert::function_arg(&ctx.env, factory, CALL, "protocolFactory")?;
    let done = convert::function_arg(&ctx.env, done, CALL, "done")?;
    let port = port_arg(port, CALL)?;
    let options = connection_options(&opts, CALL)?;
    let fut = ctx.lp.create_connection_with(connection_factory(&ctx, factory), host, port, options);
    ctx.spawn(fut, done, connection_value).map_err(convert::throw)
}

/// `loop.createUnixConnection(protocolFactory, path, opts)`;
/// `done(ok, [transport, protocol])`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, factory: () => object, path: string | null | undefined, opts: NetConnectionOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_create_unix_connection(
    lp: &JsEventLoop,
    factory: Unknown,
    path: Option<String>,
    opts: NetConnectionOptions,
    done: Unknown,
) -> napi::Result<JsCall, ErrCode> {
    const CALL: &str = "createUnixConnection";
    let ctx = Ctx::of_caller(lp);
    let factory = convert::function_arg(&ctx.env, factory, CALL, "protocolFactory")?;
    let done = convert::function_arg(&ctx.env, done, CALL, "done")?;
    let options = evloop::UnixConnectionOptions { sock: opts.sock, tls: connection_tls(&opts, CALL)? };
    let fut = ctx.lp.create_unix_connection_opts(connection_factory(&ctx, factory), path, options);
    ctx.spawn(fut, done, connection_value).map_err(convert::throw)
}

/// A listening server (the package's `Server` wraps it).
#[napi(js_name = "NativeServer")]
pub struct JsServer {
    s: Server,
    ctx: Ctx,
}

impl JsServer {
    /// A new JS object for `s` (needs an open handle scope).
    pub(crate) fn value(ctx: &Ctx, s: Server) -> sys::napi_value {
        let env = ctx.raw();
        let server = JsServer { s, ctx: ctx.clone() };
        // SAFETY: env live on this thread inside a scope.
        unsafe { JsServer::to_napi_value(env, server) }.unwrap_or_else(|_| convert::null(env))
    }

    /// `done(ok)` once `fut` is done.
    fn complete(&self, fut: &evloop::Future<()>, done: JsRef) {
        self.ctx.on_done(fut, done, |ctx, ()| Ok(js_callback::undefined(ctx.raw())));
    }
}

#[napi]
impl JsServer {
    /// Stops listening now; accepted connections stay open. Idempotent.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        self.s.close();
        self.ctx.wake();
    }

    #[napi(catch_unwind)]
    pub fn close_clients(&self) {
        self.s.close_clients();
        self.ctx.wake();
    }

    #[napi(catch_unwind)]
    pub fn abort_clients(&self) {
        self.s.abort_clients();
        self.ctx.wake();
    }

    #[napi(catch_unwind)]
    pub fn is_serving(&self) -> bool {
        self.s.is_serving()
    }

    /// Accepted connections whose `connectionLost` has not run yet (the core's bookkeeping).
    #[napi(catch_unwind)]
    pub fn client_count(&self) -> f64 {
        self.s.client_count() as f64
    }

    /// New views of the listening sockets; empty once closed.
    #[napi(catch_unwind)]
    pub fn sockets(&self) -> Vec<JsTransportSocket> {
        self.s.sockets().into_iter().map(JsTransportSocket::new).collect()
    }

    /// Listens now; `done(ok)` one iteration later.
    #[napi(catch_unwind, ts_args_type = "done: (ok: boolean, value: any) => void")]
    pub fn start_serving(&self, done: Unknown) -> napi::Result<(), ErrCode> {
        let done = convert::function_arg(&self.ctx.env, done, "startServing", "done")?;
        let fut = self.s.start_serving().map_err(convert::throw)?;
        self.complete(&fut, done);
        Ok(())
    }

    /// Serves until cancelled or closed: `done(false, CancelledError)` after
    /// the server closed and `waitClosed()` completed. The returned object
    /// cancels it.
    #[napi(catch_unwind, ts_args_type = "done: (ok: boolean, value: any) => void")]
    pub fn serve_forever(&self, done: Unknown) -> napi::Result<JsServeForever, ErrCode> {
        let done = convert::function_arg(&self.ctx.env, done, "serveForever", "done")?;
        let fut = self.s.serve_forever().map_err(convert::throw)?;
        self.complete(&fut, done);
        Ok(JsServeForever { fut, ctx: self.ctx.clone() })
    }

    /// `done(ok)` once closed and the last connection's `connectionLost` ran.
    #[napi(catch_unwind, ts_args_type = "done: (ok: boolean, value: any) => void")]
    pub fn wait_closed(&self, done: Unknown) -> napi::Result<(), ErrCode> {
        let done = convert::function_arg(&self.ctx.env, done, "waitClosed", "done")?;
        let fut = self.s.wait_closed();
        self.complete(&fut, done);
        Ok(())
    }

    /// asyncio's repr: `<Server sockets=(...)>`.
    #[napi(catch_unwind)]
    pub fn describe(&self) -> String {
        format!("{:?}", self.s)
    }
}

/// A running `serveForever()`, to cancel it.
#[napi(js_name = "NativeServeForever")]
pub struct JsServeForever {
    fut: evloop::Future<()>,
    ctx: Ctx,
}

#[napi]
impl JsServeForever {
    /// Starts the shutdown (close, then `waitClosed()`); the promise then
    /// rejects with CancelledError. `false` if it was already done.
    #[napi(catch_unwind)]
    pub fn cancel(&self) -> bool {
        let cancelled = self.fut.cancel(None);
        self.ctx.wake();
        cancelled
    }
}
