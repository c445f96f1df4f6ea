//! The native side of the package's `Transport` in a simulation: forwards
//! to the core's transport.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use evloop::{ExtraInfo, Transport};
use wasm_bindgen::prelude::*;

use crate::convert::{self, throw};
use crate::ctx::Ctx;
use crate::protocol::JsProtocol;
use crate::socket::JsTransportSocket;

/// A connection's transport (the package's `Transport` wraps it).
#[wasm_bindgen(js_name = NativeTransport)]
pub struct JsTransport {
    t: Transport,
    ctx: Ctx,
    /// The JS protocol last installed through this object (weak: the core
    /// holds it until `connection_lost`).
    protocol: RefCell<Weak<JsProtocol>>,
}

impl JsTransport {
    pub(crate) fn new(t: Transport, ctx: Ctx, protocol: Weak<JsProtocol>) -> JsTransport {
        JsTransport { t, ctx, protocol: RefCell::new(protocol) }
    }

    /// The core's transport (`startTls`).
    pub(crate) fn core(&self) -> &Transport {
        &self.t
    }
}

crate::transport_methods::shared_transport_methods!(JsTransport, NativeTransport);

#[wasm_bindgen(js_class = NativeTransport)]
impl JsTransport {
    /// `write(data)`: bytes are copied.
    pub fn write(&self, data: &[u8]) -> Result<(), JsValue> {
        self.t.write(data).map_err(throw)
    }

    /// `writelines(list)`: each piece in order (the package passes Uint8Arrays).
    pub fn writelines(&self, list: js_sys::Array) -> Result<(), JsValue> {
        let pieces = crate::convert::byte_pieces(&list)?;
        self.t.writelines(pieces.iter().map(Vec::as_slice)).map_err(throw)
    }

    #[wasm_bindgen(js_name = writeEof)]
    pub fn write_eof(&self) {
        self.t.write_eof();
    }

    #[wasm_bindgen(js_name = canWriteEof)]
    pub fn can_write_eof(&self) -> bool {
        self.t.can_write_eof()
    }

    #[wasm_bindgen(js_name = pauseReading)]
    pub fn pause_reading(&self) {
        self.t.pause_reading();
    }

    #[wasm_bindgen(js_name = resumeReading)]
    pub fn resume_reading(&self) {
        self.t.resume_reading();
    }

    #[wasm_bindgen(js_name = isReading)]
    pub fn is_reading(&self) -> bool {
        self.t.is_reading()
    }

    /// Installs the JS protocol `protocol`; `wrapper` is the package's `Transport`.
    #[wasm_bindgen(js_name = setProtocol)]
    pub fn set_protocol(&self, protocol: JsValue, wrapper: JsValue) -> Result<(), JsValue> {
        let p = JsProtocol::new(&self.ctx, protocol, Some(wrapper)).map_err(throw)?;
        *self.protocol.borrow_mut() = Rc::downgrade(&p);
        self.t.set_protocol(p);
        Ok(())
    }

    /// The JS protocol in use; null once the connection is lost, or when
    /// the protocol is not a JS one (streams).
    #[wasm_bindgen(js_name = getProtocol)]
    pub fn get_protocol(&self) -> JsValue {
        let current = self.t.get_protocol();
        let ours = self.protocol.borrow().upgrade();
        match ours {
            Some(p) if std::ptr::addr_eq(Rc::as_ptr(&current), Rc::as_ptr(&p)) => p.object(),
            _ => JsValue::NULL,
        }
    }

    /// asyncio's repr.
    pub fn describe(&self) -> String {
        format!("{:?}", self.t)
    }
}

/// `get_extra_info(name)` as a JS value.
pub(crate) fn extra_info_value(name: &str, info: Option<ExtraInfo>) -> JsValue {
    match (name, info) {
        (_, Some(ExtraInfo::Address(a))) => convert::address_value(&a),
        (_, Some(ExtraInfo::Socket(s))) => JsTransportSocket::new(s).into(),
        (_, Some(ExtraInfo::Cipher(c))) => crate::tls_info::cipher_value(c.as_ref()),
        (_, Some(ExtraInfo::PeerCert(c))) => crate::tls_info::peercert_value(c.as_ref()),
        (_, Some(ExtraInfo::SslContext(c))) => crate::tls_info::context_marker(&c),
        (_, Some(ExtraInfo::SslObject(o))) => crate::tls_info::ssl_object_value(&o),
        ("peername" | "sockname", None) => JsValue::NULL,
        _ => JsValue::UNDEFINED,
    }
}
