//! What transports and servers need from a socket, whatever is behind it:
//! an OS socket, or a simulated one. Every method is non-blocking.

use std::io::{self, IoSlice};

use super::{Address, TransportSocket};
use crate::selector::Fd;
use crate::transport::ReadBuf;

/// A connected stream socket.
pub(crate) trait StreamSocket {
    /// The number the selector watches.
    fn fd(&self) -> Fd;
    /// A view of the socket for `get_extra_info('socket')`.
    fn view(&self) -> TransportSocket;
    /// Reads into the room left in `buf` (which may be uninitialised
    /// memory) and counts what it wrote as filled; returns that count.
    fn recv(&self, buf: &mut ReadBuf<'_>) -> io::Result<usize>;
    fn send(&self, buf: &[u8]) -> io::Result<usize>;
    fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    /// Half-closes: the peer reads EOF once it has read what was sent.
    fn shutdown_write(&self) -> io::Result<()>;
    fn local_addr(&self) -> Option<Address>;
    fn peer_addr(&self) -> Option<Address>;
    /// Whether the transport over it registers the fd as its own (a layer
    /// such as TLS shares the fd of the transport below).
    fn owns_fd(&self) -> bool {
        true
    }
    /// Whether the fd is an OS socket `sendfile(2)` can write to (not a
    /// simulated one).
    fn os_fd(&self) -> bool {
        false
    }
    /// Whether `shutdown_write` is a half-close (`can_write_eof()`).
    fn can_half_close(&self) -> bool {
        true
    }
    /// What the socket adds to `get_extra_info`.
    fn extra_info_source(&self) -> Option<std::rc::Rc<dyn crate::transport::ExtraInfoSource>> {
        None
    }
}

/// A bound stream socket a server listens and accepts on.
pub(crate) trait ListenSocket {
    fn fd(&self) -> Fd;
    fn view(&self) -> TransportSocket;
    /// Starts listening (servers bind first and listen when serving starts).
    fn listen(&self, backlog: i32) -> io::Result<()>;
    /// One pending connection, already non-blocking.
    fn accept(&self) -> io::Result<(Box<dyn StreamSocket>, Option<Address>)>;
}

/// What a `TransportSocket` reads (and may set) on the socket it views.
pub(crate) trait SocketView {
    /// The fd, or -1 once the owner closed the socket.
    fn fileno(&self) -> Fd;
    fn family(&self) -> i32;
    fn socket_type(&self) -> i32;
    fn proto(&self) -> i32;
    fn getsockname(&self) -> io::Result<Address>;
    fn getpeername(&self) -> io::Result<Address>;
    fn getsockopt(&self, level: i32, option: i32) -> io::Result<i32>;
    fn setsockopt(&self, level: i32, option: i32, value: i32) -> io::Result<()>;
}

/// A datagram socket under a datagram transport: bound, maybe connected.
pub(crate) trait DatagramSocket {
    fn fd(&self) -> Fd;
    fn view(&self) -> TransportSocket;
    /// One datagram into `buf` (cut to its length) and its sender, when
    /// the socket reports one.
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, Option<Address>)>;
    /// One datagram: to `addr`, or (`None`) to the connected peer.
    fn send_to(&self, buf: &[u8], addr: Option<&Address>) -> io::Result<usize>;
    fn local_addr(&self) -> Option<Address>;
    fn peer_addr(&self) -> Option<Address>;
}
