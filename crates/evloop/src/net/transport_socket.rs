//! `TransportSocket`: a read-only view of a socket the loop owns.
//!
//! asyncio hands these out from `Server.sockets` and
//! `get_extra_info('socket')`: options and addresses can be read (and
//! options set), but the socket cannot be closed, read, written, accepted
//! on or made blocking through it. It is a view: once the owner closes the
//! socket, `fileno()` is -1.

use std::cell::Cell;
use std::fmt;
use std::os::fd::{BorrowedFd, RawFd};
use std::rc::Rc;

use super::Address;
use crate::error::{Error, Result};

/// The fd of a socket the loop owns, shared with its views; -1 once closed.
#[derive(Debug)]
pub(crate) struct FdCell {
    fd: Cell<RawFd>,
    family: i32,
    kind: i32,
    proto: i32,
}

impl FdCell {
    pub(crate) fn new(sock: &socket2::Socket) -> Rc<FdCell> {
        use std::os::fd::AsRawFd;
        let fd = sock.as_raw_fd();
        let family = getsockopt_raw(fd, libc::SOL_SOCKET, libc::SO_DOMAIN).unwrap_or(0);
        let kind = getsockopt_raw(fd, libc::SOL_SOCKET, libc::SO_TYPE).unwrap_or(0);
        let proto = getsockopt_raw(fd, libc::SOL_SOCKET, libc::SO_PROTOCOL).unwrap_or(0);
        Rc::new(FdCell { fd: Cell::new(fd), family, kind, proto })
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.fd.get()
    }

    /// The owner closed the socket.
    pub(crate) fn mark_closed(&self) {
        self.fd.set(-1);
    }
}

/// A view of a socket owned by a transport or a server.
#[derive(Clone)]
pub struct TransportSocket(pub(crate) Rc<FdCell>);

impl TransportSocket {
    /// `AF_INET`, `AF_INET6` or `AF_UNIX`.
    pub fn family(&self) -> i32 {
        self.0.family
    }

    /// `SOCK_STREAM` (with no flag bits).
    pub fn socket_type(&self) -> i32 {
        self.0.kind & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)
    }

    /// The protocol number (`IPPROTO_TCP` for TCP, 0 for Unix sockets).
    pub fn proto(&self) -> i32 {
        self.0.proto
    }

    /// The fd, or -1 once the owner closed the socket.
    pub fn fileno(&self) -> RawFd {
        self.0.fd()
    }

    fn borrowed(&self, call: &'static str) -> Result<BorrowedFd<'_>> {
        let fd = self.fileno();
        if fd < 0 {
            return Err(Error::os(call, std::io::Error::from_raw_os_error(libc::EBADF)));
        }
        // SAFETY: the owner keeps the fd open while the cell holds it (it
        // marks the cell closed before closing), and the borrow ends with
        // this call.
        Ok(unsafe { BorrowedFd::borrow_raw(fd) })
    }

    /// The socket's own address.
    ///
    /// # Errors
    /// `OSError` (EBADF once closed).
    pub fn getsockname(&self) -> Result<Address> {
        let fd = self.borrowed("getsockname")?;
        let addr = socket2::SockRef::from(&fd).local_addr().map_err(|e| Error::os("getsockname", e))?;
        Ok(Address::from_sockaddr(&addr).unwrap_or(Address::Unix(String::new())))
    }

    /// The peer's address.
    ///
    /// # Errors
    /// `OSError` (ENOTCONN for a listening socket).
    pub fn getpeername(&self) -> Result<Address> {
        let fd = self.borrowed("getpeername")?;
        let addr = socket2::SockRef::from(&fd).peer_addr().map_err(|e| Error::os("getpeername", e))?;
        Ok(Address::from_sockaddr(&addr).unwrap_or(Address::Unix(String::new())))
    }

    /// An integer option (`getsockopt(SOL_SOCKET, SO_REUSEADDR)`).
    ///
    /// # Errors
    /// `OSError` (ENOPROTOOPT, EBADF, ...).
    pub fn getsockopt(&self, level: i32, option: i32) -> Result<i32> {
        let fd = self.borrowed("getsockopt")?;
        getsockopt_raw(std::os::fd::AsRawFd::as_raw_fd(&fd), level, option).map_err(|e| Error::os("getsockopt", e))
    }

    /// Sets an integer option.
    ///
    /// # Errors
    /// `OSError`.
    pub fn setsockopt(&self, level: i32, option: i32, value: i32) -> Result<()> {
        let fd = self.borrowed("setsockopt")?;
        // SAFETY: passes a valid i32 and its size for the duration of the call.
        let rc = unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(&fd),
                level,
                option,
                (&value as *const i32).cast(),
                std::mem::size_of::<i32>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(Error::os("setsockopt", std::io::Error::last_os_error()));
        }
        Ok(())
    }

    /// Only a zero timeout is allowed: the loop's sockets never block.
    ///
    /// # Errors
    /// `ValueError('settimeout(): only 0 timeout is allowed on transport sockets')`.
    pub fn settimeout(&self, timeout: Option<f64>) -> Result<()> {
        match timeout {
            Some(0.0) => Ok(()),
            _ => Err(Error::Value("settimeout(): only 0 timeout is allowed on transport sockets".into())),
        }
    }

    /// Always 0.
    pub fn gettimeout(&self) -> f64 {
        0.0
    }

    /// Only `false` is allowed.
    ///
    /// # Errors
    /// `ValueError('setblocking(): transport sockets cannot be blocking')`.
    pub fn setblocking(&self, flag: bool) -> Result<()> {
        if flag {
            return Err(Error::Value("setblocking(): transport sockets cannot be blocking".into()));
        }
        Ok(())
    }
}

pub(crate) fn getsockopt_raw(fd: RawFd, level: i32, option: i32) -> std::io::Result<i32> {
    let mut value: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: value and len are valid for writes of an i32 and its size.
    let rc = unsafe { libc::getsockopt(fd, level, option, (&mut value as *mut i32).cast(), &mut len) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(value)
}

impl fmt::Debug for TransportSocket {
    /// `<asyncio.TransportSocket fd=6, family=2, type=1, proto=6, laddr=('127.0.0.1', 8080)>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<TransportSocket fd={}, family={}, type={}, proto={}",
            self.fileno(),
            self.family(),
            self.socket_type(),
            self.proto()
        )?;
        if self.fileno() >= 0 {
            if let Ok(addr) = self.getsockname() {
                write!(f, ", laddr={addr}")?;
            }
            if let Ok(addr) = self.getpeername() {
                write!(f, ", raddr={addr}")?;
            }
        }
        write!(f, ">")
    }
}
