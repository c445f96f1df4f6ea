//! Subprocesses (asyncio's `loop.subprocess_exec` / `subprocess_shell`):
//! a child started with the stdio asked for, its pipes as pipe transports
//! (`crate::pipe`), its exit watched without blocking (`exit_watch`), and
//! a [`SubprocessProtocol`] told what happens in asyncio's order
//! (`transport`).

mod exit_watch;
mod spawn;
mod transport;

use std::ffi::{OsStr, OsString};
use std::os::fd::RawFd;
use std::path::PathBuf;
use std::rc::Rc;

pub use exit_watch::force_exit_polling;
pub use transport::SubprocessTransport;
pub(crate) use transport::Inner as TransportInner;

use crate::error::{Error, Result};
use crate::pipe::PipeDirection;
use crate::transport::call_protocol;
use crate::EventLoop;

/// Where one of the child's standard streams goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdio {
    /// A new pipe, read or written through a pipe transport (`PIPE`).
    Pipe,
    /// `/dev/null` (`DEVNULL`).
    DevNull,
    /// stderr only: wherever stdout goes (`STDOUT`).
    Stdout,
    /// A duplicate of this fd of ours (it stays open and ours).
    Fd(RawFd),
    /// Ours, inherited (`None` in asyncio).
    Inherit,
}

impl Stdio {
    /// Python's numbers: `PIPE` -1, `STDOUT` -2, `DEVNULL` -3; other
    /// non-negative numbers are fds.
    ///
    /// # Errors
    /// `ValueError` for another negative number.
    pub fn from_number(n: i64) -> Result<Stdio> {
        match n {
            -1 => Ok(Stdio::Pipe),
            -2 => Ok(Stdio::Stdout),
            -3 => Ok(Stdio::DevNull),
            n if (0..=i64::from(i32::MAX)).contains(&n) => Ok(Stdio::Fd(n as RawFd)),
            n => Err(Error::Value(format!("invalid stdio value {n}: expected PIPE, DEVNULL, STDOUT or an fd"))),
        }
    }
}

/// How to start the child. `Default`: every stream a pipe, our working
/// directory and environment (asyncio's `loop.subprocess_exec` defaults).
#[derive(Clone, Debug)]
pub struct SubprocessOptions {
    /// The child's stdin.
    pub stdin: Stdio,
    /// The child's stdout.
    pub stdout: Stdio,
    /// The child's stderr.
    pub stderr: Stdio,
    /// The working directory; `None`: ours.
    pub cwd: Option<PathBuf>,
    /// The whole environment; `None`: ours.
    pub env: Option<Vec<(OsString, OsString)>>,
}

impl Default for SubprocessOptions {
    fn default() -> Self {
        SubprocessOptions { stdin: Stdio::Pipe, stdout: Stdio::Pipe, stderr: Stdio::Pipe, cwd: None, env: None }
    }
}

/// Receives a child's events (asyncio's `SubprocessProtocol`). Every
/// method has a default that does nothing; see [`SubprocessTransport`]
/// for the order.
pub trait SubprocessProtocol {
    /// The pipes are connected; keep `transport`.
    fn connection_made(&self, _transport: &SubprocessTransport) -> Result<()> {
        Ok(())
    }
    /// The child wrote `data` to its stdout (`fd` 1) or stderr (2).
    fn pipe_data_received(&self, _fd: i32, _data: &[u8]) -> Result<()> {
        Ok(())
    }
    /// Pipe `fd` closed: `None` for a clean close, else the error.
    fn pipe_connection_lost(&self, _fd: i32, _exc: Option<Error>) -> Result<()> {
        Ok(())
    }
    /// The child exited (and was reaped): `get_returncode()` has its code.
    fn process_exited(&self) -> Result<()> {
        Ok(())
    }
    /// The child exited and every pipe is closed: the last call.
    fn connection_lost(&self, _exc: Option<Error>) -> Result<()> {
        Ok(())
    }
    /// The stdin pipe's buffer went over its high-water mark.
    fn pause_writing(&self) -> Result<()> {
        Ok(())
    }
    /// The stdin pipe's buffer drained to its low-water mark.
    fn resume_writing(&self) -> Result<()> {
        Ok(())
    }
}

/// What a subprocess protocol factory returns: an `Rc` of a protocol, of
/// its concrete type (so a binding gets its own type back) or as
/// `Rc<dyn SubprocessProtocol>`.
pub trait IntoSubprocessProtocol: Clone + 'static {
    /// The protocol the transport drives.
    fn into_subprocess_protocol(self) -> Rc<dyn SubprocessProtocol>;
}

impl<P: SubprocessProtocol + 'static> IntoSubprocessProtocol for Rc<P> {
    fn into_subprocess_protocol(self) -> Rc<dyn SubprocessProtocol> {
        self
    }
}

impl IntoSubprocessProtocol for Rc<dyn SubprocessProtocol> {
    fn into_subprocess_protocol(self) -> Rc<dyn SubprocessProtocol> {
        self
    }
}

impl EventLoop {
    /// Starts `program` with `args` (not including the program name) and
    /// resolves to the transport and protocol once the pipes are
    /// connected and `connection_made` has run.
    ///
    /// # Errors
    /// `ValueError` for `STDOUT` as stdin or stdout; `FileNotFoundError`,
    /// `PermissionError` and other `OSError`s from starting the program;
    /// the factory's error; `RuntimeError` on a closed loop.
    pub fn subprocess_exec<P: IntoSubprocessProtocol>(
        &self,
        factory: impl FnOnce() -> Result<P> + 'static,
        program: impl AsRef<OsStr>,
        args: &[OsString],
        opts: SubprocessOptions,
    ) -> impl std::future::Future<Output = Result<(SubprocessTransport, P)>> + 'static {
        let started = self.start_subprocess(factory, program.as_ref().to_owned(), args.to_vec(), &opts);
        let lp = self.clone();
        async move {
            let (transport, protocol, waiter) = started?;
            // Dropped (a cancelled task): the child is killed and its exit
            // watcher reaps it.
            let guard = crate::close_guard::CloseUnlessKept::new(transport.clone());
            if let Err(e) = waiter.await {
                // As asyncio: kill the child, wait for it, then fail.
                drop(guard);
                let _ = transport.wait().await;
                drop(lp);
                return Err(e);
            }
            guard.keep();
            Ok((transport, protocol))
        }
    }

    /// Runs `cmd` with `/bin/sh -c`, as [`subprocess_exec`](Self::subprocess_exec).
    ///
    /// # Errors
    /// As `subprocess_exec`.
    pub fn subprocess_shell<P: IntoSubprocessProtocol>(
        &self,
        factory: impl FnOnce() -> Result<P> + 'static,
        cmd: impl AsRef<OsStr>,
        opts: SubprocessOptions,
    ) -> impl std::future::Future<Output = Result<(SubprocessTransport, P)>> + 'static {
        let args = [OsString::from("-c"), cmd.as_ref().to_owned()];
        self.subprocess_exec(factory, "/bin/sh", &args, opts)
    }

    #[allow(clippy::type_complexity)]
    fn start_subprocess<P: IntoSubprocessProtocol>(
        &self,
        factory: impl FnOnce() -> Result<P>,
        program: OsString,
        args: Vec<OsString>,
        opts: &SubprocessOptions,
    ) -> Result<(SubprocessTransport, P, crate::Future<()>)> {
        self.check_open()?;
        let protocol = call_protocol(factory)?;
        let spawned = spawn::spawn(&program, &args, opts)?;
        let wanted = [0, 1, 2].map(|i| spawned.pipes[i].is_some());
        let transport = SubprocessTransport::new(self, spawned.pid, protocol.clone().into_subprocess_protocol(), wanted);
        // The watch holds the transport until the child is reaped.
        let t = transport.clone();
        let watch = exit_watch::ExitWatch::start(self, spawned.pid, Box::new(move |code| t.process_exited(code)))?;
        transport.set_watch(watch);
        self.claim_child(std::rc::Rc::downgrade(&transport.0));
        let [stdin, stdout, stderr] = spawned.pipes;
        for (fd, end) in [(0, stdin), (1, stdout), (2, stderr)] {
            let Some(end) = end else { continue };
            let direction = if fd == 0 { PipeDirection::Write } else { PipeDirection::Read };
            match self.pipe_transport(end, transport.pipe_protocol(fd as i32), direction, None) {
                Ok(pipe) => transport.set_pipe_transport(fd, pipe),
                Err(e) => {
                    transport.close();
                    return Err(e);
                }
            }
        }
        let waiter = self.create_future::<()>();
        transport.connected(waiter.clone());
        Ok((transport, protocol, waiter))
    }
}
