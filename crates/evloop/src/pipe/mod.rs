//! `connect_read_pipe` and `connect_write_pipe`: asyncio's Unix pipe
//! transports over any fd that is a pipe, a FIFO, a character device or a
//! socket. The transport is the shared [`Transport`] (see
//! `transport/pipe.rs` for what differs from a socket); the loop's back end
//! moves the bytes, so this works on every selector loop and the proactor.
//! Subprocesses connect their stdin, stdout and stderr through here.

mod end;

use std::future::Future;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::transport::pipe::Kind;
use crate::transport::{call_protocol, IntoProtocol, Protocol, Transport};
use crate::EventLoop;

/// Which way a pipe transport moves bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipeDirection {
    /// `connect_read_pipe`.
    Read,
    /// `connect_write_pipe`.
    Write,
}

/// What `fstat` says the fd is.
struct FileType {
    fifo: bool,
    socket: bool,
    chr: bool,
}

fn file_type(fd: BorrowedFd<'_>) -> Result<FileType> {
    // SAFETY: `stat` is plain data, filled in by fstat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a valid fd and a valid out pointer.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } < 0 {
        return Err(Error::os("fstat", std::io::Error::last_os_error()));
    }
    let fmt = st.st_mode & libc::S_IFMT;
    Ok(FileType { fifo: fmt == libc::S_IFIFO, socket: fmt == libc::S_IFSOCK, chr: fmt == libc::S_IFCHR })
}

/// asyncio's check before a pipe transport takes `fd`: pipes, FIFOs,
/// sockets and character devices only (a regular file is always
/// "ready", so the loop would spin on it).
///
/// # Errors
/// `ValueError('Pipe transport is for pipes/sockets only.')` (read) or
/// `ValueError('Pipe transport is only for pipes, sockets and character
/// devices')` (write); `OSError` (EBADF) for a closed fd.
pub fn check_pipe(fd: BorrowedFd<'_>, direction: PipeDirection) -> Result<()> {
    let t = file_type(fd)?;
    if t.fifo || t.socket || t.chr {
        return Ok(());
    }
    Err(Error::Value(
        match direction {
            PipeDirection::Read => "Pipe transport is for pipes/sockets only.",
            PipeDirection::Write => "Pipe transport is only for pipes, sockets and character devices",
        }
        .into(),
    ))
}

fn set_nonblocking(fd: BorrowedFd<'_>) -> Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: fcntl on a valid fd.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(Error::os("fcntl", std::io::Error::last_os_error()));
    }
    Ok(())
}

impl EventLoop {
    /// Wraps the read end `pipe` in a read pipe transport and resolves to
    /// it and the protocol once `connection_made` has run. The transport
    /// owns `pipe` and closes it when the connection is lost; a refused
    /// `pipe` is closed.
    ///
    /// # Errors
    /// `ValueError` for a regular file (see [`check_pipe`]); `RuntimeError`
    /// on a closed loop.
    pub fn connect_read_pipe(
        &self,
        factory: impl FnOnce() -> Rc<dyn Protocol> + 'static,
        pipe: OwnedFd,
    ) -> impl Future<Output = Result<(Transport, Rc<dyn Protocol>)>> + 'static {
        self.connect_pipe_with(move || Ok(factory()), pipe, PipeDirection::Read)
    }

    /// Wraps the write end `pipe` in a write pipe transport, as
    /// [`connect_read_pipe`](Self::connect_read_pipe).
    ///
    /// # Errors
    /// As `connect_read_pipe`.
    pub fn connect_write_pipe(
        &self,
        factory: impl FnOnce() -> Rc<dyn Protocol> + 'static,
        pipe: OwnedFd,
    ) -> impl Future<Output = Result<(Transport, Rc<dyn Protocol>)>> + 'static {
        self.connect_pipe_with(move || Ok(factory()), pipe, PipeDirection::Write)
    }

    /// Either pipe transport, with a fallible factory (bindings). As
    /// asyncio, the factory is called first; the transport is made at once
    /// (`connection_made` follows through `call_soon`).
    ///
    /// # Errors
    /// As `connect_read_pipe`; the factory's error.
    pub fn connect_pipe_with<P: IntoProtocol>(
        &self,
        factory: impl FnOnce() -> Result<P> + 'static,
        pipe: OwnedFd,
        direction: PipeDirection,
    ) -> impl Future<Output = Result<(Transport, P)>> + 'static {
        let made = self.check_open().and_then(|()| {
            let protocol = call_protocol(factory)?;
            let waiter = self.create_future::<()>();
            let transport = self.pipe_transport(pipe, protocol.clone().into_protocol(), direction, Some(waiter.clone()))?;
            Ok((transport, protocol, waiter))
        });
        async move {
            let (transport, protocol, waiter) = made?;
            // Closed if the wait fails or is dropped (a cancelled task).
            let guard = crate::close_guard::CloseUnlessKept::new(transport);
            waiter.await?;
            Ok((guard.keep(), protocol))
        }
    }

    /// A pipe transport over `pipe` for `protocol`, without waiting for
    /// `connection_made` (subprocesses connect their pipes this way).
    pub(crate) fn pipe_transport(
        &self,
        pipe: OwnedFd,
        protocol: Rc<dyn Protocol>,
        direction: PipeDirection,
        waiter: Option<crate::Future<()>>,
    ) -> Result<Transport> {
        check_pipe(pipe.as_fd(), direction)?;
        let ft = file_type(pipe.as_fd())?;
        set_nonblocking(pipe.as_fd())?;
        let kind = match direction {
            PipeDirection::Read => Kind::ReadPipe,
            PipeDirection::Write => Kind::WritePipe { watch_reader: ft.fifo || ft.socket },
        };
        let end = Box::new(end::PipeEnd::new(pipe, ft.socket));
        Transport::new_pipe(self, end, protocol, kind, waiter)
    }
}
