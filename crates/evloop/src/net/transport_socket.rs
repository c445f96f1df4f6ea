//! `TransportSocket`: a read-only view of a socket the loop owns.
//!
//! asyncio hands these out from `Server.sockets` and
//! `get_extra_info('socket')`: options and addresses can be read (and
//! options set), but the socket cannot be closed, read, written, accepted
//! on or made blocking through it. It is a view: once the owner closes the
//! socket, `fileno()` is -1.

use std::fmt;
use std::rc::Rc;

use super::socket::SocketView;
use super::Address;
use crate::error::{Error, Result};
use crate::selector::Fd;

/// A view of a socket owned by a transport or a server.
#[derive(Clone)]
pub struct TransportSocket(pub(crate) Rc<dyn SocketView>);

impl TransportSocket {
    /// `AF_INET`, `AF_INET6` or `AF_UNIX`.
    pub fn family(&self) -> i32 {
        self.0.family()
    }

    /// `SOCK_STREAM` (with no flag bits).
    pub fn socket_type(&self) -> i32 {
        self.0.socket_type()
    }

    /// The protocol number (`IPPROTO_TCP` for TCP, 0 for Unix sockets).
    pub fn proto(&self) -> i32 {
        self.0.proto()
    }

    /// The fd, or -1 once the owner closed the socket.
    pub fn fileno(&self) -> Fd {
        self.0.fileno()
    }

    /// The socket's own address.
    ///
    /// # Errors
    /// `OSError` (EBADF once closed).
    pub fn getsockname(&self) -> Result<Address> {
        self.0.getsockname().map_err(|e| Error::os("getsockname", e))
    }

    /// The peer's address.
    ///
    /// # Errors
    /// `OSError` (ENOTCONN for a listening socket).
    pub fn getpeername(&self) -> Result<Address> {
        self.0.getpeername().map_err(|e| Error::os("getpeername", e))
    }

    /// An integer option (`getsockopt(SOL_SOCKET, SO_REUSEADDR)`).
    ///
    /// # Errors
    /// `OSError` (ENOPROTOOPT, EBADF, ...).
    pub fn getsockopt(&self, level: i32, option: i32) -> Result<i32> {
        self.0.getsockopt(level, option).map_err(|e| Error::os("getsockopt", e))
    }

    /// Sets an integer option.
    ///
    /// # Errors
    /// `OSError`.
    pub fn setsockopt(&self, level: i32, option: i32, value: i32) -> Result<()> {
        self.0.setsockopt(level, option, value).map_err(|e| Error::os("setsockopt", e))
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

impl fmt::Debug for TransportSocket {
    /// `<TransportSocket fd=6, family=2, type=1, proto=6, laddr=('127.0.0.1', 8080)>`.
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
