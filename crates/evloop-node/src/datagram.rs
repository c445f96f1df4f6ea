//! `createDatagramEndpoint` and the native side of the package's
//! `DatagramTransport`. The package wraps the user's protocol in an
//! adapter (core/net/datagram.ts) whose `connectionMade` receives the
//! native transport and wraps it, so the addon needs no hook for it.

use std::ptr::null_mut;
use std::rc::Rc;

use evloop::{Address, DatagramOptions, DatagramProtocol, DatagramTransport, EndpointAddr, Error, Result};
use napi::bindgen_prelude::{ToNapiValue, Unknown};
use napi::{sys, JsValue};
use napi_derive::napi;

use crate::convert;
use crate::ctx::{self, Ctx};
use crate::errors::{self, ErrCode};
use crate::js_callback::{self, HandleScope, JsRef};
use crate::js_loop::JsEventLoop;
use crate::thrown;

/// Options of `createDatagramEndpoint`, normalized by the package: an
/// address is `[host, port]` (`*Host`, `*Port`) or a Unix path (`*Path`).
#[napi(object)]
pub struct NetDatagramOptions {
    pub local_host: Option<String>,
    pub local_port: Option<u32>,
    pub local_path: Option<String>,
    pub remote_host: Option<String>,
    pub remote_port: Option<u32>,
    pub remote_path: Option<String>,
    pub family: Option<i32>,
    pub proto: Option<i32>,
    pub flags: Option<i32>,
    pub reuse_port: Option<bool>,
    pub allow_broadcast: Option<bool>,
    pub sock: Option<i32>,
}

fn endpoint_addr(host: &Option<String>, port: Option<u32>, path: &Option<String>, call: &str, what: &str)
    -> napi::Result<Option<EndpointAddr>, ErrCode> {
    match (host, path) {
        (Some(h), _) => {
            let port = crate::server::port_arg(port, call)?.unwrap_or(0);
            Ok(Some(EndpointAddr::Host(h.clone(), port)))
        }
        (None, Some(p)) => Ok(Some(EndpointAddr::Path(p.clone()))),
        (None, None) if port.is_some() => Err(errors::type_error(format!("{call}(): {what} needs a host"))),
        (None, None) => Ok(None),
    }
}

fn datagram_options(o: &NetDatagramOptions, call: &str) -> napi::Result<DatagramOptions, ErrCode> {
    Ok(DatagramOptions {
        local_addr: endpoint_addr(&o.local_host, o.local_port, &o.local_path, call, "localAddr")?,
        remote_addr: endpoint_addr(&o.remote_host, o.remote_port, &o.remote_path, call, "remoteAddr")?,
        family: o.family.unwrap_or(0),
        proto: o.proto.unwrap_or(0),
        flags: o.flags.unwrap_or(0),
        reuse_port: o.reuse_port.unwrap_or(false),
        allow_broadcast: o.allow_broadcast.unwrap_or(false),
        sock: o.sock,
    })
}

/// `loop.createDatagramEndpoint(protocolFactory, opts)`;
/// `done(ok, [nativeTransport, protocol])`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, factory: () => object, opts: NetDatagramOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_create_datagram_endpoint(
    lp: &JsEventLoop,
    factory: Unknown,
    opts: NetDatagramOptions,
    done: Unknown,
) -> napi::Result<crate::ctx::JsCall, ErrCode> {
    const CALL: &str = "createDatagramEndpoint";
    let ctx = Ctx::of(lp);
    let factory = convert::function_arg(&ctx.env, factory, CALL, "protocolFactory")?;
    let done = convert::function_arg(&ctx.env, done, CALL, "done")?;
    let options = datagram_options(&opts, CALL)?;
    let ctx2 = ctx.clone();
    let fut = ctx.lp.create_datagram_endpoint_with(move || call_factory(&ctx2, &factory), options);
    ctx.spawn(fut, done, endpoint_value).map_err(convert::throw)
}

fn call_factory(ctx: &Ctx, factory: &JsRef) -> Result<Rc<JsDatagramProtocol>> {
    if !ctx.can_call() {
        return Err(Error::Runtime("the event loop is gone".into()));
    }
    let env = ctx.raw();
    let _scope = HandleScope::open(env);
    let obj = ctx.call(null_mut(), factory.get(), &[]).map_err(|exc| thrown::wrap(&ctx.env, exc))?;
    if !convert::is_object(env, obj) {
        return Err(Error::Type(format!(
            "protocolFactory() returned no protocol: a protocol must be an object, got {}",
            convert::type_name(env, obj)
        )));
    }
    let obj = JsRef::new(&ctx.env, obj).ok_or_else(|| Error::Runtime("cannot reference the protocol".into()))?;
    Ok(Rc::new(JsDatagramProtocol { ctx: ctx.clone(), obj, native: std::cell::RefCell::new(None) }))
}

fn endpoint_value(ctx: &Ctx, (t, p): (DatagramTransport, Rc<JsDatagramProtocol>)) -> Result<sys::napi_value> {
    let env = ctx.raw();
    Ok(convert::array(env, &[p.native_transport(&t), p.obj.get()]))
}

/// The package's protocol adapter as the core's `DatagramProtocol`.
pub struct JsDatagramProtocol {
    ctx: Ctx,
    obj: JsRef,
    /// The native transport object handed to `connectionMade`.
    native: std::cell::RefCell<Option<JsRef>>,
}

impl JsDatagramProtocol {
    /// The native transport object for `t`, made on first use (needs an
    /// open handle scope).
    fn native_transport(&self, t: &DatagramTransport) -> sys::napi_value {
        if let Some(n) = self.native.borrow().as_ref() {
            return n.get();
        }
        let env = self.ctx.raw();
        let native = JsDatagramTransport { t: t.clone(), ctx: self.ctx.clone() };
        // SAFETY: env live on this thread inside the caller's scope.
        let value = unsafe { JsDatagramTransport::to_napi_value(env, native) }.unwrap_or_else(|_| convert::null(env));
        *self.native.borrow_mut() = JsRef::new(&self.ctx.env, value);
        value
    }

    /// Calls `this.<name>(...args)` if it is a method.
    fn notify(&self, name: &std::ffi::CStr, args: impl FnOnce(sys::napi_env) -> Vec<sys::napi_value>) -> Result<()> {
        if !self.ctx.can_call() {
            return Ok(());
        }
        let env = self.ctx.raw();
        let _scope = HandleScope::open(env);
        let obj = self.obj.get();
        let Some(f) = crate::protocol::method(env, obj, name) else { return Ok(()) };
        let argv = args(env);
        self.ctx.call(obj, f, &argv).map(|_| ()).map_err(|exc| thrown::wrap(&self.ctx.env, exc))
    }
}

fn address_or_null(env: sys::napi_env, addr: &Option<Address>) -> sys::napi_value {
    match addr {
        Some(a) => convert::address_value(env, a),
        None => convert::null(env),
    }
}

impl DatagramProtocol for JsDatagramProtocol {
    fn connection_made(&self, t: &DatagramTransport) -> Result<()> {
        self.notify(c"connectionMade", |_| vec![self.native_transport(t)])
    }
    fn datagram_received(&self, data: &[u8], addr: Option<Address>) -> Result<()> {
        self.notify(c"datagramReceived", |env| vec![js_callback::buffer_copy(env, data), address_or_null(env, &addr)])
    }
    fn error_received(&self, exc: Error) -> Result<()> {
        self.notify(c"errorReceived", |env| vec![convert::error_value(env, &exc)])
    }
    fn connection_lost(&self, exc: Option<Error>) -> Result<()> {
        let result = self.notify(c"connectionLost", |env| {
            vec![match &exc {
                None => convert::null(env),
                Some(e) => convert::error_value(env, e),
            }]
        });
        // The core forgets the protocol now; so does it its transport.
        self.native.borrow_mut().take();
        result
    }
    fn pause_writing(&self) -> Result<()> {
        self.notify(c"pauseWriting", |_| Vec::new())
    }
    fn resume_writing(&self) -> Result<()> {
        self.notify(c"resumeWriting", |_| Vec::new())
    }
    fn describe(&self) -> String {
        "<DatagramProtocol>".into()
    }
    fn report_payload(&self, exc: &Error) -> Option<Rc<dyn std::any::Any>> {
        if !self.ctx.can_call() {
            return None;
        }
        let env = self.ctx.raw();
        let _scope = HandleScope::open(env);
        let values = [("exception", convert::error_value(env, exc)), ("protocol", self.obj.get())];
        Some(Rc::new(ctx::js_payload(&self.ctx.env, values.into_iter())))
    }
}

/// A datagram endpoint's transport (the package's `DatagramTransport`
/// wraps it).
#[napi(js_name = "NativeDatagramTransport")]
pub struct JsDatagramTransport {
    t: DatagramTransport,
    ctx: Ctx,
}

/// `sendto`'s `addr` as the package normalized it: null, a Unix path, or
/// `[host, port]` with a numeric host (names would block to resolve).
fn sendto_addr(env: sys::napi_env, addr: sys::napi_value) -> napi::Result<Option<Address>, ErrCode> {
    match js_callback::type_of(env, addr) {
        sys::ValueType::napi_undefined | sys::ValueType::napi_null => Ok(None),
        sys::ValueType::napi_string => Ok(Some(Address::Unix(js_callback::coerce_to_string(env, addr)))),
        _ => {
            let items = convert::array_arg(env, addr, "sendto", "addr")?;
            let (Some(host), Some(port)) = (items.first(), items.get(1)) else {
                return Err(errors::type_error("sendto(): addr must be [host, port]"));
            };
            let host = js_callback::coerce_to_string(env, *host);
            let mut p = 0f64;
            // SAFETY: env live during the call; port is its value.
            unsafe { sys::napi_get_value_double(env, *port, &mut p) };
            let ip: std::net::IpAddr = host.parse().map_err(|_| {
                errors::value_error(format!("sendto(): addr must have a numeric host, got '{host}'"))
            })?;
            if !(0.0..=65535.0).contains(&p) || p.fract() != 0.0 {
                return Err(errors::range_error(format!("sendto(): port must be 0-65535, got {p}")));
            }
            Ok(Some(Address::Inet(std::net::SocketAddr::new(ip, p as u16))))
        }
    }
}

crate::transport_methods::shared_transport_methods!(JsDatagramTransport);

#[napi]
impl JsDatagramTransport {
    /// `sendto(data, addr?)`: `addr` null, a Unix path or `[host, port]`.
    #[napi(catch_unwind, ts_args_type = "data: Uint8Array, addr?: [string, number] | string | null")]
    pub fn sendto(&self, data: Unknown, addr: Option<Unknown>) -> napi::Result<(), ErrCode> {
        let env = self.ctx.raw();
        let bytes = convert::data_arg(env, data.raw())?;
        let addr = match addr {
            Some(a) => sendto_addr(env, a.raw())?,
            None => None,
        };
        self.t.sendto(bytes, addr.as_ref()).map_err(convert::throw)?;
        self.ctx.wake();
        Ok(())
    }

    /// asyncio's repr.
    #[napi(catch_unwind)]
    pub fn describe(&self) -> String {
        format!("{:?}", self.t)
    }
}
