//! The `SocketView` of an OS socket: its fd, shared with the owner, which
//! marks it -1 before closing.

use std::cell::Cell;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::rc::Rc;

use super::from_sockaddr;
use crate::net::socket::SocketView;
use crate::net::{Address, TransportSocket};

/// The fd of a socket the loop owns, shared with its views.
#[derive(Debug)]
pub(crate) struct FdCell {
    fd: Cell<RawFd>,
    family: i32,
    kind: i32,
    proto: i32,
}

impl FdCell {
    pub(crate) fn new(sock: &socket2::Socket) -> Rc<FdCell> {
        Self::for_fd(sock.as_raw_fd())
    }

    /// The cell of any fd; what is not a socket has family, type and
    /// protocol 0.
    pub(crate) fn for_fd(fd: RawFd) -> Rc<FdCell> {
        let family = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_DOMAIN).unwrap_or(0);
        let kind = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_TYPE).unwrap_or(0);
        let proto = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_PROTOCOL).unwrap_or(0);
        Rc::new(FdCell { fd: Cell::new(fd), family, kind, proto })
    }

    /// The owner is about to close the socket.
    pub(crate) fn mark_closed(&self) {
        self.fd.set(-1);
    }

    pub(crate) fn view(self: &Rc<Self>) -> TransportSocket {
        TransportSocket(self.clone())
    }

    fn borrowed(&self) -> io::Result<BorrowedFd<'_>> {
        let fd = self.fd.get();
        if fd < 0 {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        // SAFETY: the owner keeps the fd open while the cell holds it (it
        // marks the cell closed before closing), and the borrow ends with
        // the call that uses it.
        Ok(unsafe { BorrowedFd::borrow_raw(fd) })
    }
}

impl SocketView for FdCell {
    fn fileno(&self) -> RawFd {
        self.fd.get()
    }
    fn family(&self) -> i32 {
        self.family
    }
    fn socket_type(&self) -> i32 {
        self.kind & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)
    }
    fn proto(&self) -> i32 {
        self.proto
    }
    fn getsockname(&self) -> io::Result<Address> {
        let fd = self.borrowed()?;
        let addr = socket2::SockRef::from(&fd).local_addr()?;
        Ok(from_sockaddr(&addr).unwrap_or(Address::Unix(String::new())))
    }
    fn getpeername(&self) -> io::Result<Address> {
        let fd = self.borrowed()?;
        let addr = socket2::SockRef::from(&fd).peer_addr()?;
        Ok(from_sockaddr(&addr).unwrap_or(Address::Unix(String::new())))
    }
    fn getsockopt(&self, level: i32, option: i32) -> io::Result<i32> {
        getsockopt_int(self.borrowed()?.as_raw_fd(), level, option)
    }
    fn setsockopt(&self, level: i32, option: i32, value: i32) -> io::Result<()> {
        let fd = self.borrowed()?;
        // SAFETY: passes a valid i32 and its size for the duration of the call.
        let rc = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                level,
                option,
                (&value as *const i32).cast(),
                std::mem::size_of::<i32>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// An integer socket option.
pub(crate) fn getsockopt_int(fd: RawFd, level: i32, option: i32) -> io::Result<i32> {
    let mut value: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: value and len are valid for writes of an i32 and its size.
    let rc = unsafe { libc::getsockopt(fd, level, option, (&mut value as *mut i32).cast(), &mut len) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(value)
}
