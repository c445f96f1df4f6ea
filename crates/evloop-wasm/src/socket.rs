//! The native side of the package's `TransportSocket`: a read-only view of
//! a simulated socket (options and addresses).

use evloop::TransportSocket;
use wasm_bindgen::prelude::*;

use crate::convert::{self, throw};

/// A view of a server's or a transport's socket.
#[wasm_bindgen(js_name = NativeTransportSocket)]
pub struct JsTransportSocket {
    s: TransportSocket,
}

impl JsTransportSocket {
    pub(crate) fn new(s: TransportSocket) -> JsTransportSocket {
        JsTransportSocket { s }
    }
}

#[wasm_bindgen(js_class = NativeTransportSocket)]
impl JsTransportSocket {
    #[wasm_bindgen(getter)]
    pub fn family(&self) -> i32 {
        self.s.family()
    }

    #[wasm_bindgen(getter, js_name = type)]
    pub fn socket_type(&self) -> i32 {
        self.s.socket_type()
    }

    #[wasm_bindgen(getter)]
    pub fn proto(&self) -> i32 {
        self.s.proto()
    }

    pub fn fileno(&self) -> i32 {
        self.s.fileno()
    }

    pub fn getsockname(&self) -> Result<JsValue, JsValue> {
        self.s.getsockname().map(|a| convert::address_value(&a)).map_err(throw)
    }

    pub fn getpeername(&self) -> Result<JsValue, JsValue> {
        self.s.getpeername().map(|a| convert::address_value(&a)).map_err(throw)
    }

    pub fn getsockopt(&self, level: i32, option: i32) -> Result<i32, JsValue> {
        self.s.getsockopt(level, option).map_err(throw)
    }

    pub fn setsockopt(&self, level: i32, option: i32, value: i32) -> Result<(), JsValue> {
        self.s.setsockopt(level, option, value).map_err(throw)
    }

    pub fn settimeout(&self, timeout: Option<f64>) -> Result<(), JsValue> {
        self.s.settimeout(timeout).map_err(throw)
    }

    pub fn setblocking(&self, flag: bool) -> Result<(), JsValue> {
        self.s.setblocking(flag).map_err(throw)
    }

    pub fn gettimeout(&self) -> f64 {
        self.s.gettimeout()
    }

    /// asyncio's repr.
    pub fn describe(&self) -> String {
        format!("{:?}", self.s)
    }
}
