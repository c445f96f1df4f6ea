//! `loop.getaddrinfo` and `loop.getnameinfo`: name resolution as asyncio's
//! loop offers it. The loop's network does the work: the OS network runs
//! the C resolver on the default executor (so the loop never blocks, and a
//! dropped wait only drops the result); a simulated host resolves the
//! simulation's host names after a drawn virtual delay.

use super::Address;
use crate::error::Result;
use crate::EventLoop;

/// Linux's `SOCK_STREAM`, `SOCK_DGRAM` and `SOCK_RAW`, which every back end reports.
pub const SOCK_STREAM: i32 = 1;
/// `SOCK_DGRAM`.
pub const SOCK_DGRAM: i32 = 2;
/// `SOCK_RAW`.
pub const SOCK_RAW: i32 = 3;
/// `IPPROTO_TCP`.
pub const IPPROTO_TCP: i32 = 6;
/// `IPPROTO_UDP`.
pub const IPPROTO_UDP: i32 = 17;

/// What `getaddrinfo` looks for: its `family`, `type`, `proto` and `flags`
/// arguments (raw numbers, 0 for "any" as in C).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddrInfoHints {
    /// `AF_UNSPEC` (0), `AF_INET`, `AF_INET6`.
    pub family: i32,
    /// `SOCK_STREAM`, `SOCK_DGRAM`, ... (0: every type).
    pub socktype: i32,
    /// The protocol number (0: every protocol of the type).
    pub proto: i32,
    /// `AI_*` flags.
    pub flags: i32,
}

/// One entry of `getaddrinfo`'s result: Python's
/// `(family, type, proto, canonname, sockaddr)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrInfo {
    /// The `AF_*` number.
    pub family: i32,
    /// The `SOCK_*` number.
    pub socktype: i32,
    /// The protocol number.
    pub proto: i32,
    /// The canonical name (only with `AI_CANONNAME`, on the first entry; else empty).
    pub canonname: String,
    /// The socket address.
    pub addr: Address,
}

impl EventLoop {
    /// asyncio's `loop.getaddrinfo(host, port, family=, type=, proto=,
    /// flags=)`: `port` is a number or a service name (`None`: no service).
    /// Never blocks the loop; dropping the returned future drops the result.
    ///
    /// # Errors
    /// `gaierror` (`syscall` "getaddrinfo", the negative `EAI_*` errno:
    /// `[Errno -2] Name or service not known`); `ValueError` for a string
    /// with a NUL; `RuntimeError` on a closed loop or after
    /// `shutdown_default_executor`.
    pub fn getaddrinfo(
        &self,
        host: Option<String>,
        port: Option<String>,
        hints: AddrInfoHints,
    ) -> impl std::future::Future<Output = Result<Vec<AddrInfo>>> + 'static {
        let lp = self.clone();
        async move {
            lp.check_open()?;
            lp.network().getaddrinfo(&lp, host, port, hints).await
        }
    }

    /// asyncio's `loop.getnameinfo(sockaddr, flags)`: the host name and
    /// service of a `(host, port)` address whose host is numeric (a host
    /// name of the simulation on a simulated host), as `(host, service)`.
    ///
    /// # Errors
    /// `gaierror` (`syscall` "getnameinfo" or "getaddrinfo" for a host that is
    /// not numeric); `RuntimeError` on a closed loop.
    pub fn getnameinfo(
        &self,
        host: String,
        port: u16,
        flags: i32,
    ) -> impl std::future::Future<Output = Result<(String, String)>> + 'static {
        let lp = self.clone();
        async move {
            lp.check_open()?;
            lp.network().getnameinfo(&lp, host, port, flags).await
        }
    }
}
