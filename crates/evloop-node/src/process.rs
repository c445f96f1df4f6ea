//! Pipes and subprocesses for JS: `connectReadPipe`/`connectWritePipe`,
//! `subprocessExec` (a `NativeSubprocessTransport` driving a JS
//! subprocess protocol) and `createSubprocessExec` (a `NativeProcess` with
//! the core's stream reader and writer). The package's one TS layer
//! (`core/process/`) wraps these; the shell forms are `/bin/sh -c` there.
//!
//! The JS protocol the core calls here is the package's adapter, which
//! wraps the native transport once and forwards to the user's protocol.

use std::ffi::OsString;
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::null_mut;
use std::rc::Rc;

use evloop::subprocess::{Stdio, SubprocessOptions, SubprocessProtocol, SubprocessTransport};
use evloop::{Error, PipeDirection, Process};
use napi::bindgen_prelude::{ToNapiValue, Unknown};
use napi::sys;
use napi_derive::napi;

use crate::convert;
use crate::ctx::Ctx;
use crate::errors::{self, ErrCode};
use crate::js_callback::{self, HandleScope, JsRef};
use crate::js_loop::JsEventLoop;
use crate::protocol::method;
use crate::server::{connection_factory, connection_value};
use crate::streams::{limit_arg, reader_value, writer_value};
use crate::thrown;
use crate::transport::JsTransport;

/// `loop.connectReadPipe` / `connectWritePipe(protocolFactory, fd)`;
/// `done(ok, [transport, protocol])`. The transport owns `fd` from then on
/// and closes it when the pipe is lost; a refused fd stays open.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, factory: () => object, fd: number, write: boolean, done: (ok: boolean, value: any) => void"
)]
pub fn net_connect_pipe(lp: &JsEventLoop, factory: Unknown, fd: f64, write: bool, done: Unknown) -> napi::Result<crate::ctx::JsCall, ErrCode> {
    let call = if write { "connectWritePipe" } else { "connectReadPipe" };
    let ctx = Ctx::of(lp);
    let factory = convert::function_arg(&ctx.env, factory, call, "protocolFactory")?;
    let done = convert::function_arg(&ctx.env, done, call, "done")?;
    if !(fd >= 0.0 && fd <= f64::from(i32::MAX) && fd.fract() == 0.0) {
        return Err(errors::value_error(format!("{call}(): pipe must be a file descriptor (an integer >= 0), got {fd}")));
    }
    let direction = if write { PipeDirection::Write } else { PipeDirection::Read };
    // SAFETY: borrowed only for fstat; EBADF if it is not open.
    evloop::check_pipe(unsafe { BorrowedFd::borrow_raw(fd as i32) }, direction).map_err(convert::throw)?;
    // SAFETY: checked open above; from here the transport owns it, as
    // asyncio's pipe transports own their pipe.
    let owned = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let fut = ctx.lp.connect_pipe_with(connection_factory(&ctx, factory), owned, direction);
    ctx.spawn(fut, done, connection_value).map_err(convert::throw)
}

/// The options of `subprocessExec`, normalized by the package: each stream
/// `-1` PIPE, `-2` STDOUT, `-3` DEVNULL, an fd, or null (inherit); `env`
/// as `KEY=value` strings (the whole environment).
#[napi(object)]
pub struct NativeSubprocessOptions {
    pub stdin: Option<f64>,
    pub stdout: Option<f64>,
    pub stderr: Option<f64>,
    pub cwd: Option<String>,
    pub env: Option<Vec<String>>,
}

fn stdio_arg(v: Option<f64>, call: &str, what: &str) -> napi::Result<Stdio, ErrCode> {
    match v {
        None => Ok(Stdio::Inherit),
        Some(n) if n.fract() == 0.0 => Stdio::from_number(n as i64).map_err(|e| errors::value_error(format!("{call}(): {what}: {}", e.message()))),
        Some(n) => Err(errors::value_error(format!("{call}(): {what} must be PIPE, DEVNULL, STDOUT, an fd or null, got {n}"))),
    }
}

fn options(o: NativeSubprocessOptions, call: &str) -> napi::Result<SubprocessOptions, ErrCode> {
    let env = o.env.map(|vars| {
        vars.into_iter()
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => (OsString::from(k), OsString::from(v)),
                None => (OsString::from(kv), OsString::new()),
            })
            .collect()
    });
    Ok(SubprocessOptions {
        stdin: stdio_arg(o.stdin, call, "stdin")?,
        stdout: stdio_arg(o.stdout, call, "stdout")?,
        stderr: stdio_arg(o.stderr, call, "stderr")?,
        cwd: o.cwd.map(Into::into),
        env,
    })
}

/// The package's subprocess protocol adapter, as the core's protocol.
struct JsSubprocessProtocol {
    ctx: Ctx,
    obj: JsRef,
}

impl JsSubprocessProtocol {
    /// Calls `this.<name>(...args)` if it is a method; a throw is the error.
    fn notify(&self, name: &std::ffi::CStr, args: impl FnOnce(sys::napi_env) -> Vec<sys::napi_value>) -> evloop::Result<()> {
        if !self.ctx.can_call() {
            return Ok(());
        }
        let env = self.ctx.raw();
        let _scope = HandleScope::open(env);
        let obj = self.obj.get();
        let Some(f) = method(env, obj, name) else { return Ok(()) };
        let argv = args(env);
        self.ctx.call(obj, f, &argv).map(|_| ()).map_err(|exc| thrown::wrap(&self.ctx.env, exc))
    }
}

fn exc_value(env: sys::napi_env, exc: &Option<Error>) -> sys::napi_value {
    match exc {
        None => convert::null(env),
        Some(e) => convert::error_value(env, e),
    }
}

impl SubprocessProtocol for JsSubprocessProtocol {
    fn connection_made(&self, transport: &SubprocessTransport) -> evloop::Result<()> {
        let ctx = self.ctx.clone();
        let t = transport.clone();
        self.notify(c"connectionMade", move |env| vec![subprocess_transport_value(&ctx, t).unwrap_or_else(|_| convert::null(env))])
    }
    fn pipe_data_received(&self, fd: i32, data: &[u8]) -> evloop::Result<()> {
        self.notify(c"pipeDataReceived", |env| vec![js_callback::number(env, f64::from(fd)), js_callback::buffer_copy(env, data)])
    }
    fn pipe_connection_lost(&self, fd: i32, exc: Option<Error>) -> evloop::Result<()> {
        self.notify(c"pipeConnectionLost", |env| vec![js_callback::number(env, f64::from(fd)), exc_value(env, &exc)])
    }
    fn process_exited(&self) -> evloop::Result<()> {
        self.notify(c"processExited", |_| Vec::new())
    }
    fn connection_lost(&self, exc: Option<Error>) -> evloop::Result<()> {
        self.notify(c"connectionLost", |env| vec![exc_value(env, &exc)])
    }
    fn pause_writing(&self) -> evloop::Result<()> {
        self.notify(c"pauseWriting", |_| Vec::new())
    }
    fn resume_writing(&self) -> evloop::Result<()> {
        self.notify(c"resumeWriting", |_| Vec::new())
    }
}

fn subprocess_transport_value(ctx: &Ctx, t: SubprocessTransport) -> evloop::Result<sys::napi_value> {
    // SAFETY: env live inside the caller's scope.
    unsafe { JsSubprocessTransport::to_napi_value(ctx.raw(), JsSubprocessTransport { t, ctx: ctx.clone() }) }
        .map_err(|e| Error::Runtime(e.to_string()))
}

/// `loop.subprocessExec(protocolFactory, program, args, opts)`;
/// `done(ok, [nativeTransport, protocol])`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, factory: () => object, program: string, args: string[], opts: NativeSubprocessOptions, done: (ok: boolean, value: any) => void"
)]
pub fn net_subprocess_exec(
    lp: &JsEventLoop,
    factory: Unknown,
    program: String,
    args: Vec<String>,
    opts: NativeSubprocessOptions,
    done: Unknown,
) -> napi::Result<crate::ctx::JsCall, ErrCode> {
    const CALL: &str = "subprocessExec";
    let ctx = Ctx::of(lp);
    let factory = convert::function_arg(&ctx.env, factory, CALL, "protocolFactory")?;
    let done = convert::function_arg(&ctx.env, done, CALL, "done")?;
    let opts = options(opts, CALL)?;
    let args: Vec<OsString> = args.into_iter().map(OsString::from).collect();
    let fctx = ctx.clone();
    let make = move || {
        if !fctx.can_call() {
            return Err(Error::Runtime("the event loop is gone".into()));
        }
        let env = fctx.raw();
        let _scope = HandleScope::open(env);
        let obj = fctx.call(null_mut(), factory.get(), &[]).map_err(|exc| thrown::wrap(&fctx.env, exc))?;
        let obj = JsRef::new(&fctx.env, obj).ok_or_else(|| Error::Runtime("cannot reference the protocol".into()))?;
        Ok(Rc::new(JsSubprocessProtocol { ctx: fctx.clone(), obj }))
    };
    let fut = ctx.lp.subprocess_exec(make, program, &args, opts);
    ctx.spawn(fut, done, |ctx, (t, p): (SubprocessTransport, Rc<JsSubprocessProtocol>)| {
        let env = ctx.raw();
        Ok(convert::array(env, &[subprocess_transport_value(ctx, t)?, p.obj.get()]))
    })
    .map_err(convert::throw)
}

/// A child process (the package's `SubprocessTransport` wraps it).
#[napi(js_name = "NativeSubprocessTransport")]
pub struct JsSubprocessTransport {
    t: SubprocessTransport,
    ctx: Ctx,
}

fn signal_result(r: evloop::Result<()>, ctx: &Ctx) -> napi::Result<(), ErrCode> {
    ctx.wake();
    r.map_err(convert::throw)
}

#[napi]
impl JsSubprocessTransport {
    #[napi(catch_unwind)]
    pub fn get_pid(&self) -> i32 {
        self.t.get_pid()
    }

    /// The return code, or null while the child runs.
    #[napi(catch_unwind)]
    pub fn get_returncode(&self) -> Option<i32> {
        self.t.get_returncode()
    }

    /// A new native transport of pipe `fd`, or null (the package keeps one wrapper per fd).
    #[napi(catch_unwind)]
    pub fn get_pipe_transport(&self, fd: i32) -> Option<JsTransport> {
        self.t.get_pipe_transport(fd).map(|p| JsTransport::new(p, self.ctx.clone(), std::rc::Weak::new()))
    }

    #[napi(catch_unwind)]
    pub fn send_signal(&self, sig: i32) -> napi::Result<(), ErrCode> {
        signal_result(self.t.send_signal(sig), &self.ctx)
    }

    #[napi(catch_unwind)]
    pub fn terminate(&self) -> napi::Result<(), ErrCode> {
        signal_result(self.t.terminate(), &self.ctx)
    }

    #[napi(catch_unwind)]
    pub fn kill(&self) -> napi::Result<(), ErrCode> {
        signal_result(self.t.kill(), &self.ctx)
    }

    #[napi(catch_unwind)]
    pub fn close(&self) {
        self.t.close();
        self.ctx.wake();
    }

    #[napi(catch_unwind)]
    pub fn is_closing(&self) -> bool {
        self.t.is_closing()
    }

    /// `done(ok, returncode)` once the child exited and its pipes closed.
    #[napi(catch_unwind, ts_args_type = "done: (ok: boolean, value: any) => void")]
    pub fn wait(&self, done: Unknown) -> napi::Result<(), ErrCode> {
        let done = convert::function_arg(&self.ctx.env, done, "wait", "done")?;
        self.ctx.on_done(&self.t.wait(), done, |ctx, code| Ok(js_callback::number(ctx.raw(), f64::from(code))));
        Ok(())
    }

    #[napi(catch_unwind)]
    pub fn describe(&self) -> String {
        format!("{:?}", self.t)
    }
}

/// `createSubprocessExec(program, args, opts)` on `lp`: `done(ok, NativeProcess)`.
#[napi(
    catch_unwind,
    ts_args_type = "lp: NativeEventLoop, program: string, args: string[], opts: NativeSubprocessOptions, limit: number | null | undefined, done: (ok: boolean, value: any) => void"
)]
pub fn net_create_subprocess_exec(
    lp: &JsEventLoop,
    program: String,
    args: Vec<String>,
    opts: NativeSubprocessOptions,
    limit: Option<f64>,
    done: Unknown,
) -> napi::Result<crate::ctx::JsCall, ErrCode> {
    const CALL: &str = "createSubprocessExec";
    let ctx = Ctx::of(lp);
    let done = convert::function_arg(&ctx.env, done, CALL, "done")?;
    let opts = options(opts, CALL)?;
    let limit = limit_arg(limit)?;
    let args: Vec<OsString> = args.into_iter().map(OsString::from).collect();
    let fut = ctx.lp.create_subprocess_exec(program, &args, opts, limit);
    ctx.spawn(fut, done, |ctx, p| {
        // SAFETY: env live inside deliver's scope.
        unsafe { JsProcess::to_napi_value(ctx.raw(), JsProcess { p, ctx: ctx.clone() }) }.map_err(|e| Error::Runtime(e.to_string()))
    })
    .map_err(convert::throw)
}

/// A child whose pipes are streams (the package's `Process` wraps it).
#[napi(js_name = "NativeProcess")]
pub struct JsProcess {
    p: Process,
    ctx: Ctx,
}

#[napi]
impl JsProcess {
    #[napi(getter, catch_unwind)]
    pub fn pid(&self) -> i32 {
        self.p.pid()
    }

    #[napi(catch_unwind)]
    pub fn returncode(&self) -> Option<i32> {
        self.p.returncode()
    }

    /// The stdin writer, or null.
    #[napi(catch_unwind, ts_return_type = "NativeStreamWriter | null")]
    pub fn stdin(&self) -> Unknown<'static> {
        let env = self.ctx.raw();
        let v = self.p.stdin().and_then(|w| writer_value(&self.ctx, w).ok()).unwrap_or_else(|| convert::null(env));
        convert::unknown(env, v)
    }

    /// The stdout reader, or null.
    #[napi(catch_unwind, ts_return_type = "NativeStreamReader | null")]
    pub fn stdout(&self) -> Unknown<'static> {
        let env = self.ctx.raw();
        let v = self.p.stdout().and_then(|r| reader_value(&self.ctx, r).ok()).unwrap_or_else(|| convert::null(env));
        convert::unknown(env, v)
    }

    /// The stderr reader, or null.
    #[napi(catch_unwind, ts_return_type = "NativeStreamReader | null")]
    pub fn stderr(&self) -> Unknown<'static> {
        let env = self.ctx.raw();
        let v = self.p.stderr().and_then(|r| reader_value(&self.ctx, r).ok()).unwrap_or_else(|| convert::null(env));
        convert::unknown(env, v)
    }

    /// `done(ok, returncode)`.
    #[napi(catch_unwind, ts_args_type = "done: (ok: boolean, value: any) => void")]
    pub fn wait(&self, done: Unknown) -> napi::Result<(), ErrCode> {
        let done = convert::function_arg(&self.ctx.env, done, "wait", "done")?;
        self.ctx.on_done(&self.p.wait(), done, |ctx, code| Ok(js_callback::number(ctx.raw(), f64::from(code))));
        Ok(())
    }

    /// The native transport underneath (the package sends the process's
    /// signals through it, as the core's `Process` does).
    #[napi(catch_unwind)]
    pub fn transport(&self) -> JsSubprocessTransport {
        JsSubprocessTransport { t: self.p.transport(), ctx: self.ctx.clone() }
    }

    #[napi(catch_unwind)]
    pub fn describe(&self) -> String {
        format!("{:?}", self.p)
    }
}

