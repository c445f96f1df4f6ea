//! The stream socket behind a transport. A trait, so the simulated
//! network can put its own sockets under the same transport code.

use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;
use std::rc::Rc;

use super::{Address, FdCell};
use crate::selector::Fd;

/// A connected, non-blocking stream socket.
pub(crate) trait StreamSocket {
    /// The number the selector watches.
    fn fd(&self) -> Fd;
    /// The cell shared with this socket's `TransportSocket` views.
    fn fd_cell(&self) -> Rc<FdCell>;
    fn recv(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn send(&self, buf: &[u8]) -> io::Result<usize>;
    fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    /// `shutdown(SHUT_WR)`: the peer reads EOF once the data sent is read.
    fn shutdown_write(&self) -> io::Result<()>;
    fn local_addr(&self) -> Option<Address>;
    fn peer_addr(&self) -> Option<Address>;
}

/// An OS socket, closed when dropped.
pub(crate) struct OsStream {
    sock: socket2::Socket,
    cell: Rc<FdCell>,
}

impl OsStream {
    /// Wraps a connected socket; makes it non-blocking.
    pub(crate) fn new(sock: socket2::Socket) -> io::Result<OsStream> {
        sock.set_nonblocking(true)?;
        let cell = FdCell::new(&sock);
        Ok(OsStream { sock, cell })
    }
}

impl Drop for OsStream {
    fn drop(&mut self) {
        self.cell.mark_closed();
    }
}

impl StreamSocket for OsStream {
    fn fd(&self) -> Fd {
        self.sock.as_raw_fd()
    }

    fn fd_cell(&self) -> Rc<FdCell> {
        self.cell.clone()
    }

    fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe { libc::recv(self.fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    fn send(&self, buf: &[u8]) -> io::Result<usize> {
        // MSG_NOSIGNAL: a closed peer is an EPIPE error, never a SIGPIPE.
        self.sock.send_with_flags(buf, libc::MSG_NOSIGNAL)
    }

    fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.sock.send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL)
    }

    fn shutdown_write(&self) -> io::Result<()> {
        self.sock.shutdown(std::net::Shutdown::Write)
    }

    fn local_addr(&self) -> Option<Address> {
        self.sock.local_addr().ok().as_ref().and_then(Address::from_sockaddr)
    }

    fn peer_addr(&self) -> Option<Address> {
        self.sock.peer_addr().ok().as_ref().and_then(Address::from_sockaddr)
    }
}
