//! Sockets as the loop's transports and servers see them: addresses in
//! asyncio's shapes, the `TransportSocket` view, name resolution, and the
//! OS stream socket behind a transport.

pub(crate) mod address;
pub(crate) mod os_socket;
pub(crate) mod resolve;
mod transport_socket;

pub use address::Address;
pub use resolve::Family;
pub use transport_socket::TransportSocket;
pub(crate) use transport_socket::{getsockopt_raw as getsockopt_int, FdCell};

/// `SO_TYPE` of an fd without the `SOCK_NONBLOCK`/`SOCK_CLOEXEC` bits.
pub(crate) fn transport_socket_type(fd: std::os::fd::RawFd) -> std::io::Result<i32> {
    Ok(getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_TYPE)? & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC))
}
