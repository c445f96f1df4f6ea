//! Socket addresses, written the way asyncio writes them in messages:
//! `('127.0.0.1', 8080)`, `('::1', 8080, 0, 0)`, `'/tmp/app.sock'`.

use std::fmt;
use std::net::SocketAddr;

/// The address of a socket.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Address {
    /// An IPv4 or IPv6 address and port.
    Inet(SocketAddr),
    /// A Unix socket path (empty for an unnamed socket; a leading NUL for
    /// the Linux abstract namespace).
    Unix(String),
    /// A host of a simulation (`crate::sim`) and a port: hosts reach each
    /// other by name. Written `('name', port)`, as an IPv4 address would be.
    Sim {
        /// The host's name.
        host: String,
        /// The port.
        port: u16,
    },
}

impl Address {
    /// The port, for IP addresses.
    pub fn port(&self) -> Option<u16> {
        match self {
            Address::Inet(a) => Some(a.port()),
            Address::Unix(_) => None,
            Address::Sim { port, .. } => Some(*port),
        }
    }
}

impl fmt::Display for Address {
    /// Python's `repr()` of the address tuple (or path string).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Inet(SocketAddr::V4(a)) => write!(f, "('{}', {})", a.ip(), a.port()),
            Address::Inet(SocketAddr::V6(a)) => {
                write!(f, "('{}', {}, {}, {})", a.ip(), a.port(), a.flowinfo(), a.scope_id())
            }
            Address::Unix(p) => write!(f, "'{}'", p.replace('\0', "\\x00")),
            Address::Sim { host, port } => write!(f, "('{host}', {port})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_reprs() {
        assert_eq!(Address::Inet("127.0.0.1:8080".parse().unwrap()).to_string(), "('127.0.0.1', 8080)");
        assert_eq!(Address::Inet("[::1]:80".parse().unwrap()).to_string(), "('::1', 80, 0, 0)");
        assert_eq!(Address::Unix("/tmp/s".into()).to_string(), "'/tmp/s'");
        assert_eq!(Address::Sim { host: "server".into(), port: 8080 }.to_string(), "('server', 8080)");
    }
}
