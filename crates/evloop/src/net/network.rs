//! Where a loop's sockets come from: the OS, or a simulated network.
//!
//! `create_server`, `create_connection` and their Unix twins validate their
//! arguments and build servers and transports in shared code; only making
//! the sockets goes through this trait.

use std::future::Future;
use std::pin::Pin;

use super::socket::{DatagramSocket, ListenSocket, StreamSocket};
use crate::error::{Error, Result};
use crate::selector::Fd;
use super::addrinfo::{AddrInfo, AddrInfoHints};
use super::{Address, ConnectionOptions, DatagramOptions, Host, ServerOptions};
use crate::EventLoop;

pub(crate) type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// A datagram endpoint's socket and its default destination.
pub(crate) type Endpoint = (Box<dyn DatagramSocket>, Option<Address>);

/// Makes listening and connected sockets for one loop.
pub(crate) trait Network {
    /// Resolves `host` and binds one listening socket per address.
    fn bind(&self, lp: &EventLoop, host: Option<Host>, port: Option<u16>, opts: &ServerOptions)
        -> LocalFuture<Result<Vec<Box<dyn ListenSocket>>>>;
    /// Takes over a caller's bound socket.
    fn adopt_listener(&self, fd: Fd, unix: bool, cleanup: bool) -> Result<Box<dyn ListenSocket>>;
    /// Binds a Unix socket path.
    fn bind_unix(&self, path: &str, cleanup: bool) -> Result<Box<dyn ListenSocket>>;
    /// Connects to `host:port`.
    fn connect(&self, lp: &EventLoop, host: Option<String>, port: Option<u16>, opts: &ConnectionOptions)
        -> LocalFuture<Result<Box<dyn StreamSocket>>>;
    /// Connects to a Unix socket path.
    fn connect_unix(&self, lp: &EventLoop, path: String) -> LocalFuture<Result<Box<dyn StreamSocket>>>;
    /// Takes over a caller's connected socket.
    fn adopt_stream(&self, fd: Fd) -> Result<Box<dyn StreamSocket>>;
    /// Whether this loop's signals are the process's (a C handler and a
    /// wake-up pipe) rather than a simulation's faults.
    fn os_signals(&self) -> bool {
        false
    }
    /// Whether the loop's sockets are the operating system's (the
    /// `sock_*` calls need them).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))] // sock/ is native-only
    fn os_sockets(&self) -> bool {
        false
    }
    /// Makes the socket of a datagram endpoint (`create_datagram_endpoint`,
    /// whose arguments are already checked): bound to `local_addr`,
    /// connected to `remote_addr`, or the caller's `sock`. Also returns the
    /// remote address the transport sends to by default.
    fn datagram(&self, lp: &EventLoop, opts: &DatagramOptions)
        -> LocalFuture<Result<Endpoint>>;
    /// `loop.getaddrinfo` (net/addrinfo.rs).
    fn getaddrinfo(&self, _lp: &EventLoop, _host: Option<String>, _port: Option<String>, _hints: AddrInfoHints)
        -> LocalFuture<Result<Vec<AddrInfo>>> {
        Box::pin(async { none() })
    }
    /// `loop.getnameinfo` (net/addrinfo.rs).
    fn getnameinfo(&self, _lp: &EventLoop, _host: String, _port: u16, _flags: i32)
        -> LocalFuture<Result<(String, String)>> {
        Box::pin(async { none() })
    }
    /// Where a new TLS connection draws randomness and reads the time:
    /// `None` for the system's; a simulated host's seeded stream and
    /// virtual wall clock, so that runs repeat (`tls/sim_crypto.rs`).
    fn tls_source(&self) -> Option<crate::tls::SimSource> {
        None
    }
}

/// The network of a loop that has none (virtual time without a simulation).
pub(crate) struct NoNetwork;

fn none<T>() -> Result<T> {
    Err(Error::Runtime("this event loop has no network".into()))
}

impl Network for NoNetwork {
    fn bind(&self, _: &EventLoop, _: Option<Host>, _: Option<u16>, _: &ServerOptions)
        -> LocalFuture<Result<Vec<Box<dyn ListenSocket>>>> {
        Box::pin(async { none() })
    }
    fn adopt_listener(&self, _: Fd, _: bool, _: bool) -> Result<Box<dyn ListenSocket>> {
        none()
    }
    fn bind_unix(&self, _: &str, _: bool) -> Result<Box<dyn ListenSocket>> {
        none()
    }
    fn connect(&self, _: &EventLoop, _: Option<String>, _: Option<u16>, _: &ConnectionOptions)
        -> LocalFuture<Result<Box<dyn StreamSocket>>> {
        Box::pin(async { none() })
    }
    fn connect_unix(&self, _: &EventLoop, _: String) -> LocalFuture<Result<Box<dyn StreamSocket>>> {
        Box::pin(async { none() })
    }
    fn adopt_stream(&self, _: Fd) -> Result<Box<dyn StreamSocket>> {
        none()
    }
    fn datagram(&self, _: &EventLoop, _: &DatagramOptions)
        -> LocalFuture<Result<Endpoint>> {
        Box::pin(async { none() })
    }
}
