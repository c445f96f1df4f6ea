//! Resolving `create_server`/`create_connection` hosts to addresses.
//!
//! Numeric hosts are resolved with `AI_NUMERICHOST`, which never touches
//! DNS, so they stay on the loop's thread; names go through `getaddrinfo`
//! on the default executor, as asyncio does, so a slow resolver never
//! blocks the loop.

use std::ffi::{CStr, CString};
use std::net::{IpAddr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::error::{Error, OsError, Result};
use crate::net::{AddrInfo, AddrInfoHints, Address, Family};

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
    let hints = AddrInfoHints { family, socktype, proto, flags };
    let infos = getaddrinfo_infos(host, Some(&port.to_string()), hints)?;
    Ok(infos.into_iter().filter_map(|ai| match ai.addr { Address::Inet(a) => Some(a), _ => None }).collect())
}

fn c_string(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::Value(format!("embedded null character in {what}")))
}

/// `getaddrinfo(host, service, hints)`: every entry, as Python's
/// `socket.getaddrinfo` returns them (IPv4 and IPv6 only). Blocking for
/// names: call it off the loop's thread.
///
/// # Errors
/// `gaierror` with the resolver's code and text.
pub(crate) fn getaddrinfo_infos(host: Option<&str>, service: Option<&str>, hints: AddrInfoHints) -> Result<Vec<AddrInfo>> {
    let c_host = host.map(|h| c_string("host", h)).transpose()?;
    let c_service = service.map(|p| c_string("port", p)).transpose()?;
    // SAFETY: an all-zero addrinfo is the documented way to start hints.
    let mut c_hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    c_hints.ai_family = hints.family;
    c_hints.ai_socktype = hints.socktype;
    c_hints.ai_protocol = hints.proto;
    c_hints.ai_flags = hints.flags;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: the strings and hints outlive the call; `res` receives a list
    // that is freed below.
    let rc = unsafe {
        libc::getaddrinfo(
            c_host.as_ref().map_or(std::ptr::null(), |h| h.as_ptr()),
            c_service.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
            &c_hints,
            &mut res,
        )
    };
    if rc != 0 {
        return Err(gai_error(rc, "getaddrinfo"));
    }
    let mut out = Vec::new();
    let mut cur = res;
    while !cur.is_null() {
        // SAFETY: `cur` walks the list getaddrinfo returned; each ai_addr
        // points to a sockaddr of the size and family it states, and
        // ai_canonname is NULL or a NUL-terminated string.
        unsafe {
            let ai = &*cur;
            let addr = match ai.ai_family {
                libc::AF_INET => {
                    let sa = &*(ai.ai_addr as *const libc::sockaddr_in);
                    let ip = std::net::Ipv4Addr::from(u32::from_be(sa.sin_addr.s_addr));
                    Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sa.sin_port))))
                }
                libc::AF_INET6 => {
                    let sa = &*(ai.ai_addr as *const libc::sockaddr_in6);
                    let ip = std::net::Ipv6Addr::from(sa.sin6_addr.s6_addr);
                    Some(SocketAddr::V6(SocketAddrV6::new(
                        ip,
                        u16::from_be(sa.sin6_port),
                        sa.sin6_flowinfo,
                        sa.sin6_scope_id,
                    )))
                }
                _ => None,
            };
            if let Some(addr) = addr {
                let canonname = if ai.ai_canonname.is_null() {
                    String::new()
                } else {
                    CStr::from_ptr(ai.ai_canonname).to_string_lossy().into_owned()
                };
                out.push(AddrInfo {
                    family: ai.ai_family,
                    socktype: ai.ai_socktype,
                    proto: ai.ai_protocol,
                    canonname,
                    addr: Address::Inet(addr),
                });
            }
            cur = ai.ai_next;
        }
    }
    // SAFETY: `res` came from a successful getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(res) };
    Ok(out)
}

/// `getnameinfo((host, port), flags)` as Python's `socket.getnameinfo`:
/// `host` must be numeric (it is parsed with `AI_NUMERICHOST`). Blocking
/// (a reverse lookup): call it off the loop's thread.
///
/// # Errors
/// `gaierror` (`getaddrinfo` for a host that is not numeric, `getnameinfo`
/// for a failed lookup, such as `NI_NAMEREQD` without a name).
pub(crate) fn getnameinfo(host: &str, port: u16, flags: i32) -> Result<(String, String)> {
    let hints = AddrInfoHints { family: 0, socktype: libc::SOCK_DGRAM, proto: 0, flags: libc::AI_NUMERICHOST };
    let infos = getaddrinfo_infos(Some(host), Some(&port.to_string()), hints)?;
    let Some(Address::Inet(addr)) = infos.into_iter().next().map(|ai| ai.addr) else {
        return Err(Error::Os(OsError { errno: 0, syscall: "getnameinfo", message: "sockaddr resolved to nothing".into() }));
    };
    let sa = socket2::SockAddr::from(addr);
    let mut name = [0 as libc::c_char; 1025];
    let mut serv = [0 as libc::c_char; 32];
    // SAFETY: the address and the two buffers outlive the call, with their sizes given.
    let rc = unsafe {
        libc::getnameinfo(
            sa.as_ptr().cast::<libc::sockaddr>(),
            sa.len(),
            name.as_mut_ptr(),
            name.len() as libc::socklen_t,
            serv.as_mut_ptr(),
            serv.len() as libc::socklen_t,
            flags,
        )
    };
    if rc != 0 {
        return Err(gai_error(rc, "getnameinfo"));
    }
    // SAFETY: getnameinfo NUL-terminated both buffers.
    let text = |b: &[libc::c_char]| unsafe { CStr::from_ptr(b.as_ptr()) }.to_string_lossy().into_owned();
    Ok((text(&name), text(&serv)))
}

fn gai_error(rc: i32, syscall: &'static str) -> Error {
    if rc == libc::EAI_SYSTEM {
        return Error::os(syscall, std::io::Error::last_os_error());
    }
    // SAFETY: gai_strerror returns a static NUL-terminated string.
    let text = unsafe { CStr::from_ptr(libc::gai_strerror(rc)) }.to_string_lossy();
    Error::Gai(OsError { errno: rc, syscall, message: format!("[Errno {rc}] {text}") })
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
