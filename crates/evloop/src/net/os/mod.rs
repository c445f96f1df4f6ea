//! OS sockets: the network of a `SelectorEventLoop`.

mod bind;
pub(crate) mod connect;
pub(crate) mod datagram;
pub(crate) mod listener;
pub(crate) mod resolve;
mod stream;
pub(crate) mod view;

use super::network::{LocalFuture, Network};
use super::socket::{ListenSocket, StreamSocket};
use super::{AddrInfo, AddrInfoHints, Address, ConnectionOptions, DatagramOptions, Host, ServerOptions};
use crate::error::Result;
use crate::selector::Fd;
use crate::EventLoop;

/// Sockets from the operating system.
pub(crate) struct OsNetwork;

impl Network for OsNetwork {
    fn os_signals(&self) -> bool {
        true
    }

    fn os_sockets(&self) -> bool {
        true
    }

    fn bind(&self, lp: &EventLoop, host: Option<Host>, port: Option<u16>, opts: &ServerOptions)
        -> LocalFuture<Result<Vec<Box<dyn ListenSocket>>>> {
        let (lp, opts) = (lp.clone(), opts.clone());
        Box::pin(async move { bind::bind_tcp(&lp, host, port, &opts).await })
    }

    fn adopt_listener(&self, fd: Fd, unix: bool, cleanup: bool) -> Result<Box<dyn ListenSocket>> {
        bind::adopt_listener(fd, unix, cleanup)
    }

    fn bind_unix(&self, path: &str, cleanup: bool) -> Result<Box<dyn ListenSocket>> {
        bind::bind_unix_listener(path, cleanup)
    }

    fn connect(&self, lp: &EventLoop, host: Option<String>, port: Option<u16>, opts: &ConnectionOptions)
        -> LocalFuture<Result<Box<dyn StreamSocket>>> {
        let (lp, opts) = (lp.clone(), opts.clone());
        Box::pin(async move { connect::connect_tcp(&lp, host, port, &opts).await })
    }

    fn connect_unix(&self, lp: &EventLoop, path: String) -> LocalFuture<Result<Box<dyn StreamSocket>>> {
        let lp = lp.clone();
        Box::pin(async move { connect::connect_unix(&lp, path).await })
    }

    fn adopt_stream(&self, fd: Fd) -> Result<Box<dyn StreamSocket>> {
        connect::adopt_stream(fd)
    }

    fn getaddrinfo(&self, lp: &EventLoop, host: Option<String>, port: Option<String>, hints: AddrInfoHints)
        -> LocalFuture<Result<Vec<AddrInfo>>> {
        // asyncio runs every lookup on the default executor, numeric or not.
        let job = lp.run_in_executor(move || resolve::getaddrinfo_infos(host.as_deref(), port.as_deref(), hints));
        Box::pin(async move { job?.await? })
    }

    fn getnameinfo(&self, lp: &EventLoop, host: String, port: u16, flags: i32)
        -> LocalFuture<Result<(String, String)>> {
        let job = lp.run_in_executor(move || resolve::getnameinfo(&host, port, flags));
        Box::pin(async move { job?.await? })
    }

    fn datagram(&self, lp: &EventLoop, opts: &DatagramOptions)
        -> LocalFuture<Result<crate::net::network::Endpoint>> {
        let (lp, opts) = (lp.clone(), opts.clone());
        Box::pin(async move { datagram::open(&lp, &opts).await })
    }
}

/// An OS socket address in asyncio's shapes.
pub(crate) fn from_sockaddr(addr: &socket2::SockAddr) -> Option<Address> {
    if let Some(inet) = addr.as_socket() {
        return Some(Address::Inet(inet));
    }
    if addr.is_unix() {
        if let Some(path) = addr.as_pathname() {
            return Some(Address::Unix(path.to_string_lossy().into_owned()));
        }
        if let Some(name) = addr.as_abstract_namespace() {
            return Some(Address::Unix(format!("\0{}", String::from_utf8_lossy(name))));
        }
        return Some(Address::Unix(String::new()));
    }
    None
}
