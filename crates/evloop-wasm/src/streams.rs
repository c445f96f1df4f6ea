//! Streams in a simulation: the core's `StreamReader`/`StreamWriter` and
//! `openConnection`/`startServer`, bound as the Node addon binds them.
//! Each read is a core task whose result goes to `done(ok, value)`.

use std::rc::Rc;

use evloop::{Error, ExceptionContext, StreamOptions, StreamReader, StreamWriter, DEFAULT_LIMIT};
use js_sys::{Function, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::convert::{self, opt_f64, throw};
use crate::ctx::{Ctx, JsPayload, NativeCall};
use crate::server;
use crate::thrown;
use crate::transport::JsTransport;

fn limit_arg(opts: &JsValue) -> Result<usize, JsValue> {
    match opt_f64(opts, "limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(l) if l <= 0.0 => Err(throw(Error::Value("Limit cannot be <= 0".into()))),
        Some(l) => Ok(l as usize),
    }
}

fn bytes_value(_ctx: &Ctx, bytes: Vec<u8>) -> evloop::Result<JsValue> {
    Ok(Uint8Array::from(bytes.as_slice()).into())
}

fn undefined_value(_ctx: &Ctx, (): ()) -> evloop::Result<JsValue> {
    Ok(JsValue::UNDEFINED)
}

/// The read half of a stream (the package's `StreamReader` wraps it).
#[wasm_bindgen(js_name = NativeStreamReader)]
pub struct JsStreamReader {
    r: StreamReader,
    ctx: Ctx,
}

#[wasm_bindgen(js_class = NativeStreamReader)]
impl JsStreamReader {
    /// `new NativeStreamReader(life, limit)`: a reader on the host's loop fed
    /// by its owner (`feedData`, `feedEof`), not by a connection.
    #[wasm_bindgen(constructor)]
    pub fn new(life: &crate::host_loop::HostLoop, limit: Option<f64>) -> Result<JsStreamReader, JsValue> {
        let ctx = life.ctx().clone();
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(l) if l <= 0.0 => return Err(throw(Error::Value("Limit cannot be <= 0".into()))),
            Some(l) => l as usize,
        };
        let r = StreamReader::with_limit(ctx.lp(), limit).map_err(throw)?;
        Ok(JsStreamReader { r, ctx })
    }

    /// Appends `data` (the package passes a Uint8Array) and wakes the waiting read.
    #[wasm_bindgen(js_name = feedData)]
    pub fn feed_data(&self, data: &[u8]) -> Result<(), JsValue> {
        if self.r.eof_received() {
            return Err(throw(Error::Runtime("feed_data after feed_eof".into())));
        }
        self.r.feed_data(data);
        Ok(())
    }

    /// Marks the end of the stream and wakes the waiting read.
    #[wasm_bindgen(js_name = feedEof)]
    pub fn feed_eof(&self) {
        self.r.feed_eof();
    }

    /// Makes the waiting read and every later one fail with `exc` (kept as is).
    #[wasm_bindgen(js_name = setException)]
    pub fn set_exception(&self, exc: JsValue) {
        self.r.set_exception(thrown::wrap(exc));
    }

    /// The error given to `setException` (or the connection's), else null.
    pub fn exception(&self) -> JsValue {
        match self.r.exception() {
            Some(e) => convert::error_value(&e),
            None => JsValue::NULL,
        }
    }

    pub fn read(&self, n: f64, done: Function) -> Result<NativeCall, JsValue> {
        self.ctx.spawn(self.r.read(n as isize), done, bytes_value).map_err(throw)
    }

    pub fn readline(&self, done: Function) -> Result<NativeCall, JsValue> {
        self.ctx.spawn(self.r.readline(), done, bytes_value).map_err(throw)
    }

    pub fn readexactly(&self, n: f64, done: Function) -> Result<NativeCall, JsValue> {
        self.ctx.spawn(self.r.readexactly(n as isize), done, bytes_value).map_err(throw)
    }

    /// `readuntil(separators)`: an array of Uint8Arrays (the package normalizes).
    pub fn readuntil(&self, separators: js_sys::Array, done: Function) -> Result<NativeCall, JsValue> {
        let seps = convert::byte_pieces(&separators)?;
        let refs: Vec<&[u8]> = seps.iter().map(Vec::as_slice).collect();
        self.ctx.spawn(self.r.readuntil_any(&refs), done, bytes_value).map_err(throw)
    }

    #[wasm_bindgen(js_name = atEof)]
    pub fn at_eof(&self) -> bool {
        self.r.at_eof()
    }

    #[wasm_bindgen(getter)]
    pub fn limit(&self) -> f64 {
        self.r.limit() as f64
    }

    pub fn describe(&self) -> String {
        format!("{:?}", self.r)
    }
}

/// The write half of a stream (the package's `StreamWriter` wraps it).
#[wasm_bindgen(js_name = NativeStreamWriter)]
pub struct JsStreamWriter {
    w: StreamWriter,
    ctx: Ctx,
}

#[wasm_bindgen(js_class = NativeStreamWriter)]
impl JsStreamWriter {
    // Writes, closing and extra info are the transport's (`transport()`), as in asyncio's
    // StreamWriter; the package calls them there.

    pub fn drain(&self, done: Function) -> Result<NativeCall, JsValue> {
        self.ctx.spawn(self.w.drain(), done, undefined_value).map_err(throw)
    }

    #[wasm_bindgen(js_name = waitClosed)]
    pub fn wait_closed(&self, done: Function) -> Result<NativeCall, JsValue> {
        self.ctx.spawn(self.w.wait_closed(), done, undefined_value).map_err(throw)
    }

    /// `writer.startTls(sslcontext, opts)`: `done(ok)` once the stream
    /// reads and writes through TLS.
    #[wasm_bindgen(js_name = startTls)]
    pub fn start_tls(&self, opts: JsValue, done: Function) -> Result<NativeCall, JsValue> {
        let id = convert::opt_i32(&opts, "sslContext").ok_or_else(|| convert::type_error("startTls(): ssl must be an SSLContext"))?;
        let ssl = crate::tls::context(id, "startTls")?;
        let fut = self.w.start_tls(&ssl, crate::tls::start_tls_options(&opts));
        self.ctx.spawn(fut, done, undefined_value).map_err(throw)
    }

    /// A new native object for the transport (the package keeps one wrapper).
    pub fn transport(&self) -> JsTransport {
        JsTransport::new(self.w.transport(), self.ctx.clone(), std::rc::Weak::new())
    }

    pub fn describe(&self) -> String {
        format!("{:?}", self.w)
    }
}

/// Settles the core future a stream server's connection task waits on.
#[wasm_bindgen(js_name = NativeStreamDone)]
pub struct JsStreamDone {
    fut: evloop::Future<()>,
}

#[wasm_bindgen(js_class = NativeStreamDone)]
impl JsStreamDone {
    /// `clientConnected` finished.
    pub fn resolve(&self) {
        if !self.fut.done() {
            let _ = self.fut.set_result(());
        }
    }

    /// `clientConnected` failed with `error` (kept as is for the report).
    pub fn reject(&self, error: JsValue) {
        if !self.fut.done() {
            let _ = self.fut.set_exception(thrown::wrap(error));
        }
    }
}

fn pair_value(ctx: &Ctx, (r, w): (StreamReader, StreamWriter)) -> evloop::Result<JsValue> {
    let reader = JsStreamReader { r, ctx: ctx.clone() };
    let writer = JsStreamWriter { w, ctx: ctx.clone() };
    Ok(convert::array(&[reader.into(), writer.into()]))
}

/// The per-connection callback of a stream server: calls the package's
/// `cb(reader, writer, done)` and returns the task body that waits for it.
fn client_connected(ctx: &Ctx, cb: Function) -> impl Fn(StreamReader, StreamWriter) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> + 'static {
    let ctx = ctx.clone();
    move |r, w| {
        let fin = ctx.lp().create_future::<()>();
        let args = [
            JsValue::from(JsStreamReader { r, ctx: ctx.clone() }),
            JsValue::from(JsStreamWriter { w: w.clone(), ctx: ctx.clone() }),
            JsValue::from(JsStreamDone { fut: fin.clone() }),
        ];
        if let Err(exc) = ctx.call(&cb, &JsValue::UNDEFINED, &args) {
            if !fin.done() {
                let _ = fin.set_exception(thrown::wrap(exc));
            }
        }
        let ctx = ctx.clone();
        Box::pin(async move {
            if let Err(e) = fin.await {
                if !matches!(e, Error::Cancelled(_)) {
                    let context = ExceptionContext::new("Unhandled exception in client_connected_cb")
                        .with_exception(e.to_string())
                        .with("transport", format!("{:?}", w.transport()))
                        .with_payload(Rc::new(JsPayload { values: vec![("exception".into(), convert::error_value(&e))] }));
                    ctx.lp().call_exception_handler(context);
                }
                w.close();
            }
        })
    }
}

impl crate::host_loop::HostLoop {
    pub(crate) fn net_open_connection(&self, host: Option<String>, port: Option<u16>, opts: &JsValue, done: Function) -> Result<NativeCall, JsValue> {
        let ctx = self.ctx();
        let options = StreamOptions { limit: limit_arg(opts)?, options: server::connection_options(opts, "openConnection")? };
        let fut = ctx.lp().open_connection(host, port, options);
        ctx.spawn(fut, done, pair_value).map_err(throw)
    }

    pub(crate) fn net_start_server(&self, cb: Function, host: &JsValue, port: Option<u16>, opts: &JsValue, done: Function) -> Result<NativeCall, JsValue> {
        let ctx = self.ctx();
        let host = server::host_arg(host)?;
        let options = StreamOptions { limit: limit_arg(opts)?, options: server::server_options(opts, "startServer")? };
        let fut = ctx.lp().start_server(client_connected(ctx, cb), host, port, options);
        ctx.spawn(fut, done, server::server_value).map_err(throw)
    }
}
