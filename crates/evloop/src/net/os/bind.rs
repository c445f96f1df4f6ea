//! Binding server sockets on the OS: resolution, one socket per address,
//! the `sock=` adoption and Unix paths (reference §4.2–§4.5).

use std::net::SocketAddr;
use std::os::fd::{FromRawFd, RawFd};

use socket2::{Domain, Socket, Type};

use super::resolve::{getaddrinfo, is_numeric};
use super::view::getsockopt_int;
use super::{from_sockaddr, listener::OsListener};
use crate::error::{Error, Result};
use crate::net::socket::ListenSocket;
use crate::net::{Address, Family, Host, ServerOptions};
use crate::EventLoop;

/// Formats a list of addresses as Python prints a list of tuples.
fn format_list(addrs: &[Address]) -> String {
    let items: Vec<String> = addrs.iter().map(Address::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// Resolves one host for binding: numeric hosts and "all interfaces" on
/// the loop's thread, names on the executor.
async fn resolve(lp: &EventLoop, host: Option<String>, port: u16, family: Family, flags: i32) -> Result<Vec<SocketAddr>> {
    match host {
        None => getaddrinfo(None, port, family, flags),
        Some(h) if is_numeric(&h) => getaddrinfo(Some(&h), port, family, flags | libc::AI_NUMERICHOST),
        Some(h) => {
            let name = h.clone();
            let found = lp.run_in_executor(move || getaddrinfo(Some(&name), port, family, flags))?.await??;
            if found.is_empty() {
                return Err(Error::os_with_message("getaddrinfo", 0, format!("getaddrinfo({h:?}) returned empty list")));
            }
            Ok(found)
        }
    }
}

fn domain_of(addr: &SocketAddr) -> Domain {
    if addr.is_ipv4() { Domain::IPV4 } else { Domain::IPV6 }
}

/// Creates and binds one listening socket; `Ok(Err(errno))` when the
/// address is skipped, as asyncio skips it: its family cannot be created
/// here, or it is not available (`EADDRNOTAVAIL`).
fn bind_one(addr: SocketAddr, opts: &ServerOptions) -> Result<std::result::Result<Socket, i32>> {
    let sock = match Socket::new(domain_of(&addr), Type::STREAM, Some(socket2::Protocol::TCP)) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e.raw_os_error().unwrap_or(0))),
    };
    let setup = || -> std::io::Result<()> {
        if opts.reuse_address.unwrap_or(true) {
            sock.set_reuse_address(true)?;
        }
        if opts.reuse_port.unwrap_or(false) {
            sock.set_reuse_port(true)?;
        }
        if opts.keep_alive.unwrap_or(false) {
            sock.set_keepalive(true)?;
        }
        if addr.is_ipv6() {
            // One socket per family, never dual-stack.
            sock.set_only_v6(true)?;
        }
        Ok(())
    };
    setup().map_err(|e| Error::os("setsockopt", e))?;
    match sock.bind(&addr.into()) {
        Ok(()) => Ok(Ok(sock)),
        Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => Ok(Err(libc::EADDRNOTAVAIL)),
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(0);
            let text = Error::os("bind", e).message().to_lowercase();
            let addr = Address::Inet(addr);
            Err(Error::os_with_message(
                "bind",
                errno,
                format!("[Errno {errno}] error while attempting to bind on address {addr}: {text}"),
            ))
        }
    }
}

/// Takes ownership of a caller's socket fd, checking it is a stream socket.
pub(super) fn adopt_socket(fd: RawFd, expect_unix: bool) -> Result<Socket> {
    if fd < 0 {
        return Err(Error::Value(format!("sock: invalid file descriptor {fd}")));
    }
    let kind = transport_socket_type(fd).map_err(|e| Error::os("getsockopt", e))?;
    // SAFETY: the caller hands the fd over to the server (API contract).
    let sock = unsafe { Socket::from_raw_fd(fd) };
    let family = sock.domain().ok();
    if expect_unix && (family != Some(Domain::UNIX) || kind != libc::SOCK_STREAM) {
        let repr = socket_repr(&sock);
        std::mem::forget(sock);
        return Err(Error::Value(format!("A UNIX Domain Stream Socket was expected, got {repr}")));
    }
    if kind != libc::SOCK_STREAM {
        let repr = socket_repr(&sock);
        std::mem::forget(sock);
        return Err(Error::Value(format!("A Stream Socket was expected, got {repr}")));
    }
    Ok(sock)
}

/// `<socket.socket fd=7, family=2, type=2, proto=0, laddr=('0.0.0.0', 0)>`.
pub(super) fn socket_repr(sock: &Socket) -> String {
    use std::os::fd::AsRawFd;
    let fd = sock.as_raw_fd();
    let get = |opt| getsockopt_int(fd, libc::SOL_SOCKET, opt).unwrap_or(0);
    let mut s = format!(
        "<socket.socket fd={fd}, family={}, type={}, proto={}",
        get(libc::SO_DOMAIN),
        get(libc::SO_TYPE),
        get(libc::SO_PROTOCOL)
    );
    if let Some(addr) = sock.local_addr().ok().as_ref().and_then(from_sockaddr) {
        s.push_str(&format!(", laddr={addr}"));
    }
    s.push('>');
    s
}

/// `SO_TYPE` of an fd without the `SOCK_NONBLOCK`/`SOCK_CLOEXEC` bits.
fn transport_socket_type(fd: RawFd) -> std::io::Result<i32> {
    Ok(getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_TYPE)? & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC))
}

/// Resolves the hosts and binds one socket per distinct address.
pub(crate) async fn bind_tcp(
    lp: &EventLoop,
    host: Option<Host>,
    port: Option<u16>,
    opts: &ServerOptions,
) -> Result<Vec<Box<dyn ListenSocket>>> {
    let hosts: Vec<Option<String>> = match host {
        None => vec![None],
        Some(Host::Name(h)) if h.is_empty() => vec![None],
        Some(Host::Name(h)) => vec![Some(h)],
        Some(Host::Names(v)) => v.into_iter().map(|h| (!h.is_empty()).then_some(h)).collect(),
    };
    let port = port.unwrap_or(0);
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for h in hosts {
        for a in resolve(lp, h, port, opts.family, opts.flags).await? {
            // Duplicates (also through different names) bind once.
            if !addrs.contains(&a) {
                addrs.push(a);
            }
        }
    }
    let mut sockets: Vec<Box<dyn ListenSocket>> = Vec::new();
    let mut skipped = 0;
    for addr in &addrs {
        // On error, the sockets bound so far close as they drop.
        match bind_one(*addr, opts)? {
            Ok(sock) => sockets.push(Box::new(OsListener::new(sock).map_err(|e| Error::os("fcntl", e))?)),
            Err(errno) => skipped = errno,
        }
    }
    if sockets.is_empty() {
        let listed: Vec<Address> = addrs.iter().map(|a| Address::Inet(*a)).collect();
        // asyncio's error here has no errno; keeping the last skip's
        // (EADDRNOTAVAIL, EAFNOSUPPORT) tells callers why (docs/net.md).
        return Err(Error::os_with_message(
            "bind",
            skipped,
            format!("could not bind on any address out of {}", format_list(&listed)),
        ));
    }
    Ok(sockets)
}

/// A caller's bound socket, as a listener (the server owns it from now on).
pub(crate) fn adopt_listener(fd: RawFd, unix: bool, cleanup: bool) -> Result<Box<dyn ListenSocket>> {
    let mut l = OsListener::new(adopt_socket(fd, unix)?).map_err(|e| Error::os("fcntl", e))?;
    if unix && cleanup {
        l.record_path_for_cleanup();
    }
    Ok(Box::new(l))
}

/// A Unix socket bound to `path`.
pub(crate) fn bind_unix_listener(path: &str, cleanup: bool) -> Result<Box<dyn ListenSocket>> {
    let mut l = OsListener::new(bind_unix(path)?).map_err(|e| Error::os("fcntl", e))?;
    if cleanup {
        l.record_path_for_cleanup();
    }
    Ok(Box::new(l))
}

fn bind_unix(path: &str) -> Result<Socket> {
    use std::os::unix::fs::FileTypeExt;
    // A stale socket file from an earlier run is replaced (abstract
    // addresses, starting with NUL, have no file).
    if !path.starts_with('\0') {
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.file_type().is_socket() {
                let _ = std::fs::remove_file(path);
            }
        }
    }
    let sock = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(|e| Error::os("socket", e))?;
    let addr = socket2::SockAddr::unix(path).map_err(|e| Error::os("bind", e))?;
    match sock.bind(&addr) {
        Ok(()) => Ok(sock),
        Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => Err(Error::os_with_message(
            "bind",
            libc::EADDRINUSE,
            format!("[Errno {}] Address '{path}' is already in use", libc::EADDRINUSE),
        )),
        Err(e) => Err(Error::os("bind", e)),
    }
}
