//! A JS protocol object as the core's `Protocol`: every method optional,
//! each call entered with `napi_make_callback` (so microtasks run after
//! it), with the protocol object as `this`.
//!
//! A throw becomes the core's protocol error (a `JsThrown`), so the core
//! reports it (`Fatal error: protocol.data_received() call failed.`) and
//! calls `connectionLost(thatError)` with the very value thrown; the
//! exception handler gets it too (`report_payload`).
//!
//! Lifetime: the core holds the protocol from the transport's creation
//! until `connection_lost` returned, then forgets it (asyncio's
//! `_protocol = None`). The protocol holds the JS object and the package's
//! `Transport` for it strongly, and the `Transport` holds the core
//! transport, so that is a cycle through native code, which the garbage
//! collector cannot see; it is broken exactly when the core forgets the
//! protocol, after which the JS objects are collectable.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::CStr;
use std::ptr::null_mut;
use std::rc::{Rc, Weak};

use evloop::{BufferedProtocol, Error, Protocol, ReadBuffer, ReadSupplier, Result, Transport};
use napi::bindgen_prelude::ToNapiValue;
use napi::sys;

use crate::js_callback::{self, HandleScope, JsRef};
use crate::convert;
use crate::ctx::{self, Ctx};
use crate::read_pool::ReadPool;
use crate::thrown;
use crate::transport::JsTransport;

/// A user's protocol object.
pub struct JsProtocol {
    ctx: Ctx,
    this: Weak<JsProtocol>,
    /// The JS protocol object.
    obj: JsRef,
    /// It has a `getBuffer` method: read through `getBuffer`/`bufferUpdated`
    /// (asyncio's `BufferedProtocol`).
    buffered: bool,
    /// The package's `Transport` passed to `connectionMade`.
    wrapper: RefCell<Option<JsRef>>,
    /// The buffer lent by the last `getBuffer`, and the core's copy of it.
    lent: RefCell<Option<(JsRef, ReadBuffer)>>,
    /// The JS memory reads land in (`read_pool.rs`), once `net.js` loaded.
    reads: Option<Rc<ReadPool>>,
}

impl JsProtocol {
    /// Wraps a protocol object (needs an open handle scope); `wrapper` is
    /// its transport's package object when it is already known (`setProtocol`).
    ///
    /// # Errors
    /// `TypeError` when `obj` is not an object.
    pub fn new(ctx: &Ctx, obj: sys::napi_value, wrapper: Option<sys::napi_value>) -> Result<Rc<JsProtocol>> {
        let env = ctx.raw();
        if !convert::is_object(env, obj) {
            return Err(Error::Type(format!(
                "a protocol must be an object, got {}",
                convert::type_name(env, obj)
            )));
        }
        let obj_ref = JsRef::new(&ctx.env, obj).ok_or_else(|| Error::Runtime("cannot reference the protocol".into()))?;
        let buffered = method(env, obj, c"getBuffer").is_some();
        let wrapper = wrapper.and_then(|w| JsRef::new(&ctx.env, w));
        Ok(Rc::new_cyclic(|this| JsProtocol {
            ctx: ctx.clone(),
            this: this.clone(),
            obj: obj_ref,
            buffered,
            wrapper: RefCell::new(wrapper),
            lent: RefCell::new(None),
            reads: convert::read_pool(),
        }))
    }

    /// The JS protocol object (needs an open handle scope).
    pub fn object(&self) -> sys::napi_value {
        self.obj.get()
    }

    /// The package's `Transport` for `transport`, made on first use (needs
    /// an open handle scope).
    pub fn transport_wrapper(&self, transport: &Transport) -> sys::napi_value {
        if let Some(w) = self.wrapper.borrow().as_ref() {
            return w.get();
        }
        let env = self.ctx.raw();
        let native = JsTransport::new(transport.clone(), self.ctx.clone(), self.this.clone());
        // SAFETY: env live inside the caller's scope.
        let native = unsafe { JsTransport::to_napi_value(env, native) }.unwrap_or_else(|_| convert::null(env));
        let wrapper = convert::wrap_transport(env, native);
        *self.wrapper.borrow_mut() = JsRef::new(&self.ctx.env, wrapper);
        wrapper
    }

    /// Calls `this.<name>(...args)` if it is a method: `Ok(None)` when there
    /// is none; `Err` (the thrown value as a core error) when it throws.
    fn invoke(&self, name: &CStr, args: &[sys::napi_value]) -> Result<Option<sys::napi_value>> {
        let env = self.ctx.raw();
        let obj = self.obj.get();
        let Some(f) = method(env, obj, name) else { return Ok(None) };
        match self.ctx.call(obj, f, args) {
            Ok(v) => Ok(Some(v)),
            Err(exc) => Err(thrown::wrap(&self.ctx.env, exc)),
        }
    }

    /// Calls a method that returns nothing of interest.
    fn notify(&self, name: &CStr, args: impl FnOnce(sys::napi_env) -> Vec<sys::napi_value>) -> Result<()> {
        if !self.ctx.can_call() {
            return Ok(());
        }
        let env = self.ctx.raw();
        let _scope = HandleScope::open(env);
        let argv = args(env);
        self.invoke(name, &argv).map(|_| ())
    }
}

/// `obj[name]` if it is a function (a throwing getter reads as absent).
pub(crate) fn method(env: sys::napi_env, obj: sys::napi_value, name: &CStr) -> Option<sys::napi_value> {
    let mut f = null_mut();
    // SAFETY: env live inside a handle scope; obj is an object; name is NUL-terminated.
    let status = unsafe { sys::napi_get_named_property(env, obj, name.as_ptr(), &mut f) };
    if status != sys::Status::napi_ok {
        js_callback::take_exception(env);
        return None;
    }
    convert::is_function(env, f).then_some(f)
}

impl Protocol for JsProtocol {
    fn connection_made(&self, transport: &Transport) -> Result<()> {
        self.notify(c"connectionMade", |_| vec![self.transport_wrapper(transport)])
    }

    /// `data` is usually the part of a JS slab a read just wrote
    /// (`read_supplier`): JS gets a view of it, no copy. JS may write into
    /// that view during the call; nothing here or in the core reads `data`
    /// after JS ran.
    fn data_received(&self, data: &[u8]) -> Result<()> {
        if !self.ctx.can_call() {
            return Ok(());
        }
        let _scope = HandleScope::open(self.ctx.raw());
        match convert::data_received_call(self.ctx.raw(), self.obj.get(), data) {
            Some((hook, args)) => self.ctx.call(null_mut(), hook, &args).map(|_| ()).map_err(|exc| thrown::wrap(&self.ctx.env, exc)),
            None => self.notify(c"dataReceived", |env| vec![js_callback::buffer_copy(env, data)]),
        }
    }

    fn eof_received(&self) -> Result<bool> {
        if !self.ctx.can_call() {
            return Ok(false);
        }
        let env = self.ctx.raw();
        let _scope = HandleScope::open(env);
        Ok(self.invoke(c"eofReceived", &[])?.is_some_and(|v| convert::truthy(env, v)))
    }

    fn connection_lost(&self, exc: Option<Error>) -> Result<()> {
        self.lent.borrow_mut().take();
        self.notify(c"connectionLost", |env| {
            vec![match &exc {
                None => convert::null(env),
                Some(e) => convert::error_value(env, e),
            }]
        })
    }

    fn pause_writing(&self) -> Result<()> {
        self.notify(c"pauseWriting", |_| Vec::new())
    }

    fn resume_writing(&self) -> Result<()> {
        self.notify(c"resumeWriting", |_| Vec::new())
    }

    fn buffered(&self) -> Option<&dyn BufferedProtocol> {
        self.buffered.then_some(self as &dyn BufferedProtocol)
    }

    /// Reads land in JS memory, and `dataReceived` gets a view of them.
    fn read_supplier(&self) -> Option<&dyn ReadSupplier> {
        self.reads.as_deref().map(|r| r as &dyn ReadSupplier)
    }

    fn describe(&self) -> String {
        if !self.ctx.can_call() {
            return "<Protocol>".into();
        }
        let env = self.ctx.raw();
        let _scope = HandleScope::open(env);
        let mut ctor = null_mut();
        // SAFETY: env live inside the scope; obj is an object.
        unsafe { sys::napi_get_named_property(env, self.obj.get(), c"constructor".as_ptr(), &mut ctor) };
        js_callback::take_exception(env);
        match js_callback::string_property(env, ctor, c"name").filter(|n| !n.is_empty()) {
            Some(name) => format!("<{name} object>"),
            None => "<Protocol>".into(),
        }
    }

    /// The handler gets the thrown value itself, the protocol object and
    /// the package's `Transport`.
    fn report_payload(&self, exc: &Error) -> Option<Rc<dyn Any>> {
        if !self.ctx.can_call() {
            return None;
        }
        let env = self.ctx.raw();
        let _scope = HandleScope::open(env);
        let mut values = vec![("exception", convert::error_value(env, exc)), ("protocol", self.obj.get())];
        if let Some(w) = self.wrapper.borrow().as_ref() {
            values.push(("transport", w.get()));
        }
        Some(Rc::new(ctx::js_payload(&self.ctx.env, values.into_iter())))
    }
}

impl BufferedProtocol for JsProtocol {
    /// Calls `getBuffer(sizehint)`; the core reads into a buffer of the
    /// same length, copied into the JS one before `bufferUpdated`.
    fn get_buffer(&self, sizehint: isize) -> Result<ReadBuffer> {
        if !self.ctx.can_call() {
            return Err(Error::Runtime("the event loop is gone".into()));
        }
        let env = self.ctx.raw();
        let _scope = HandleScope::open(env);
        let hint = js_callback::number(env, sizehint as f64);
        let value = match self.invoke(c"getBuffer", &[hint])? {
            Some(v) => v,
            None => return Err(Error::Type("getBuffer is not a function".into())),
        };
        let Some(bytes) = convert::bytes_of(env, value) else {
            return Err(Error::Type(format!(
                "getBuffer() must return a Uint8Array, not '{}'",
                convert::type_name(env, value)
            )));
        };
        let len = bytes.len();
        let reuse = self.lent.borrow().as_ref().map(|(_, b)| b.clone());
        let buffer = match reuse {
            Some(b) => {
                let mut v = b.borrow_mut();
                v.clear();
                v.resize(len, 0);
                drop(v);
                b
            }
            None => Rc::new(RefCell::new(vec![0; len])),
        };
        let js = JsRef::new(&self.ctx.env, value).ok_or_else(|| Error::Runtime("cannot reference the buffer".into()))?;
        *self.lent.borrow_mut() = Some((js, buffer.clone()));
        Ok(buffer)
    }

    fn buffer_updated(&self, nbytes: usize) -> Result<()> {
        if !self.ctx.can_call() {
            return Ok(());
        }
        let env = self.ctx.raw();
        let _scope = HandleScope::open(env);
        if let Some((js, buffer)) = self.lent.borrow().as_ref() {
            if let Some(target) = convert::bytes_of(env, js.get()) {
                let n = nbytes.min(target.len()).min(buffer.borrow().len());
                target[..n].copy_from_slice(&buffer.borrow()[..n]);
            }
        }
        let n = js_callback::number(env, nbytes as f64);
        self.invoke(c"bufferUpdated", &[n]).map(|_| ())
    }
}
