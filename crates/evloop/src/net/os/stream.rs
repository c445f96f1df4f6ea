//! An OS stream socket under a transport.

use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;
use std::rc::Rc;

use super::from_sockaddr;
use super::view::FdCell;
use crate::net::socket::StreamSocket;
use crate::net::{Address, TransportSocket};
use crate::selector::Fd;
use crate::transport::ReadBuf;

/// A connected, non-blocking OS socket, closed when dropped.
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
    fn os_fd(&self) -> bool {
        true
    }
    fn fd(&self) -> Fd {
        self.sock.as_raw_fd()
    }

    fn view(&self) -> TransportSocket {
        self.cell.view()
    }

    fn recv(&self, buf: &mut ReadBuf<'_>) -> io::Result<usize> {
        let (ptr, room) = buf.unfilled_ptr();
        // SAFETY: `ptr` is valid for writes of `room` bytes (uninitialised
        // memory is fine: recv only writes).
        let n = unsafe { libc::recv(self.fd(), ptr.cast(), room, 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: recv wrote the n bytes it reports, n <= room.
        unsafe { buf.advance(n as usize) };
        Ok(n as usize)
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
        self.sock.local_addr().ok().as_ref().and_then(from_sockaddr)
    }

    fn peer_addr(&self) -> Option<Address> {
        self.sock.peer_addr().ok().as_ref().and_then(from_sockaddr)
    }
}
