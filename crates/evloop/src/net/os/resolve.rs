//! Resolving `create_server`/`create_connection` hosts to addresses.
//!
//! Numeric hosts are resolved with `AI_NUMERICHOST`, which never touches
//! DNS, so they stay on the loop's thread; names go through `getaddrinfo`
//! on the default executor, as asyncio does, so a slow resolver never
//! blocks the loop.

use std::ffi::{CStr, CString};
use std::net::{IpAddr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::error::{Error, OsError, Result};
use crate::net::Family;

/// Whether `host` resolves without DNS (an IP literal).
pub(crate) fn is_numeric(host: &str) -> bool {
    host.parse::<IpAddr>().is_ok()
}

/// `getaddrinfo(host, port, family, SOCK_STREAM, flags)`: blocking for
/// names, so call it off the loop thread unless `host` is numeric.
///
/// # Errors
/// `gaierror` with the resolver's code and text.
pub(crate) fn getaddrinfo(host: Option<&str>, port: u16, family: Family, flags: i32) -> Result<Vec<SocketAddr>> {
    getaddrinfo_typed(host, port, family.raw(), libc::SOCK_STREAM, 0, flags)
}

/// `getaddrinfo` for a socket type and protocol (`SOCK_DGRAM` for
/// datagram endpoints); `family` is a raw `AF_*` number.
///
/// # Errors
/// As [`getaddrinfo`].
pub(crate) fn getaddrinfo_typed(
    host: Option<&str>,
    port: u16,
    family: i32,
    socktype: i32,
    proto: i32,
    flags: i32,
) -> Result<Vec<SocketAddr>> {
    let c_host = match host {
        Some(h) => Some(CString::new(h).map_err(|_| Error::Value("embedded null character in host".into()))?),
        None => None,
    };
    let c_port = CString::new(port.to_string()).expect("digits have no NUL");
    // SAFETY: an all-zero addrinfo is the documented way to start hints.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_protocol = proto;
    hints.ai_flags = flags;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: the strings and hints outlive the call; `res` receives a list
    // that is freed below.
    let rc = unsafe {
        libc::getaddrinfo(
            c_host.as_ref().map_or(std::ptr::null(), |h| h.as_ptr()),
            c_port.as_ptr(),
            &hints,
            &mut res,
        )
    };
    if rc != 0 {
        return Err(gai_error(rc));
    }
    let mut out = Vec::new();
    let mut cur = res;
    while !cur.is_null() {
        // SAFETY: `cur` walks the list getaddrinfo returned; each ai_addr
        // points to a sockaddr of the size and family it states.
        unsafe {
            let ai = &*cur;
            match ai.ai_family {
                libc::AF_INET => {
                    let sa = &*(ai.ai_addr as *const libc::sockaddr_in);
                    let ip = std::net::Ipv4Addr::from(u32::from_be(sa.sin_addr.s_addr));
                    out.push(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sa.sin_port))));
                }
                libc::AF_INET6 => {
                    let sa = &*(ai.ai_addr as *const libc::sockaddr_in6);
                    let ip = std::net::Ipv6Addr::from(sa.sin6_addr.s6_addr);
                    out.push(SocketAddr::V6(SocketAddrV6::new(
                        ip,
                        u16::from_be(sa.sin6_port),
                        sa.sin6_flowinfo,
                        sa.sin6_scope_id,
                    )));
                }
                _ => {}
            }
            cur = ai.ai_next;
        }
    }
    // SAFETY: `res` came from a successful getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(res) };
    Ok(out)
}

fn gai_error(rc: i32) -> Error {
    if rc == libc::EAI_SYSTEM {
        return Error::os("getaddrinfo", std::io::Error::last_os_error());
    }
    // SAFETY: gai_strerror returns a static NUL-terminated string.
    let text = unsafe { CStr::from_ptr(libc::gai_strerror(rc)) }.to_string_lossy();
    Error::Gai(OsError { errno: rc, syscall: "getaddrinfo", message: format!("[Errno {rc}] {text}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_and_passive() {
        let v = getaddrinfo(Some("127.0.0.1"), 80, Family::Unspec, libc::AI_NUMERICHOST).unwrap();
        assert_eq!(v, ["127.0.0.1:80".parse().unwrap()]);
        let passive = getaddrinfo(None, 0, Family::Inet, libc::AI_PASSIVE).unwrap();
        assert_eq!(passive, ["0.0.0.0:0".parse().unwrap()]);
        let e = getaddrinfo(Some("127.0.0.1"), 0, Family::Inet6, libc::AI_NUMERICHOST).unwrap_err();
        assert_eq!(e.name(), "gaierror");
    }
}
