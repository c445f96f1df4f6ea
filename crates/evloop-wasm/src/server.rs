//! `createServer`, `createConnection` (and their Unix forms, which a
//! simulation refuses as the core does) and the native side of the
//! package's `Server`. Each creation call runs the core's coroutine as a
//! task on the host's loop and hands the result to `done(ok, value)`.

use std::rc::Rc;

use evloop::{ConnectionOptions, Error, Family, Host, Protocol, ProtocolFactory, Server, ServerOptions, Transport, UnixServerOptions};
use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::convert::{self, opt_bool, opt_i32, opt_string, throw, type_error};
use crate::ctx::{Ctx, NativeCall};
use crate::protocol::JsProtocol;
use crate::socket::JsTransportSocket;
use crate::thrown;

/// Calls a JS protocol factory and wraps what it returns.
fn call_factory(ctx: &Ctx, factory: &Function) -> evloop::Result<Rc<JsProtocol>> {
    let obj = ctx.call(factory, &JsValue::UNDEFINED, &[]).map_err(thrown::wrap)?;
    JsProtocol::new(ctx, obj, None).map_err(|e| match e {
        Error::Type(m) => Error::Type(format!("protocolFactory() returned no protocol: {m}")),
        other => other,
    })
}

/// A server's factory: the core drops it (and the JS function) once the
/// server is closed.
fn server_factory(ctx: &Ctx, factory: Function) -> ProtocolFactory {
    let ctx = ctx.clone();
    Rc::new(move || call_factory(&ctx, &factory).map(|p| p as Rc<dyn Protocol>))
}

/// A connection's factory.
fn connection_factory(ctx: &Ctx, factory: Function) -> impl FnOnce() -> evloop::Result<Rc<JsProtocol>> + 'static {
    let ctx = ctx.clone();
    move || call_factory(&ctx, &factory)
}

/// `null`/`undefined` (all interfaces), a string, or an array of strings.
pub(crate) fn host_arg(host: &JsValue) -> Result<Option<Host>, JsValue> {
    if host.is_null() || host.is_undefined() {
        return Ok(None);
    }
    if let Some(s) = host.as_string() {
        return Ok(Some(Host::Name(s)));
    }
    let Some(items) = host.dyn_ref::<js_sys::Array>() else {
        return Err(type_error("host must be a string, an array of strings or null"));
    };
    let names = items
        .iter()
        .map(|v| v.as_string().ok_or_else(|| type_error("host must be a string or an array of strings")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Host::Names(names)))
}

fn family_arg(opts: &JsValue, call: &str) -> Result<Family, JsValue> {
    let af = opt_i32(opts, "family").unwrap_or(0);
    Family::from_raw(af).ok_or_else(|| {
        throw(Error::Value(format!("{call}(): family must be AF_UNSPEC, AF_INET or AF_INET6, got {af}")))
    })
}

pub(crate) fn server_options(opts: &JsValue, call: &str) -> Result<ServerOptions, JsValue> {
    let d = ServerOptions::default();
    Ok(ServerOptions {
        family: family_arg(opts, call)?,
        flags: opt_i32(opts, "flags").unwrap_or(d.flags),
        sock: opt_i32(opts, "sock"),
        backlog: opt_i32(opts, "backlog").unwrap_or(d.backlog),
        reuse_address: opt_bool(opts, "reuseAddress"),
        reuse_port: opt_bool(opts, "reusePort"),
        keep_alive: opt_bool(opts, "keepAlive"),
        start_serving: opt_bool(opts, "startServing").unwrap_or(d.start_serving),
        tls: crate::tls::tls_options(opts, call)?,
    })
}

pub(crate) fn unix_server_options(opts: &JsValue) -> Result<UnixServerOptions, JsValue> {
    let d = UnixServerOptions::default();
    Ok(UnixServerOptions {
        sock: opt_i32(opts, "sock"),
        backlog: opt_i32(opts, "backlog").unwrap_or(d.backlog),
        start_serving: opt_bool(opts, "startServing").unwrap_or(d.start_serving),
        cleanup_socket: opt_bool(opts, "cleanupSocket").unwrap_or(d.cleanup_socket),
        tls: crate::tls::tls_options(opts, "createUnixServer")?,
    })
}

pub(crate) fn connection_options(opts: &JsValue, call: &str) -> Result<ConnectionOptions, JsValue> {
    let local_addr = opt_string(opts, "localHost")
        .map(|h| (h, opt_i32(opts, "localPort").unwrap_or(0).clamp(0, 65535) as u16));
    Ok(ConnectionOptions {
        family: family_arg(opts, call)?,
        flags: opt_i32(opts, "flags").unwrap_or(0),
        sock: opt_i32(opts, "sock"),
        local_addr,
        proto: opt_i32(opts, "proto").unwrap_or(0),
        happy_eyeballs_delay: crate::convert::opt_f64(opts, "happyEyeballsDelay"),
        interleave: opt_i32(opts, "interleave").map(|n| n.max(0) as usize),
        all_errors: opt_bool(opts, "allErrors").unwrap_or(false),
        tls: crate::tls::tls_options(opts, call)?,
    })
}

pub(crate) fn server_value(ctx: &Ctx, server: Server) -> evloop::Result<JsValue> {
    Ok(JsServer::new(ctx, server).into())
}

fn connection_value(_ctx: &Ctx, (transport, protocol): (Transport, Rc<JsProtocol>)) -> evloop::Result<JsValue> {
    let wrapper = protocol.transport_wrapper(&transport);
    Ok(convert::array(&[wrapper, protocol.object()]))
}

impl crate::host_loop::HostLoop {
    pub(crate) fn net_create_server(&self, factory: Function, host: &JsValue, port: Option<u16>, opts: &JsValue, done: Function) -> Result<NativeCall, JsValue> {
        let ctx = self.ctx();
        let host = host_arg(host)?;
        let options = server_options(opts, "createServer")?;
        let fut = ctx.lp().create_server_with(server_factory(ctx, factory), host, port, options);
        ctx.spawn(fut, done, server_value).map_err(throw)
    }

    pub(crate) fn net_create_unix_server(&self, factory: Function, path: Option<String>, opts: &JsValue, done: Function) -> Result<NativeCall, JsValue> {
        let ctx = self.ctx();
        let fut = ctx.lp().create_unix_server_with(server_factory(ctx, factory), path, unix_server_options(opts)?);
        ctx.spawn(fut, done, server_value).map_err(throw)
    }

    pub(crate) fn net_create_connection(&self, factory: Function, host: Option<String>, port: Option<u16>, opts: &JsValue, done: Function) -> Result<NativeCall, JsValue> {
        let ctx = self.ctx();
        let options = connection_options(opts, "createConnection")?;
        let fut = ctx.lp().create_connection_with(connection_factory(ctx, factory), host, port, options);
        ctx.spawn(fut, done, connection_value).map_err(throw)
    }

    pub(crate) fn net_create_unix_connection(&self, factory: Function, path: Option<String>, opts: &JsValue, done: Function) -> Result<NativeCall, JsValue> {
        let ctx = self.ctx();
        let fut = ctx.lp().create_unix_connection_with(connection_factory(ctx, factory), path, opt_i32(opts, "sock"));
        ctx.spawn(fut, done, connection_value).map_err(throw)
    }
}

/// A listening server (the package's `Server` wraps it).
#[wasm_bindgen(js_name = NativeServer)]
pub struct JsServer {
    s: Server,
    ctx: Ctx,
}

impl JsServer {
    pub(crate) fn new(ctx: &Ctx, s: Server) -> JsServer {
        JsServer { s, ctx: ctx.clone() }
    }

    /// `done(ok)` once `fut` is done.
    fn complete(&self, fut: &evloop::Future<()>, done: Function) {
        self.ctx.on_done(fut, done, |_, ()| Ok(JsValue::UNDEFINED));
    }
}

#[wasm_bindgen(js_class = NativeServer)]
impl JsServer {
    pub fn close(&self) {
        self.s.close();
    }

    #[wasm_bindgen(js_name = closeClients)]
    pub fn close_clients(&self) {
        self.s.close_clients();
    }

    #[wasm_bindgen(js_name = abortClients)]
    pub fn abort_clients(&self) {
        self.s.abort_clients();
    }

    #[wasm_bindgen(js_name = isServing)]
    pub fn is_serving(&self) -> bool {
        self.s.is_serving()
    }

    /// Accepted connections not yet detached (an extension: asyncio keeps
    /// this count private).
    #[wasm_bindgen(js_name = clientCount)]
    pub fn client_count(&self) -> f64 {
        self.s.client_count() as f64
    }

    /// New views of the listening sockets; empty once closed.
    pub fn sockets(&self) -> js_sys::Array {
        self.s.sockets().into_iter().map(|s| JsValue::from(JsTransportSocket::new(s))).collect()
    }

    #[wasm_bindgen(js_name = startServing)]
    pub fn start_serving(&self, done: Function) -> Result<(), JsValue> {
        let fut = self.s.start_serving().map_err(throw)?;
        self.complete(&fut, done);
        Ok(())
    }

    /// Serves until cancelled or closed: `done(false, CancelledError)` once
    /// the server closed and `waitClosed()` completed.
    #[wasm_bindgen(js_name = serveForever)]
    pub fn serve_forever(&self, done: Function) -> Result<JsServeForever, JsValue> {
        let fut = self.s.serve_forever().map_err(throw)?;
        self.complete(&fut, done);
        Ok(JsServeForever { fut })
    }

    #[wasm_bindgen(js_name = waitClosed)]
    pub fn wait_closed(&self, done: Function) {
        let fut = self.s.wait_closed();
        self.complete(&fut, done);
    }

    /// asyncio's repr: `<Server sockets=(...)>`.
    pub fn describe(&self) -> String {
        format!("{:?}", self.s)
    }
}

/// A running `serveForever()`, to cancel it.
#[wasm_bindgen(js_name = NativeServeForever)]
pub struct JsServeForever {
    fut: evloop::Future<()>,
}

#[wasm_bindgen(js_class = NativeServeForever)]
impl JsServeForever {
    pub fn cancel(&self) -> bool {
        self.fut.cancel(None)
    }
}
