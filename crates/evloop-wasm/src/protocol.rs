//! A JS protocol object as the core's `Protocol`: every method optional,
//! called with the object as `this`. A throw becomes the core's protocol
//! error (a wrapped JS value), so the core reports it and calls
//! `connectionLost(thatError)` with the very value thrown.

use std::any::Any;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use evloop::{BufferedProtocol, Error, Protocol, ReadBuffer, Result, Transport};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::convert;
use crate::ctx::{Ctx, JsPayload};
use crate::thrown;
use crate::transport::JsTransport;

/// A user's protocol object.
pub(crate) struct JsProtocol {
    ctx: Ctx,
    this: Weak<JsProtocol>,
    obj: JsValue,
    /// It has a `getBuffer` method: asyncio's `BufferedProtocol`.
    buffered: bool,
    /// The package's `Transport` passed to `connectionMade`.
    wrapper: RefCell<Option<JsValue>>,
    /// The buffer lent by the last `getBuffer`, and the core's copy of it.
    lent: RefCell<Option<(Uint8Array, ReadBuffer)>>,
    _live: crate::live::Counted,
}

impl JsProtocol {
    /// Wraps a protocol object; `wrapper` is its transport's package
    /// object when already known (`setProtocol`).
    ///
    /// # Errors
    /// `TypeError` when `obj` is not an object.
    pub fn new(ctx: &Ctx, obj: JsValue, wrapper: Option<JsValue>) -> Result<Rc<JsProtocol>> {
        if !obj.is_object() {
            return Err(Error::Type(format!("a protocol must be an object, got {}", type_name(&obj))));
        }
        let buffered = convert::method(&obj, "getBuffer").is_some();
        Ok(Rc::new_cyclic(|this| JsProtocol {
            ctx: ctx.clone(),
            this: this.clone(),
            obj,
            buffered,
            wrapper: RefCell::new(wrapper),
            lent: RefCell::new(None),
            _live: crate::live::Counted::new(crate::live::Kind::Protocol),
        }))
    }

    pub fn object(&self) -> JsValue {
        self.obj.clone()
    }

    /// The package's `Transport` for `transport`, made on first use.
    pub fn transport_wrapper(&self, transport: &Transport) -> JsValue {
        if let Some(w) = self.wrapper.borrow().as_ref() {
            return w.clone();
        }
        let native = JsTransport::new(transport.clone(), self.ctx.clone(), self.this.clone());
        let wrapper = convert::wrap_transport(native.into());
        *self.wrapper.borrow_mut() = Some(wrapper.clone());
        wrapper
    }

    /// Calls `this.<name>(...args)` if it is a method: `Ok(None)` when there
    /// is none; `Err` (the thrown value as a core error) when it throws.
    fn invoke(&self, name: &str, args: &[JsValue]) -> Result<Option<JsValue>> {
        let Some(f) = convert::method(&self.obj, name) else { return Ok(None) };
        self.ctx.call(&f, &self.obj, args).map(Some).map_err(thrown::wrap)
    }
}

/// `typeof value` in Python's words where it matters (`'str'`), else JS's.
pub(crate) fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        return "null".into();
    }
    match value.js_typeof().as_string().as_deref() {
        Some("string") => "str".into(),
        Some(t) => t.into(),
        None => "object".into(),
    }
}

impl Protocol for JsProtocol {
    fn connection_made(&self, transport: &Transport) -> Result<()> {
        let w = self.transport_wrapper(transport);
        self.invoke("connectionMade", &[w]).map(|_| ())
    }

    fn data_received(&self, data: &[u8]) -> Result<()> {
        self.invoke("dataReceived", &[Uint8Array::from(data).into()]).map(|_| ())
    }

    fn eof_received(&self) -> Result<bool> {
        Ok(self.invoke("eofReceived", &[])?.is_some_and(|v| v.is_truthy()))
    }

    fn connection_lost(&self, exc: Option<Error>) -> Result<()> {
        self.lent.borrow_mut().take();
        let arg = exc.as_ref().map_or(JsValue::NULL, convert::error_value);
        self.invoke("connectionLost", &[arg]).map(|_| ())
    }

    fn pause_writing(&self) -> Result<()> {
        self.invoke("pauseWriting", &[]).map(|_| ())
    }

    fn resume_writing(&self) -> Result<()> {
        self.invoke("resumeWriting", &[]).map(|_| ())
    }

    fn buffered(&self) -> Option<&dyn BufferedProtocol> {
        self.buffered.then_some(self as &dyn BufferedProtocol)
    }

    fn describe(&self) -> String {
        let ctor = js_sys::Reflect::get(&self.obj, &JsValue::from_str("constructor")).ok();
        let name = ctor
            .and_then(|c| js_sys::Reflect::get(&c, &JsValue::from_str("name")).ok())
            .and_then(|n| n.as_string())
            .filter(|n| !n.is_empty());
        match name {
            Some(name) => format!("<{name} object>"),
            None => "<Protocol>".into(),
        }
    }

    /// The handler gets the thrown value itself, the protocol object and
    /// the package's `Transport`.
    fn report_payload(&self, exc: &Error) -> Option<Rc<dyn Any>> {
        let mut values = vec![("exception".to_string(), convert::error_value(exc)), ("protocol".to_string(), self.obj.clone())];
        if let Some(w) = self.wrapper.borrow().as_ref() {
            values.push(("transport".to_string(), w.clone()));
        }
        Some(Rc::new(JsPayload { values }))
    }
}

impl BufferedProtocol for JsProtocol {
    /// Calls `getBuffer(sizehint)`; the core reads into a buffer of the
    /// same length, copied into the JS one before `bufferUpdated`.
    fn get_buffer(&self, sizehint: isize) -> Result<ReadBuffer> {
        let value = match self.invoke("getBuffer", &[JsValue::from_f64(sizehint as f64)])? {
            Some(v) => v,
            None => return Err(Error::Type("getBuffer is not a function".into())),
        };
        let Ok(array) = value.clone().dyn_into::<Uint8Array>() else {
            return Err(Error::Type(format!("getBuffer() must return a Uint8Array, not '{}'", type_name(&value))));
        };
        let len = array.length() as usize;
        let reuse = self.lent.borrow().as_ref().map(|(_, b)| b.clone());
        let buffer = match reuse {
            Some(b) => {
                {
                    let mut v = b.borrow_mut();
                    v.clear();
                    v.resize(len, 0);
                }
                b
            }
            None => Rc::new(RefCell::new(vec![0; len])),
        };
        *self.lent.borrow_mut() = Some((array, buffer.clone()));
        Ok(buffer)
    }

    fn buffer_updated(&self, nbytes: usize) -> Result<()> {
        if let Some((array, buffer)) = self.lent.borrow().as_ref() {
            let buffer = buffer.borrow();
            let n = nbytes.min(array.length() as usize).min(buffer.len());
            array.subarray(0, n as u32).copy_from(&buffer[..n]);
        }
        self.invoke("bufferUpdated", &[JsValue::from_f64(nbytes as f64)]).map(|_| ())
    }
}
