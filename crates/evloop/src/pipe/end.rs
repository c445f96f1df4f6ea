//! One end of a pipe (or a FIFO, a character device, a socket) under a
//! pipe transport: `read(2)` and `write(2)`, closed when dropped.

use std::io::{self, IoSlice};
use std::os::fd::{AsRawFd, OwnedFd};
use std::rc::Rc;

use crate::net::os::view::FdCell;
use crate::net::socket::StreamSocket;
use crate::net::{Address, TransportSocket};
use crate::selector::Fd;
use crate::transport::ReadBuf;

/// A non-blocking pipe end the transport owns.
pub(crate) struct PipeEnd {
    fd: OwnedFd,
    /// Sockets are written with `send(MSG_NOSIGNAL)`: a closed peer is an
    /// `EPIPE` error even where `SIGPIPE` is not ignored. (A pipe's
    /// `write` has no such flag; Rust programs and Node ignore `SIGPIPE`.)
    is_socket: bool,
    cell: Rc<FdCell>,
}

impl PipeEnd {
    pub(crate) fn new(fd: OwnedFd, is_socket: bool) -> PipeEnd {
        let cell = FdCell::for_fd(fd.as_raw_fd());
        PipeEnd { fd, is_socket, cell }
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        self.cell.mark_closed();
    }
}

fn check(n: isize) -> io::Result<usize> {
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

impl StreamSocket for PipeEnd {
    fn fd(&self) -> Fd {
        self.fd.as_raw_fd()
    }

    fn view(&self) -> TransportSocket {
        self.cell.view()
    }

    fn recv(&self, buf: &mut ReadBuf<'_>) -> io::Result<usize> {
        let (ptr, room) = buf.unfilled_ptr();
        // SAFETY: `ptr` is valid for writes of `room` bytes (read only writes).
        let n = check(unsafe { libc::read(self.fd(), ptr.cast(), room) })?;
        // SAFETY: read wrote the n bytes it reports, n <= room.
        unsafe { buf.advance(n) };
        Ok(n)
    }

    fn send(&self, buf: &[u8]) -> io::Result<usize> {
        if self.is_socket {
            // SAFETY: `buf` is valid for reads of its length.
            return check(unsafe { libc::send(self.fd(), buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL) });
        }
        // SAFETY: as above.
        check(unsafe { libc::write(self.fd(), buf.as_ptr().cast(), buf.len()) })
    }

    fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        if self.is_socket {
            // SAFETY: msghdr is plain data; the iovecs (IoSlice is
            // ABI-compatible with iovec) outlive the call.
            let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
            msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
            msg.msg_iovlen = bufs.len() as _;
            // SAFETY: as above.
            return check(unsafe { libc::sendmsg(self.fd(), &msg, libc::MSG_NOSIGNAL) });
        }
        // SAFETY: IoSlice is ABI-compatible with iovec; `bufs` outlives the call.
        check(unsafe { libc::writev(self.fd(), bufs.as_ptr().cast(), bufs.len() as libc::c_int) })
    }

    /// A pipe transport's `write_eof()` closes it instead.
    fn shutdown_write(&self) -> io::Result<()> {
        Ok(())
    }

    fn local_addr(&self) -> Option<Address> {
        None
    }

    fn peer_addr(&self) -> Option<Address> {
        None
    }
}
