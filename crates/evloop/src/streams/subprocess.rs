//! `create_subprocess_exec` / `create_subprocess_shell` (asyncio's
//! `asyncio/subprocess.py`): a child whose pipes are streams. stdout and
//! stderr feed [`StreamReader`]s, stdin is a [`StreamWriter`] whose
//! `drain()` follows the stdin pipe's flow control; the transport closes
//! itself once the child exited and its output pipes are done.

use std::cell::{Cell, RefCell};
use std::ffi::{OsStr, OsString};
use std::rc::Rc;

use super::{StreamReader, StreamReaderProtocol, StreamWriter};
use crate::error::{Error, Result};
use crate::subprocess::{SubprocessOptions, SubprocessProtocol, SubprocessTransport};
use crate::transport::Protocol;
use crate::EventLoop;

/// asyncio's `SubprocessStreamProtocol`.
struct SubprocessStreamProtocol {
    lp: EventLoop,
    limit: usize,
    transport: RefCell<Option<SubprocessTransport>>,
    stdin: RefCell<Option<StreamWriter>>,
    stdout: RefCell<Option<StreamReader>>,
    stderr: RefCell<Option<StreamReader>>,
    /// The output pipes not yet lost.
    pipe_fds: RefCell<Vec<i32>>,
    process_exited: Cell<bool>,
    /// The stdin writer's flow control (asyncio's `FlowControlMixin`): a
    /// stream protocol whose reader nobody reads.
    flow: RefCell<Option<Rc<StreamReaderProtocol>>>,
}

impl SubprocessStreamProtocol {
    fn maybe_close_transport(&self) {
        if self.pipe_fds.borrow().is_empty() && self.process_exited.get() {
            let transport = self.transport.borrow_mut().take();
            if let Some(t) = transport {
                t.close();
            }
        }
    }
}

impl SubprocessProtocol for SubprocessStreamProtocol {
    fn connection_made(&self, transport: &SubprocessTransport) -> Result<()> {
        *self.transport.borrow_mut() = Some(transport.clone());
        for (fd, slot) in [(1, &self.stdout), (2, &self.stderr)] {
            if let Some(pipe) = transport.get_pipe_transport(fd) {
                let reader = StreamReader::with_limit(&self.lp, self.limit)?;
                reader.set_transport(&pipe);
                *slot.borrow_mut() = Some(reader);
                self.pipe_fds.borrow_mut().push(fd);
            }
        }
        if let Some(pipe) = transport.get_pipe_transport(0) {
            let unread = StreamReader::new(&self.lp);
            let flow = StreamReaderProtocol::new(&unread);
            *self.stdin.borrow_mut() = Some(StreamWriter::new(pipe, flow.clone(), None));
            *self.flow.borrow_mut() = Some(flow);
        }
        Ok(())
    }

    fn pipe_data_received(&self, fd: i32, data: &[u8]) -> Result<()> {
        let slot = if fd == 1 { &self.stdout } else { &self.stderr };
        if let Some(reader) = slot.borrow().as_ref() {
            reader.feed_data(data);
        }
        Ok(())
    }

    fn pipe_connection_lost(&self, fd: i32, exc: Option<Error>) -> Result<()> {
        if fd == 0 {
            if let Some(w) = self.stdin.borrow().as_ref() {
                w.close();
            }
            let flow = self.flow.borrow().clone();
            if let Some(flow) = flow {
                flow.connection_lost(exc)?;
            }
            return Ok(());
        }
        let slot = if fd == 1 { &self.stdout } else { &self.stderr };
        if let Some(reader) = slot.borrow().as_ref() {
            match exc {
                None => reader.feed_eof(),
                Some(e) => reader.set_exception(e),
            }
        }
        self.pipe_fds.borrow_mut().retain(|&f| f != fd);
        self.maybe_close_transport();
        Ok(())
    }

    fn process_exited(&self) -> Result<()> {
        self.process_exited.set(true);
        self.maybe_close_transport();
        Ok(())
    }

    fn pause_writing(&self) -> Result<()> {
        let flow = self.flow.borrow().clone();
        flow.map_or(Ok(()), |f| f.pause_writing())
    }

    fn resume_writing(&self) -> Result<()> {
        let flow = self.flow.borrow().clone();
        flow.map_or(Ok(()), |f| f.resume_writing())
    }
}

/// A child started by [`EventLoop::create_subprocess_exec`] (asyncio's
/// `asyncio.subprocess.Process`).
#[derive(Clone)]
pub struct Process {
    transport: SubprocessTransport,
    protocol: Rc<SubprocessStreamProtocol>,
}

impl Process {
    /// The child's process id.
    pub fn pid(&self) -> i32 {
        self.transport.get_pid()
    }

    /// The exit code, minus the signal that ended it, or `None` while it runs.
    pub fn returncode(&self) -> Option<i32> {
        self.transport.get_returncode()
    }

    /// The writer of the child's stdin (`None` unless stdin is `PIPE`).
    pub fn stdin(&self) -> Option<StreamWriter> {
        self.protocol.stdin.borrow().clone()
    }

    /// The reader of the child's stdout (`None` unless stdout is `PIPE`).
    pub fn stdout(&self) -> Option<StreamReader> {
        self.protocol.stdout.borrow().clone()
    }

    /// The reader of the child's stderr (`None` unless stderr is `PIPE`).
    pub fn stderr(&self) -> Option<StreamReader> {
        self.protocol.stderr.borrow().clone()
    }

    /// The transport underneath.
    pub fn transport(&self) -> SubprocessTransport {
        self.transport.clone()
    }

    /// Waits for the child to exit (and its pipes to close); its return code.
    pub fn wait(&self) -> crate::Future<i32> {
        self.transport.wait()
    }

    /// Sends `sig` (a no-op once the child was reaped).
    ///
    /// # Errors
    /// As [`SubprocessTransport::send_signal`].
    pub fn send_signal(&self, sig: i32) -> Result<()> {
        self.transport.send_signal(sig)
    }

    /// `SIGTERM`.
    ///
    /// # Errors
    /// As `send_signal`.
    pub fn terminate(&self) -> Result<()> {
        self.transport.terminate()
    }

    /// `SIGKILL`.
    ///
    /// # Errors
    /// As `send_signal`.
    pub fn kill(&self) -> Result<()> {
        self.transport.kill()
    }
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<Process {}>", self.pid())
    }
}

impl EventLoop {
    /// Starts `program` with `args`, its pipes as streams with buffer
    /// limit `limit`. Unlike `subprocess_exec`, asyncio's default for each
    /// stream is to inherit (pass `Stdio::Pipe` for a stream).
    ///
    /// # Errors
    /// As [`subprocess_exec`](Self::subprocess_exec); `ValueError` for a
    /// zero limit.
    pub fn create_subprocess_exec(
        &self,
        program: impl AsRef<OsStr>,
        args: &[OsString],
        opts: SubprocessOptions,
        limit: usize,
    ) -> impl std::future::Future<Output = Result<Process>> + 'static {
        let lp = self.clone();
        let checked = super::check_limit(limit);
        let factory = move || {
            checked?;
            Ok(Rc::new(SubprocessStreamProtocol {
                lp,
                limit,
                transport: RefCell::new(None),
                stdin: RefCell::new(None),
                stdout: RefCell::new(None),
                stderr: RefCell::new(None),
                pipe_fds: RefCell::new(Vec::new()),
                process_exited: Cell::new(false),
                flow: RefCell::new(None),
            }))
        };
        let fut = self.subprocess_exec(factory, program, args, opts);
        async move {
            let (transport, protocol) = fut.await?;
            Ok(Process { transport, protocol })
        }
    }

    /// `create_subprocess_exec("/bin/sh", ["-c", cmd], ...)`.
    ///
    /// # Errors
    /// As `create_subprocess_exec`.
    pub fn create_subprocess_shell(
        &self,
        cmd: impl AsRef<OsStr>,
        opts: SubprocessOptions,
        limit: usize,
    ) -> impl std::future::Future<Output = Result<Process>> + 'static {
        let args = [OsString::from("-c"), cmd.as_ref().to_owned()];
        self.create_subprocess_exec("/bin/sh", &args, opts, limit)
    }
}
