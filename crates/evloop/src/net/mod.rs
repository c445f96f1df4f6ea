//! Sockets as the loop's transports and servers see them: addresses in
//! asyncio's shapes, the `TransportSocket` view, the socket traits shared
//! code is written against, where sockets come from (`Network`), and the
//! options that say how to bind and connect them.

pub(crate) mod address;
mod addrinfo;
pub(crate) mod network;
mod options;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod staggered;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod os;
pub(crate) mod socket;
mod transport_socket;

pub use address::Address;
pub use addrinfo::{AddrInfo, AddrInfoHints, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM};
pub use options::{ConnectionOptions, DatagramOptions, EndpointAddr, Host, ServerOptions, UnixServerOptions};
pub use transport_socket::TransportSocket;

/// The address family to resolve for (`AF_UNSPEC`, `AF_INET`, `AF_INET6`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Family {
    /// Any family.
    #[default]
    Unspec,
    /// IPv4.
    Inet,
    /// IPv6.
    Inet6,
}

/// Linux's address family numbers, which every back end reports.
pub(crate) const AF_UNSPEC: i32 = 0;
pub(crate) const AF_INET: i32 = 2;
pub(crate) const AF_INET6: i32 = 10;
/// `AF_UNIX` (Linux's value), for datagram endpoints on paths.
pub const AF_UNIX: i32 = 1;

/// `getaddrinfo`'s `AI_PASSIVE` (Linux's value): addresses to bind to.
pub const AI_PASSIVE: i32 = 1;

impl Family {
    /// From the platform's `AF_*` number.
    pub fn from_raw(af: i32) -> Option<Family> {
        match af {
            AF_UNSPEC => Some(Family::Unspec),
            AF_INET => Some(Family::Inet),
            AF_INET6 => Some(Family::Inet6),
            _ => None,
        }
    }

    /// The `AF_*` number.
    pub fn raw(self) -> i32 {
        match self {
            Family::Unspec => AF_UNSPEC,
            Family::Inet => AF_INET,
            Family::Inet6 => AF_INET6,
        }
    }
}
