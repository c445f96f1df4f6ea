//! `SubprocessTransport` (asyncio's `BaseSubprocessTransport`): the
//! child, its pipe transports and the order of the protocol calls.
//!
//! - The pipes are connected first (each pipe transport's own
//!   `connection_made` runs), then `connection_made(transport)`. Until
//!   then, what the pipes and the exit watcher report is queued, and it
//!   follows `connection_made` in order.
//! - Every protocol call goes through `call_soon`, as asyncio's `_call`.
//! - `process_exited()` when the child is reaped; `pipe_connection_lost`
//!   per pipe; once both the exit and every pipe's loss are in,
//!   `connection_lost(None)`, and then `wait()` resolves. So a `wait()`er
//!   sees all the output delivered.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use super::exit_watch::ExitWatch;
use super::SubprocessProtocol;
use crate::error::{Error, Result};
use crate::exception::ExceptionContext;
use crate::future::Future;
use crate::transport::{call_protocol, Protocol, Transport};
use crate::EventLoop;

/// One of the child's pipes, as asyncio's `ReadSubprocessPipeProto` /
/// `WriteSubprocessPipeProto` sees it.
#[derive(Default)]
struct PipeSlot {
    /// This stream is a pipe (`PIPE`).
    wanted: bool,
    transport: Option<Transport>,
    disconnected: bool,
}

/// A protocol call queued before `connection_made`: its label and the call.
type Pending = (&'static str, Box<dyn FnOnce()>);

pub(crate) struct Inner {
    lp: EventLoop,
    pid: i32,
    returncode: Cell<Option<i32>>,
    /// `None` once `connection_lost` ran.
    protocol: RefCell<Option<Rc<dyn SubprocessProtocol>>>,
    pipes: RefCell<[PipeSlot; 3]>,
    /// Calls queued until `connection_made`; `None` from then on.
    pending: RefCell<Option<Vec<Pending>>>,
    exit_waiters: RefCell<Vec<Future<i32>>>,
    closed: Cell<bool>,
    finished: Cell<bool>,
    watch: RefCell<Option<Rc<ExitWatch>>>,
}

/// A running (or finished) child process. Clones are the same transport.
#[derive(Clone)]
pub struct SubprocessTransport(pub(crate) Rc<Inner>);

impl SubprocessTransport {
    pub(crate) fn new(lp: &EventLoop, pid: i32, protocol: Rc<dyn SubprocessProtocol>, wanted: [bool; 3]) -> SubprocessTransport {
        let pipes = wanted.map(|wanted| PipeSlot { wanted, ..PipeSlot::default() });
        SubprocessTransport(Rc::new(Inner {
            lp: lp.clone(),
            pid,
            returncode: Cell::new(None),
            protocol: RefCell::new(Some(protocol)),
            pipes: RefCell::new(pipes),
            pending: RefCell::new(Some(Vec::new())),
            exit_waiters: RefCell::new(Vec::new()),
            closed: Cell::new(false),
            finished: Cell::new(false),
            watch: RefCell::new(None),
        }))
    }

    pub(crate) fn set_watch(&self, watch: Rc<ExitWatch>) {
        *self.0.watch.borrow_mut() = Some(watch);
    }

    /// A protocol for pipe `fd` (0, 1, 2) that reports to this transport.
    pub(crate) fn pipe_protocol(&self, fd: i32) -> Rc<dyn Protocol> {
        Rc::new(PipeProto { proc: self.clone(), fd })
    }

    /// Pipe `fd`'s transport, as soon as it exists.
    pub(crate) fn set_pipe_transport(&self, fd: usize, t: Transport) {
        self.0.pipes.borrow_mut()[fd].transport = Some(t);
    }

    /// The pipes are connected: `connection_made`, then what was queued.
    pub(crate) fn connected(&self, waiter: Future<()>) {
        let t = self.clone();
        let _ = self.0.lp.call_soon_labelled(Cow::Borrowed("SubprocessTransport._connect_pipes"), move || {
            let proto = t.0.protocol.borrow().clone();
            if let Some(p) = proto {
                let t2 = t.clone();
                t.call_now("SubprocessProtocol.connection_made", move || p.connection_made(&t2));
            }
            let pending = t.0.pending.borrow_mut().take().unwrap_or_default();
            for (label, f) in pending {
                let _ = t.0.lp.call_soon_labelled(Cow::Borrowed(label), f);
            }
            if !waiter.done() {
                let _ = waiter.set_result(());
            }
        });
    }

    /// asyncio's `_call`: queued before `connection_made`, else `call_soon`.
    fn call(&self, label: &'static str, f: impl FnOnce(&Rc<dyn SubprocessProtocol>) -> Result<()> + 'static) {
        let t = self.clone();
        let run: Box<dyn FnOnce()> = Box::new(move || {
            let proto = t.0.protocol.borrow().clone();
            if let Some(p) = proto {
                t.report(label, call_protocol(|| f(&p)));
            }
        });
        if let Some(pending) = self.0.pending.borrow_mut().as_mut() {
            pending.push((label, run));
            return;
        }
        let _ = self.0.lp.call_soon_labelled(Cow::Borrowed(label), run);
    }

    fn call_now(&self, label: &'static str, f: impl FnOnce() -> Result<()>) {
        self.report(label, call_protocol(f));
    }

    fn report(&self, label: &'static str, result: Result<()>) {
        if let Err(e) = result {
            self.0.lp.call_exception_handler(
                ExceptionContext::new(format!("Exception in callback {label}"))
                    .with_error(e)
                    .with("transport", format!("{self:?}")),
            );
        }
    }

    /// The exit watcher reaped the child.
    pub(crate) fn process_exited(&self, code: i32) {
        self.0.returncode.set(Some(code));
        self.call("SubprocessProtocol.process_exited", |p| p.process_exited());
        self.try_finish();
    }

    fn pipe_data_received(&self, fd: i32, data: &[u8]) {
        let data = data.to_vec();
        self.call("SubprocessProtocol.pipe_data_received", move |p| p.pipe_data_received(fd, &data));
    }

    fn pipe_connection_lost(&self, fd: i32, exc: Option<Error>) {
        if let Some(slot) = self.0.pipes.borrow_mut().get_mut(fd as usize) {
            slot.disconnected = true;
        }
        self.call("SubprocessProtocol.pipe_connection_lost", move |p| p.pipe_connection_lost(fd, exc));
        self.try_finish();
    }

    /// Once the child exited and every pipe is lost: `connection_lost`.
    fn try_finish(&self) {
        if self.0.finished.get() || self.0.returncode.get().is_none() {
            return;
        }
        let all_lost = self.0.pipes.borrow().iter().all(|s| !s.wanted || (s.transport.is_some() && s.disconnected));
        if !all_lost {
            return;
        }
        self.0.finished.set(true);
        let t = self.clone();
        self.call("SubprocessTransport._call_connection_lost", move |_| {
            t.call_connection_lost();
            Ok(())
        });
    }

    fn call_connection_lost(&self) {
        let proto = self.0.protocol.borrow_mut().take();
        if let Some(p) = proto {
            self.call_now("SubprocessProtocol.connection_lost", || p.connection_lost(None));
        }
        let code = self.0.returncode.get().unwrap_or(255);
        for w in self.0.exit_waiters.borrow_mut().drain(..) {
            if !w.cancelled() {
                let _ = w.set_result(code);
            }
        }
    }

    // ----- the public surface -----

    /// The child's process id.
    pub fn get_pid(&self) -> i32 {
        self.0.pid
    }

    /// The exit status once the child was reaped: the code it exited with,
    /// or minus the signal that ended it; `None` while it runs.
    pub fn get_returncode(&self) -> Option<i32> {
        self.0.returncode.get()
    }

    /// The transport of pipe `fd` (0 stdin, 1 stdout, 2 stderr), or `None`
    /// if that stream is not a pipe.
    pub fn get_pipe_transport(&self, fd: i32) -> Option<Transport> {
        self.0.pipes.borrow().get(usize::try_from(fd).ok()?)?.transport.clone()
    }

    /// Sends signal `sig`; a no-op once the child was reaped.
    ///
    /// # Errors
    /// `ProcessLookupError` once the transport finished (as asyncio's
    /// `_check_proc`); other `OSError`s (`EINVAL` for a bad signal).
    pub fn send_signal(&self, sig: i32) -> Result<()> {
        if self.0.finished.get() && self.0.protocol.borrow().is_none() {
            return Err(Error::os_with_message("kill", libc::ESRCH, "[Errno 3] No such process"));
        }
        match self.0.watch.borrow().as_ref() {
            Some(w) => w.send_signal(sig),
            None => Ok(()),
        }
    }

    /// `send_signal(SIGTERM)`.
    ///
    /// # Errors
    /// As `send_signal`.
    pub fn terminate(&self) -> Result<()> {
        self.send_signal(libc::SIGTERM)
    }

    /// `send_signal(SIGKILL)`.
    ///
    /// # Errors
    /// As `send_signal`.
    pub fn kill(&self) -> Result<()> {
        self.send_signal(libc::SIGKILL)
    }

    /// Whether `close()` was called.
    pub fn is_closing(&self) -> bool {
        self.0.closed.get()
    }

    /// Closes the pipes and kills the child if it still runs (asyncio's
    /// `close()`); the exit is still watched, so it is reaped and
    /// `connection_lost` follows. Idempotent.
    pub fn close(&self) {
        if self.0.closed.replace(true) {
            return;
        }
        let transports: Vec<Transport> = self.0.pipes.borrow().iter().filter_map(|s| s.transport.clone()).collect();
        for t in transports {
            t.close();
        }
        if self.0.returncode.get().is_none() {
            let _ = self.kill();
        }
    }

    /// Its loop closed while the child may still run: as `close()` (the
    /// pipes closed, a running child killed; asyncio's transport does this
    /// when it is closed or collected, warning in debug mode), and then,
    /// since nothing runs on a closed loop any more, the child is reaped
    /// here (a bounded wait: SIGKILL ends it promptly), its pidfd closed and
    /// the protocol forgotten without `connection_lost`. The transport, its
    /// watch and its protocol hold each other: this breaks the cycle.
    pub(crate) fn release_at_loop_close(&self) {
        let watch = self.0.watch.borrow_mut().take();
        // A child that exited already is reaped, not killed (asyncio's
        // `self._proc.poll() is None` check).
        if self.0.returncode.get().is_none() {
            if let Some(code) = watch.as_ref().and_then(|w| w.reap_now()) {
                self.0.returncode.set(Some(code));
            }
        }
        let running = self.0.returncode.get().is_none() && watch.is_some();
        if running && self.0.lp.get_debug() {
            log::warn!(target: "evloop", "Close running child process: kill {self:?}");
        }
        self.0.closed.set(true);
        let pipes: Vec<Transport> = self.0.pipes.borrow_mut().iter_mut().filter_map(|s| s.transport.take()).collect();
        for t in pipes {
            t.release_at_loop_close();
        }
        if let Some(watch) = watch {
            if running {
                if let Some(code) = watch.kill_and_reap_at_loop_close() {
                    self.0.returncode.set(Some(code));
                }
            }
            watch.release();
        }
        self.0.protocol.borrow_mut().take();
        self.0.pending.borrow_mut().take();
        self.0.exit_waiters.borrow_mut().clear();
    }

    /// Resolves to the return code once `connection_lost` ran (asyncio's
    /// `_wait()`).
    pub fn wait(&self) -> Future<i32> {
        let f = self.0.lp.create_future::<i32>();
        if self.0.finished.get() && self.0.protocol.borrow().is_none() {
            let _ = f.set_result(self.0.returncode.get().unwrap_or(255));
        } else {
            self.0.exit_waiters.borrow_mut().push(f.clone());
        }
        f
    }

    /// The loop the transport runs on.
    pub fn get_loop(&self) -> EventLoop {
        self.0.lp.clone()
    }

    /// Whether the two are the same transport.
    pub fn ptr_eq(&self, other: &SubprocessTransport) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for SubprocessTransport {
    /// `<_UnixSubprocessTransport pid=123 running stdin=<...>>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<_UnixSubprocessTransport")?;
        if self.0.closed.get() {
            write!(f, " closed")?;
        }
        write!(f, " pid={}", self.0.pid)?;
        match self.0.returncode.get() {
            Some(code) => write!(f, " returncode={code}")?,
            None => write!(f, " running")?,
        }
        for (fd, name) in [(0, "stdin"), (1, "stdout"), (2, "stderr")] {
            if let Some(t) = self.get_pipe_transport(fd) {
                write!(f, " {name}={t:?}")?;
            }
        }
        write!(f, ">")
    }
}

/// The protocol of one of the child's pipes: forwards to the transport.
/// It holds the transport, as asyncio's does; the pipe transport lets go
/// of it when the pipe is lost.
struct PipeProto {
    proc: SubprocessTransport,
    fd: i32,
}

impl PipeProto {
    fn subprocess_protocol(&self) -> Option<Rc<dyn SubprocessProtocol>> {
        self.proc.0.protocol.borrow().clone()
    }
}

impl Protocol for PipeProto {
    fn data_received(&self, data: &[u8]) -> Result<()> {
        self.proc.pipe_data_received(self.fd, data);
        Ok(())
    }
    fn connection_lost(&self, exc: Option<Error>) -> Result<()> {
        self.proc.pipe_connection_lost(self.fd, exc);
        Ok(())
    }
    fn pause_writing(&self) -> Result<()> {
        self.subprocess_protocol().map_or(Ok(()), |p| p.pause_writing())
    }
    fn resume_writing(&self) -> Result<()> {
        self.subprocess_protocol().map_or(Ok(()), |p| p.resume_writing())
    }
    fn describe(&self) -> String {
        format!("<SubprocessPipeProto fd={}>", self.fd)
    }
}
