//! The native side of the package's `Transport`: forwards to the core's
//! socket transport, checks and converts arguments, re-arms the driver
//! after calls that schedule work.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use evloop::{ExtraInfo, Transport};
use napi::bindgen_prelude::{Env, Unknown};
use napi::{sys, JsValue};
use napi_derive::napi;

use crate::errors::{self, ErrCode, JsResult};
use crate::js_callback;
use crate::convert;
use crate::ctx::Ctx;
use crate::protocol::JsProtocol;
use crate::socket::JsTransportSocket;

/// A connection's transport (the package's `Transport` wraps it).
#[napi(js_name = "NativeTransport")]
pub struct JsTransport {
    pub(crate) t: Transport,
    ctx: Ctx,
    /// The JS protocol last installed through this object (weak: the core
    /// holds it until `connection_lost`).
    protocol: RefCell<Weak<JsProtocol>>,
    /// Its slot for `writeTransport` (`js_write.rs`).
    slot: u32,
}

impl JsTransport {
    pub fn new(t: Transport, ctx: Ctx, protocol: Weak<JsProtocol>) -> JsTransport {
        let slot = crate::js_write::take_slot(&t, &ctx);
        JsTransport { t, ctx, protocol: RefCell::new(protocol), slot }
    }
}

impl Drop for JsTransport {
    fn drop(&mut self) {
        crate::js_write::release(self.slot);
    }
}

crate::transport_methods::shared_transport_methods!(JsTransport);

#[napi]
impl JsTransport {
    /// Its slot for `writeTransport(slot, data)` (`js_write.rs`), the
    /// package's fast path for `write`.
    #[napi(getter, catch_unwind)]
    pub fn slot(&self) -> u32 {
        self.slot
    }

    /// `writelines(list)`: each piece in order.
    #[napi(catch_unwind, ts_args_type = "list: Uint8Array[]")]
    pub fn writelines(&self, list: Unknown) -> napi::Result<(), ErrCode> {
        let env = self.ctx.raw();
        let items = convert::array_arg(env, list.raw(), "writelines", "list_of_data")?;
        let pieces = items
            .iter()
            .map(|v| convert::data_arg(env, *v))
            .collect::<JsResult<Vec<&[u8]>>>()?;
        self.t.writelines(pieces).map_err(convert::throw)?;
        self.ctx.wake();
        Ok(())
    }

    #[napi(catch_unwind)]
    pub fn write_eof(&self) {
        self.t.write_eof();
        self.ctx.wake();
    }

    #[napi(catch_unwind)]
    pub fn can_write_eof(&self) -> bool {
        self.t.can_write_eof()
    }

    #[napi(catch_unwind)]
    pub fn pause_reading(&self) {
        self.t.pause_reading();
        self.ctx.wake();
    }

    #[napi(catch_unwind)]
    pub fn resume_reading(&self) {
        self.t.resume_reading();
        self.ctx.wake();
    }

    #[napi(catch_unwind)]
    pub fn is_reading(&self) -> bool {
        self.t.is_reading()
    }

    /// Installs the JS protocol `protocol`; `wrapper` is the package's
    /// `Transport` (passed to nothing now, kept for reports).
    #[napi(catch_unwind, ts_args_type = "protocol: object, wrapper: object")]
    pub fn set_protocol(&self, protocol: Unknown, wrapper: Unknown) -> napi::Result<(), ErrCode> {
        let env = self.ctx.raw();
        if !convert::is_object(env, protocol.raw()) {
            return Err(errors::type_error(format!(
                "setProtocol(): protocol must be an object, got {}",
                convert::type_name(env, protocol.raw())
            )));
        }
        let p = JsProtocol::new(&self.ctx, protocol.raw(), Some(wrapper.raw())).map_err(convert::throw)?;
        *self.protocol.borrow_mut() = Rc::downgrade(&p);
        self.t.set_protocol(p);
        Ok(())
    }

    /// The JS protocol in use; null once the connection is lost (the core
    /// forgot it) or when the protocol is not a JS one (streams).
    #[napi(catch_unwind, ts_return_type = "object | null")]
    pub fn get_protocol(&self, env: Env) -> Unknown<'static> {
        let raw = env.raw();
        let current = self.t.get_protocol();
        let ours = self.protocol.borrow().upgrade();
        let value = match ours {
            Some(p) if std::ptr::addr_eq(Rc::as_ptr(&current), Rc::as_ptr(&p)) => p.object(),
            _ => convert::null(raw),
        };
        convert::unknown(raw, value)
    }
}

/// `get_extra_info(name)` as a JS value: an address (or null when the
/// socket has none), a `NativeTransportSocket`, or `undefined` for names
/// the transport does not know (the package applies the default).
pub fn extra_info_value(env: sys::napi_env, name: &str, info: Option<ExtraInfo>) -> sys::napi_value {
    match (name, info) {
        (_, Some(ExtraInfo::Address(a))) => convert::address_value(env, &a),
        (_, Some(ExtraInfo::Socket(s))) => JsTransportSocket::value(env, s),
        (_, Some(ExtraInfo::Pipe(fd))) => js_callback::number(env, f64::from(fd)),
        (_, Some(ExtraInfo::Cipher(c))) => match c {
            Some(c) => convert::array(
                env,
                &[js_callback::string(env, &c.name), js_callback::string(env, &c.protocol), js_callback::number(env, c.secret_bits as f64)],
            ),
            None => convert::null(env),
        },
        (_, Some(ExtraInfo::PeerCert(cert))) => crate::tls_info::peercert_value(env, cert.as_ref()),
        (_, Some(ExtraInfo::SslContext(ctx))) => crate::tls_info::context_marker(env, &ctx),
        (_, Some(ExtraInfo::SslObject(o))) => crate::tls_info::ssl_object_value(env, &o),
        ("peername" | "sockname", None) => convert::null(env),
        _ => js_callback::undefined(env),
    }
}
