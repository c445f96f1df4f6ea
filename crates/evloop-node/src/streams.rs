//! Streams for JS: the core's `StreamReader`/`StreamWriter` and the four
//! stream calls (`openConnection`, `openUnixConnection`, `startServer`,
//! `startUnixServer`), bound rather than re-implemented. Each read is a
//! core task whose result goes to the package's completion callback.
//!
//! A stream server's `clientConnected(reader, writer)` may return a
//! promise: the connection's core task waits for it through a
//! `NativeStreamDone` the package settles. A rejection (or a throw) is
//! reported as asyncio does ("Unhandled exception in client_connected_cb")
//! and closes the connection.

use std::ptr::null_mut;
use std::rc::{Rc, Weak};

use evloop::{
    Error, ExceptionContext, StreamOptions, StreamReader, StreamWriter, UnixConnectionOptions, DEFAULT_LIMIT,
};
use napi::bindgen_prelude::{Env, ToNapiValue, Unknown};
use napi::{sys, JsValue};
use napi_derive::napi;

use crate::errors::{self, ErrCode};
use crate::js_callback::{self, HandleScope, JsRef};
use crate::js_loop::JsEventLoop;
use crate::convert;
use crate::ctx::{self, Ctx, JsCall};
use crate::server::{self, NetConnectionOptions, NetServerOptions};
use crate::thrown;
use crate::transport::JsTransport;

/// The reader's buffer limit from the package's option (default 64 KiB).
pub(crate) fn limit_arg(limit: Option<f64>) -> napi::Result<usize, ErrCode> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(l) if l <= 0.0 => Err(errors::value_error("Limit cannot be <= 0")),
        Some(l) => Ok(l as usize),
    }
}

fn bytes_value(ctx: &Ctx, bytes: Vec<u8>) -> evloop::Result<sys::napi_value> {
    Ok(js_callback::buffer_copy(ctx.raw(), &bytes))
}

fn undefined_value(ctx: &Ctx, (): ()) -> evloop::Result<sys::napi_value> {
    Ok(js_callback::undefined(ctx.raw()))
}

/// A JS function argument called `done`.
fn done_arg(ctx: &Ctx, done: Unknown, call: &str) -> napi::Result<JsRef, ErrCode> {
    convert::function_arg(&ctx.env, done, call, "done")
}

/// The read half of a stream (the package's `StreamReader` wraps it).
#[napi(js_name = "NativeStreamReader")]
pub struct JsStreamReader {
    r: StreamReader,
    ctx: Ctx,
}

#[napi]
impl JsStreamReader {
    /// `new NativeStreamReader(lp, limit)`: a reader on `lp` fed by its owner
    /// (`feedData`, `feedEof`), not by a connection (asyncio's `StreamReader()`).
    #[napi(constructor, catch_unwind)]
    pub fn new(lp: &JsEventLoop, limit: Option<f64>) -> napi::Result<Self, ErrCode> {
        let ctx = Ctx::of(lp);
        let r = StreamReader::with_limit(&ctx.lp, limit_arg(limit)?).map_err(errors::from_core)?;
        Ok(JsStreamReader { r, ctx })
    }

    /// Appends `data` (a Uint8Array or any bytes-like value) and wakes the waiting read.
    #[napi(catch_unwind, ts_args_type = "data: Uint8Array")]
    pub fn feed_data(&self, data: Unknown) -> napi::Result<(), ErrCode> {
        let env = self.ctx.raw();
        let raw = data.raw();
        let Some(bytes) = convert::bytes_of(env, raw) else {
            return Err(errors::type_error(format!(
                "data argument must be a bytes-like object, not '{}'",
                convert::type_name(env, raw)
            )));
        };
        if self.r.eof_received() {
            return Err(errors::runtime_error("feed_data after feed_eof"));
        }
        self.r.feed_data(bytes);
        self.ctx.wake();
        Ok(())
    }

    /// Marks the end of the stream and wakes the waiting read.
    #[napi(catch_unwind)]
    pub fn feed_eof(&self) {
        self.r.feed_eof();
        self.ctx.wake();
    }

    /// Makes the waiting read and every later one fail with `exc` (kept as is).
    #[napi(catch_unwind)]
    pub fn set_exception(&self, exc: Unknown) {
        self.r.set_exception(thrown::wrap(&self.ctx.env, exc.raw()));
        self.ctx.wake();
    }

    /// The error given to `setException` (or the connection's), else null.
    #[napi(catch_unwind, ts_return_type = "unknown")]
    pub fn exception(&self) -> Unknown<'static> {
        let env = self.ctx.raw();
        let value = match self.r.exception() {
            Some(e) => convert::error_value(env, &e),
            None => convert::null(env),
        };
        convert::unknown(env, value)
    }

    /// `read(n)`: up to `n` bytes (`-1`: until EOF).
    #[napi(catch_unwind, ts_args_type = "n: number, done: (ok: boolean, value: any) => void")]
    pub fn read(&self, n: f64, done: Unknown) -> napi::Result<JsCall, ErrCode> {
        let done = done_arg(&self.ctx, done, "read")?;
        self.ctx.spawn(self.r.read(n as isize), done, bytes_value).map_err(convert::throw)
    }

    #[napi(catch_unwind, ts_args_type = "done: (ok: boolean, value: any) => void")]
    pub fn readline(&self, done: Unknown) -> napi::Result<JsCall, ErrCode> {
        let done = done_arg(&self.ctx, done, "readline")?;
        self.ctx.spawn(self.r.readline(), done, bytes_value).map_err(convert::throw)
    }

    #[napi(catch_unwind, ts_args_type = "n: number, done: (ok: boolean, value: any) => void")]
    pub fn readexactly(&self, n: f64, done: Unknown) -> napi::Result<JsCall, ErrCode> {
        let done = done_arg(&self.ctx, done, "readexactly")?;
        self.ctx.spawn(self.r.readexactly(n as isize), done, bytes_value).map_err(convert::throw)
    }

    /// `readuntil(separator)`: one bytes-like separator, or an array of them.
    #[napi(catch_unwind, ts_args_type = "separator: Uint8Array | Uint8Array[], done: (ok: boolean, value: any) => void")]
    pub fn readuntil(&self, separator: Unknown, done: Unknown) -> napi::Result<JsCall, ErrCode> {
        let env = self.ctx.raw();
        let done = done_arg(&self.ctx, done, "readuntil")?;
        let raw = separator.raw();
        let seps: Vec<Vec<u8>> = match convert::bytes_of(env, raw) {
            Some(b) => vec![b.to_vec()],
            None => {
                let items = convert::array_arg(env, raw, "readuntil", "separator").map_err(|_| {
                    errors::type_error(format!(
                        "readuntil(): separator must be a bytes-like object or an array of them, not '{}'",
                        convert::type_name(env, raw)
                    ))
                })?;
                let mut seps = Vec::with_capacity(items.len());
                for v in items {
                    match convert::bytes_of(env, v) {
                        Some(b) => seps.push(b.to_vec()),
                        None => {
                            return Err(errors::type_error(format!(
                                "readuntil(): separator must be a bytes-like object, not '{}'",
                                convert::type_name(env, v)
                            )))
                        }
                    }
                }
                seps
            }
        };
        let refs: Vec<&[u8]> = seps.iter().map(Vec::as_slice).collect();
        self.ctx.spawn(self.r.readuntil_any(&refs), done, bytes_value).map_err(convert::throw)
    }

    /// Whether EOF was received and everything was read.
    #[napi(catch_unwind)]
    pub fn at_eof(&self) -> bool {
        self.r.at_eof()
    }

    /// The buffer limit.
    #[napi(getter, catch_unwind)]
    pub fn limit(&self) -> f64 {
        self.r.limit() as f64
    }

    /// asyncio's repr: `<StreamReader 5 bytes eof ...>`.
    #[napi(catch_unwind)]
    pub fn describe(&self) -> String {
        format!("{:?}", self.r)
    }
}

/// The write half of a stream (the package's `StreamWriter` wraps it).
#[napi(js_name = "NativeStreamWriter")]
pub struct JsStreamWriter {
    w: StreamWriter,
    ctx: Ctx,
}

#[napi]
impl JsStreamWriter {
    // Writes, closing and extra info are the transport's (`transport()`), as in asyncio's
    // StreamWriter; the package calls them there.

    /// Waits until the write buffer is down to its low-water mark.
    #[napi(catch_unwind, ts_args_type = "done: (ok: boolean, value: any) => void")]
    pub fn drain(&self, done: Unknown) -> napi::Result<JsCall, ErrCode> {
        let done = done_arg(&self.ctx, done, "drain")?;
        self.ctx.spawn(self.w.drain(), done, undefined_value).map_err(convert::throw)
    }

    /// Waits until the connection is lost.
    #[napi(catch_unwind, ts_args_type = "done: (ok: boolean, value: any) => void")]
    pub fn wait_closed(&self, done: Unknown) -> napi::Result<JsCall, ErrCode> {
        let done = done_arg(&self.ctx, done, "waitClosed")?;
        self.ctx.spawn(self.w.wait_closed(), done, undefined_value).map_err(convert::throw)
    }

    /// `writer.startTls(sslcontext, opts)`; `done(ok)` once the stream
    /// reads and writes through TLS.
    #[napi(catch_unwind, ts_args_type = "opts: NetStartTlsOptions, done: (ok: boolean, value: any) => void")]
    pub fn start_tls(&self, opts: crate::start_tls::NetStartTlsOptions, done: Unknown) -> napi::Result<crate::ctx::JsCall, ErrCode> {
        let done = done_arg(&self.ctx, done, "startTls")?;
        let ssl = crate::tls::context(opts.ssl_context, "startTls")?;
        let fut = self.w.start_tls(&ssl, crate::start_tls::start_tls_options(&opts));
        self.ctx.spawn(fut, done, undefined_value).map_err(convert::throw)
    }

    /// A new native object for the transport (the package keeps one wrapper).
    #[napi(catch_unwind)]
    pub fn transport(&self) -> JsTransport {
        JsTransport::new(self.w.transport(), self.ctx.clone(), Weak::new())
    }

    /// asyncio's repr: `<StreamWriter transport=... reader=...>`.
    #[napi(catch_unwind)]
    pub fn describe(&self) -> String {
        format!("{:?}", self.w)
    }
}

/// Settles the core future a stream server's connection task waits on.
#[napi(js_name = "NativeStreamDone")]
pub struct JsStreamDone {
    fut: evloop::Future<()>,
    ctx: Ctx,
}

#[napi]
impl JsStreamDone {
    /// `clientConnected` finished.
    #[napi(catch_unwind)]
    pub fn resolve(&self) {
        if !self.fut.done() {
            let _ = self.fut.set_result(());
        }
        self.ctx.wake();
    }

    /// `clientConnected` failed with `error` (kept as is for the report).
    #[napi(catch_unwind)]
    pub fn reject(&self, error: Unknown) {
        if !self.fut.done() {
            let _ = self.fut.set_exception(thrown::wrap(&self.ctx.env, error.raw()));
        }
        self.ctx.wake();
    }
}

/// The JS value of a core reader (needs an open handle scope).
pub(crate) fn reader_value(ctx: &Ctx, r: StreamReader) -> evloop::Result<sys::napi_value> {
    // SAFETY: env live inside the caller's scope.
    unsafe { JsStreamReader::to_napi_value(ctx.raw(), JsStreamReader { r, ctx: ctx.clone() }) }
        .map_err(|e| Error::Runtime(e.to_string()))
}

/// The JS value of a core writer (needs an open handle scope).
pub(crate) fn writer_value(ctx: &Ctx, w: StreamWriter) -> evloop::Result<sys::napi_value> {
    // SAFETY: env live inside the caller's scope.
    unsafe { JsStreamWriter::to_napi_value(ctx.raw(), JsStreamWriter { w, ctx: ctx.clone() }) }
        .map_err(|e| Error::Runtime(e.to_string()))
}

fn pair_value(ctx: &Ctx, (r, w): (StreamReader, StreamWriter)) -> evloop::Result<sys::napi_value> {
    let env = ctx.raw();
    // SAFETY: env live inside deliver's scope.
    let reader = unsafe { JsStreamReader::to_napi_value(env, JsStreamReader { r, ctx: ctx.clone() }) }
        .map_err(|e| Error::Runtime(e.to_string()))?;
    // SAFETY: as above.
    let writer = unsafe { JsStreamWriter::to_napi_value(env, JsStreamWriter { w, ctx: ctx.clone() }) }
        .map_err(|e| Error::Runtime(e.to_string()))?;
    Ok(convert::array(env, &[reader, writer]))
}

/// `openConnection(host, port, opts)`: `done(ok, [reader, writer])`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, host: string | null | undefined, port: number | null | undefined, opts: NetConnectionOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_open_connection(
    lp: &JsEventLoop,
    host: Option<String>,
    port: Option<u32>,
    opts: NetConnectionOptions,
    done: Unknown,
) -> napi::Result<JsCall, ErrCode> {
    const CALL: &str = "openConnection";
    let ctx = Ctx::of_caller(lp);
    let done = done_arg(&ctx, done, CALL)?;
    let port = server::port_arg(port, CALL)?;
    let options = StreamOptions {
        limit: limit_arg(opts.limit)?,
        options: server::connection_options(&opts, CALL)?,
    };
    let fut = ctx.lp.open_connection(host, port, options);
    ctx.spawn(fut, done, pair_value).map_err(convert::throw)
}

/// `openUnixConnection(path, opts)`: `done(ok, [reader, writer])`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, path: string | null | undefined, opts: NetConnectionOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_open_unix_connection(
    lp: &JsEventLoop,
    path: Option<String>,
    opts: NetConnectionOptions,
    done: Unknown,
) -> napi::Result<JsCall, ErrCode> {
    let ctx = Ctx::of_caller(lp);
    let done = done_arg(&ctx, done, "openUnixConnection")?;
    let options = StreamOptions {
        limit: limit_arg(opts.limit)?,
        options: UnixConnectionOptions { sock: opts.sock, tls: server::connection_tls(&opts, "openUnixConnection")? },
    };
    let fut = ctx.lp.open_unix_connection(path, options);
    ctx.spawn(fut, done, pair_value).map_err(convert::throw)
}

/// The per-connection callback of a stream server: calls the package's
/// `cb(reader, writer, done)` and returns the task body that waits for it.
fn client_connected(
    ctx: &Ctx,
    cb: JsRef,
) -> impl Fn(StreamReader, StreamWriter) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> + 'static {
    let ctx = ctx.clone();
    let cb = Rc::new(cb);
    move |r, w| {
        let fin = ctx.lp.create_future::<()>();
        start_client(&ctx, &cb, r, w.clone(), fin.clone());
        let ctx = ctx.clone();
        Box::pin(async move {
            if let Err(e) = fin.await {
                if !matches!(e, Error::Cancelled(_)) {
                    report_client_error(&ctx, &w, &e);
                }
                w.close();
            }
        })
    }
}

fn start_client(ctx: &Ctx, cb: &JsRef, r: StreamReader, w: StreamWriter, fin: evloop::Future<()>) {
    if !ctx.can_call() {
        let _ = fin.set_exception(Error::Runtime("the event loop is gone".into()));
        return;
    }
    let env = ctx.raw();
    let _scope = HandleScope::open(env);
    let values = (|| -> napi::Result<[sys::napi_value; 3]> {
        // SAFETY: env live inside the scope opened above.
        unsafe {
            Ok([
                JsStreamReader::to_napi_value(env, JsStreamReader { r, ctx: ctx.clone() })?,
                JsStreamWriter::to_napi_value(env, JsStreamWriter { w, ctx: ctx.clone() })?,
                JsStreamDone::to_napi_value(env, JsStreamDone { fut: fin.clone(), ctx: ctx.clone() })?,
            ])
        }
    })();
    match values {
        Ok(args) => {
            if let Err(exc) = ctx.call(null_mut(), cb.get(), &args) {
                if !fin.done() {
                    let _ = fin.set_exception(thrown::wrap(&ctx.env, exc));
                }
            }
        }
        Err(e) => {
            let _ = fin.set_exception(Error::Runtime(e.to_string()));
        }
    }
}

/// asyncio's report for a failed `client_connected_cb` task.
fn report_client_error(ctx: &Ctx, w: &StreamWriter, e: &Error) {
    let mut context = ExceptionContext::new("Unhandled exception in client_connected_cb")
        .with_exception(e.to_string())
        .with("transport", format!("{:?}", w.transport()));
    if ctx.can_call() {
        let env = ctx.raw();
        let _scope = HandleScope::open(env);
        let value = convert::error_value(env, e);
        context = context.with_payload(Rc::new(ctx::js_payload(&ctx.env, [("exception", value)].into_iter())));
    }
    ctx.lp.call_exception_handler(context);
}

/// `startServer(cb, host, port, opts)`: `done(ok, server)`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, cb: (reader: NativeStreamReader, writer: NativeStreamWriter, done: NativeStreamDone) => void, host: string | string[] | null | undefined, port: number | null | undefined, opts: NetServerOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_start_server(
    lp: &JsEventLoop,
    cb: Unknown,
    host: Unknown,
    port: Option<u32>,
    opts: NetServerOptions,
    done: Unknown,
) -> napi::Result<JsCall, ErrCode> {
    const CALL: &str = "startServer";
    let ctx = Ctx::of_caller(lp);
    let env = ctx.raw();
    let cb = convert::function_arg(&ctx.env, cb, CALL, "clientConnected")?;
    let done = done_arg(&ctx, done, CALL)?;
    let host = server::host_arg(env, host, CALL)?;
    let port = server::port_arg(port, CALL)?;
    let options = StreamOptions {
        limit: limit_arg(opts.limit)?,
        options: server::server_options(&opts, CALL)?,
    };
    let fut = ctx.lp.start_server(client_connected(&ctx, cb), host, port, options);
    ctx.spawn(fut, done, server::server_value).map_err(convert::throw)
}

/// `startUnixServer(cb, path, opts)`: `done(ok, server)`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, cb: (reader: NativeStreamReader, writer: NativeStreamWriter, done: NativeStreamDone) => void, path: string | null | undefined, opts: NetServerOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_start_unix_server(
    lp: &JsEventLoop,
    cb: Unknown,
    path: Option<String>,
    opts: NetServerOptions,
    done: Unknown,
) -> napi::Result<JsCall, ErrCode> {
    const CALL: &str = "startUnixServer";
    let ctx = Ctx::of_caller(lp);
    let cb = convert::function_arg(&ctx.env, cb, CALL, "clientConnected")?;
    let done = done_arg(&ctx, done, CALL)?;
    let options = StreamOptions {
        limit: limit_arg(opts.limit)?,
        options: server::unix_server_options(&opts, CALL)?,
    };
    let fut = ctx.lp.start_unix_server(client_connected(&ctx, cb), path, options);
    ctx.spawn(fut, done, server::server_value).map_err(convert::throw)
}

/// The package's loop object of the loop running on this thread, or null.
#[napi(catch_unwind, ts_return_type = "object | null")]
pub fn net_running_loop(env: Env) -> Unknown<'static> {
    let raw = env.raw();
    let owner = evloop::get_running_loop()
        .ok()
        .and_then(|lp| crate::driver::driver_of(&lp))
        .and_then(|d| d.entry().owner_value());
    convert::unknown(raw, owner.unwrap_or_else(|| convert::null(raw)))
}
