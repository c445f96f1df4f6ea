//! `createDatagramEndpoint` on a simulated host and the native side of the
//! package's `DatagramTransport`. As in the Node addon, the package wraps
//! the user's protocol in an adapter (core/net/datagram.ts) whose
//! `connectionMade` receives the native transport.

use std::cell::RefCell;
use std::rc::Rc;

use evloop::{Address, DatagramOptions, DatagramProtocol, DatagramTransport, EndpointAddr, Error, Result};
use js_sys::{Array, Function, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::convert::{self, opt_bool, opt_i32, opt_string, throw};
use crate::ctx::{Ctx, JsPayload};
use crate::thrown;

fn endpoint_addr(opts: &JsValue, host: &str, port: &str, path: &str) -> Option<EndpointAddr> {
    match (opt_string(opts, host), opt_string(opts, path)) {
        (Some(h), _) => Some(EndpointAddr::Host(h, opt_i32(opts, port).unwrap_or(0).clamp(0, 65535) as u16)),
        (None, Some(p)) => Some(EndpointAddr::Path(p)),
        (None, None) => None,
    }
}

/// The options the package normalized (core/net/datagram-args.ts).
fn datagram_options(opts: &JsValue) -> DatagramOptions {
    DatagramOptions {
        local_addr: endpoint_addr(opts, "localHost", "localPort", "localPath"),
        remote_addr: endpoint_addr(opts, "remoteHost", "remotePort", "remotePath"),
        family: opt_i32(opts, "family").unwrap_or(0),
        proto: opt_i32(opts, "proto").unwrap_or(0),
        flags: opt_i32(opts, "flags").unwrap_or(0),
        reuse_port: opt_bool(opts, "reusePort").unwrap_or(false),
        allow_broadcast: opt_bool(opts, "allowBroadcast").unwrap_or(false),
        sock: opt_i32(opts, "sock"),
    }
}

impl crate::host_loop::HostLoop {
    pub(crate) fn net_create_datagram_endpoint(&self, factory: Function, opts: &JsValue, done: Function) -> Result<crate::ctx::NativeCall, JsValue> {
        let ctx = self.ctx().clone();
        let options = datagram_options(opts);
        let ctx2 = ctx.clone();
        let fut = ctx.lp().create_datagram_endpoint_with(move || call_factory(&ctx2, &factory), options);
        ctx.spawn(fut, done, endpoint_value).map_err(throw)
    }
}

fn call_factory(ctx: &Ctx, factory: &Function) -> Result<Rc<JsDatagramProtocol>> {
    let obj = ctx.call(factory, &JsValue::UNDEFINED, &[]).map_err(thrown::wrap)?;
    if !obj.is_object() {
        return Err(Error::Type(format!(
            "protocolFactory() returned no protocol: a protocol must be an object, got {}",
            crate::protocol::type_name(&obj)
        )));
    }
    Ok(Rc::new(JsDatagramProtocol { ctx: ctx.clone(), obj, native: RefCell::new(None) }))
}

fn endpoint_value(_ctx: &Ctx, (t, p): (DatagramTransport, Rc<JsDatagramProtocol>)) -> Result<JsValue> {
    Ok(convert::array(&[p.native_transport(&t), p.obj.clone()]))
}

/// The package's protocol adapter as the core's `DatagramProtocol`.
pub(crate) struct JsDatagramProtocol {
    ctx: Ctx,
    obj: JsValue,
    /// The native transport object handed to `connectionMade`.
    native: RefCell<Option<JsValue>>,
}

impl JsDatagramProtocol {
    fn native_transport(&self, t: &DatagramTransport) -> JsValue {
        if let Some(n) = self.native.borrow().as_ref() {
            return n.clone();
        }
        let value: JsValue = JsDatagramTransport { t: t.clone() }.into();
        *self.native.borrow_mut() = Some(value.clone());
        value
    }

    fn notify(&self, name: &str, args: &[JsValue]) -> Result<()> {
        let Some(f) = convert::method(&self.obj, name) else { return Ok(()) };
        self.ctx.call(&f, &self.obj, args).map(|_| ()).map_err(thrown::wrap)
    }
}

fn address_or_null(addr: &Option<Address>) -> JsValue {
    addr.as_ref().map_or(JsValue::NULL, convert::address_value)
}

impl DatagramProtocol for JsDatagramProtocol {
    fn connection_made(&self, t: &DatagramTransport) -> Result<()> {
        let n = self.native_transport(t);
        self.notify("connectionMade", &[n])
    }
    fn datagram_received(&self, data: &[u8], addr: Option<Address>) -> Result<()> {
        self.notify("datagramReceived", &[Uint8Array::from(data).into(), address_or_null(&addr)])
    }
    fn error_received(&self, exc: Error) -> Result<()> {
        self.notify("errorReceived", &[convert::error_value(&exc)])
    }
    fn connection_lost(&self, exc: Option<Error>) -> Result<()> {
        let arg = exc.as_ref().map_or(JsValue::NULL, convert::error_value);
        let result = self.notify("connectionLost", &[arg]);
        self.native.borrow_mut().take();
        result
    }
    fn pause_writing(&self) -> Result<()> {
        self.notify("pauseWriting", &[])
    }
    fn resume_writing(&self) -> Result<()> {
        self.notify("resumeWriting", &[])
    }
    fn describe(&self) -> String {
        "<DatagramProtocol>".into()
    }
    fn report_payload(&self, exc: &Error) -> Option<Rc<dyn std::any::Any>> {
        let values = vec![("exception".to_string(), convert::error_value(exc)), ("protocol".to_string(), self.obj.clone())];
        Some(Rc::new(JsPayload { values }))
    }
}

/// A datagram endpoint's transport (the package's `DatagramTransport` wraps it).
#[wasm_bindgen(js_name = NativeDatagramTransport)]
pub struct JsDatagramTransport {
    t: DatagramTransport,
}

/// `sendto`'s `addr` as the package normalized it: null, a path (refused
/// by the simulation), or `[host, port]` naming a simulated host.
fn sendto_addr(addr: &JsValue) -> Result<Option<Address>, JsValue> {
    if addr.is_null() || addr.is_undefined() {
        return Ok(None);
    }
    if let Some(path) = addr.as_string() {
        return Ok(Some(Address::Unix(path)));
    }
    let Some(pair) = addr.dyn_ref::<Array>() else {
        return Err(convert::type_error("sendto(): addr must be [host, port]"));
    };
    let (Some(host), Some(port)) = (pair.get(0).as_string(), pair.get(1).as_f64()) else {
        return Err(convert::type_error("sendto(): addr must be [host, port]"));
    };
    Ok(Some(Address::Sim { host, port: port.clamp(0.0, 65535.0) as u16 }))
}

crate::transport_methods::shared_transport_methods!(JsDatagramTransport, NativeDatagramTransport);

#[wasm_bindgen(js_class = NativeDatagramTransport)]
impl JsDatagramTransport {
    /// `sendto(data, addr)`: `addr` null, a path, or `[host, port]`.
    pub fn sendto(&self, data: &[u8], addr: JsValue) -> Result<(), JsValue> {
        let addr = sendto_addr(&addr)?;
        self.t.sendto(data, addr.as_ref()).map_err(throw)
    }

    pub fn describe(&self) -> String {
        format!("{:?}", self.t)
    }
}
