//! The options of `create_server`, `create_unix_server` and
//! `create_connection`, with asyncio's defaults. They live here, below
//! the servers and transports that take them, because the networks that
//! bind and connect (`Network`) read them too.

use super::Family;
use crate::selector::Fd;

/// The `host` argument: one name or address, or several. `""` means every
/// interface, as `None` does with a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// One host (`""`: all interfaces).
    Name(String),
    /// Several hosts; the union of their addresses is bound, each once.
    Names(Vec<String>),
}

impl From<&str> for Host {
    fn from(s: &str) -> Host {
        Host::Name(s.to_string())
    }
}

impl From<Vec<&str>> for Host {
    fn from(v: Vec<&str>) -> Host {
        Host::Names(v.into_iter().map(str::to_string).collect())
    }
}

/// Options of `create_server`, with asyncio's defaults.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Address family to resolve for.
    pub family: Family,
    /// `getaddrinfo` flags (default `AI_PASSIVE`).
    pub flags: i32,
    /// A bound stream socket to serve on instead of host/port; the server
    /// takes ownership of the fd.
    pub sock: Option<Fd>,
    /// `listen()` backlog, and the most accepts per readiness (default 100).
    pub backlog: i32,
    /// `SO_REUSEADDR` (default on, as on POSIX).
    pub reuse_address: Option<bool>,
    /// `SO_REUSEPORT` on IP sockets (default off).
    pub reuse_port: Option<bool>,
    /// `SO_KEEPALIVE` on the listening sockets (default off).
    pub keep_alive: Option<bool>,
    /// Listen at once (default); `false`: bound but not listening until
    /// `start_serving()` or `serve_forever()`.
    pub start_serving: bool,
    /// `ssl`, `ssl_handshake_timeout`, `ssl_shutdown_timeout`.
    pub tls: crate::tls::TlsOptions,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            family: Family::Unspec,
            flags: super::AI_PASSIVE,
            sock: None,
            backlog: 100,
            reuse_address: None,
            reuse_port: None,
            keep_alive: None,
            start_serving: true,
            tls: Default::default(),
        }
    }
}

/// Options of `create_unix_server`.
#[derive(Clone, Debug)]
pub struct UnixServerOptions {
    /// A bound Unix stream socket instead of a path (the server owns it).
    pub sock: Option<Fd>,
    /// `listen()` backlog (default 100).
    pub backlog: i32,
    /// Listen at once (default true).
    pub start_serving: bool,
    /// Remove the socket file on `close()` if it is still ours (default true).
    pub cleanup_socket: bool,
    /// `ssl`, `ssl_handshake_timeout`, `ssl_shutdown_timeout`.
    pub tls: crate::tls::TlsOptions,
}

impl Default for UnixServerOptions {
    fn default() -> Self {
        UnixServerOptions {
            sock: None,
            backlog: 100,
            start_serving: true,
            cleanup_socket: true,
            tls: Default::default(),
        }
    }
}

/// Options of `create_connection`.
#[derive(Clone, Debug, Default)]
pub struct ConnectionOptions {
    /// Address family to resolve for.
    pub family: Family,
    /// `getaddrinfo` flags.
    pub flags: i32,
    /// A connected stream socket to use instead of host/port (owned).
    pub sock: Option<Fd>,
    /// Bind the socket to this `(host, port)` before connecting; the host
    /// may be a name (resolved as the remote one is), and each attempt binds
    /// the first local address of its own family.
    pub local_addr: Option<(String, u16)>,
    /// The protocol number for `getaddrinfo` and `socket()` (0: the default).
    pub proto: i32,
    /// RFC 8305 "happy eyeballs": start the next address's attempt after
    /// this many seconds (or as soon as the previous one fails) instead of
    /// trying the addresses one after another; the first to connect wins.
    pub happy_eyeballs_delay: Option<f64>,
    /// Reorder the addresses by family, starting with this many of the
    /// first family (default 1 with `happy_eyeballs_delay`, else no
    /// reordering).
    pub interleave: Option<usize>,
    /// When every attempt fails, fail with all their errors
    /// ([`Error::Group`](crate::Error::Group)) instead of asyncio's
    /// single-error rules.
    pub all_errors: bool,
    /// `ssl`, `server_hostname`, `ssl_handshake_timeout`, `ssl_shutdown_timeout`.
    pub tls: crate::tls::TlsOptions,
}

/// An address of a datagram endpoint, as asyncio takes it: a
/// `(host, port)` pair (the host is resolved), or a path for `AF_UNIX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointAddr {
    /// A host name or IP address, and a port.
    Host(String, u16),
    /// A Unix socket path (a leading NUL: the abstract namespace).
    Path(String),
}

impl std::fmt::Display for EndpointAddr {
    /// Python's repr: `('127.0.0.1', 9)` or `'/tmp/x.sock'`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndpointAddr::Host(h, p) => write!(f, "('{h}', {p})"),
            EndpointAddr::Path(p) => write!(f, "'{p}'"),
        }
    }
}

/// Options of `create_datagram_endpoint`, with asyncio's defaults.
#[derive(Clone, Debug, Default)]
pub struct DatagramOptions {
    /// Bind the socket to this address.
    pub local_addr: Option<EndpointAddr>,
    /// Connect the socket to this address (with `allow_broadcast`: only
    /// make it the default destination of `sendto`).
    pub remote_addr: Option<EndpointAddr>,
    /// `AF_UNSPEC` (0), `AF_INET`, `AF_INET6` or `AF_UNIX` (raw numbers).
    pub family: i32,
    /// The protocol number for `socket()` and `getaddrinfo`.
    pub proto: i32,
    /// `getaddrinfo` flags.
    pub flags: i32,
    /// `SO_REUSEPORT`.
    pub reuse_port: bool,
    /// `SO_BROADCAST`.
    pub allow_broadcast: bool,
    /// A datagram socket to use instead (the transport owns it).
    pub sock: Option<Fd>,
}
