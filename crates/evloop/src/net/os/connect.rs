//! Connecting OS sockets: resolution, one attempt per address, asyncio's
//! error texts.

use std::os::fd::RawFd;

use socket2::{Domain, SockAddr, Socket, Type};

use super::resolve::{getaddrinfo, is_numeric};
use super::stream::OsStream;
use crate::error::{Error, Result};
use crate::net::socket::StreamSocket;
use crate::net::{Address, ConnectionOptions};
use crate::EventLoop;

/// Connects a non-blocking socket, as asyncio's `sock_connect`: how is
/// the loop's back end's business, the error text is asyncio's.
async fn connect(lp: &EventLoop, sock: &Socket, addr: &SockAddr, shown: &Address) -> Result<()> {
    lp.backend().connect(lp, sock, addr).await?.map_err(|errno| {
        Error::os_with_message("connect", errno, format!("[Errno {errno}] Connect call failed {shown}"))
    })
}

/// asyncio's rule for several failed attempts: one error, or the same
/// text every time, is raised as is; otherwise `Multiple exceptions: ...`.
fn combine(mut errors: Vec<Error>) -> Error {
    if errors.len() == 1 {
        return errors.remove(0);
    }
    let model = errors[0].message();
    if errors.iter().all(|e| e.message() == model) {
        return errors.remove(0);
    }
    let all: Vec<String> = errors.iter().map(Error::message).collect();
    Error::os_with_message("connect", 0, format!("Multiple exceptions: {}", all.join(", ")))
}

fn stream(sock: Socket) -> Result<Box<dyn StreamSocket>> {
    if matches!(sock.domain(), Ok(Domain::IPV4) | Ok(Domain::IPV6)) {
        let _ = sock.set_tcp_nodelay(true);
    }
    Ok(Box::new(OsStream::new(sock).map_err(|e| Error::os("fcntl", e))?))
}

/// Resolves `host` and connects to the first address that answers.
pub(crate) async fn connect_tcp(
    lp: &EventLoop,
    host: Option<String>,
    port: Option<u16>,
    opts: &ConnectionOptions,
) -> Result<Box<dyn StreamSocket>> {
    let port = port.unwrap_or(0);
    let addrs = match host {
        Some(h) if is_numeric(&h) => getaddrinfo(Some(&h), port, opts.family, opts.flags | libc::AI_NUMERICHOST)?,
        Some(h) => {
            let family = opts.family;
            let flags = opts.flags;
            lp.run_in_executor(move || getaddrinfo(Some(&h), port, family, flags))?.await??
        }
        None => getaddrinfo(None, port, opts.family, opts.flags)?,
    };
    let mut errors = Vec::new();
    for addr in addrs {
        let domain = if addr.is_ipv4() { Domain::IPV4 } else { Domain::IPV6 };
        let attempt = async {
            let sock =
                Socket::new(domain, Type::STREAM, Some(socket2::Protocol::TCP)).map_err(|e| Error::os("socket", e))?;
            sock.set_nonblocking(true).map_err(|e| Error::os("fcntl", e))?;
            if let Some(local) = opts.local_addr {
                sock.bind(&local.into()).map_err(|e| {
                    let errno = e.raw_os_error().unwrap_or(0);
                    let text = Error::os("bind", e).message().to_lowercase();
                    Error::os_with_message(
                        "bind",
                        errno,
                        format!(
                            "[Errno {errno}] error while attempting to bind on address {}: {text}",
                            Address::Inet(local)
                        ),
                    )
                })?;
            }
            connect(lp, &sock, &addr.into(), &Address::Inet(addr)).await?;
            Ok::<Socket, Error>(sock)
        };
        match attempt.await {
            Ok(sock) => return stream(sock),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        return Err(Error::os_with_message("getaddrinfo", 0, "getaddrinfo() returned empty list"));
    }
    Err(combine(errors))
}

/// Connects to a Unix socket path.
pub(crate) async fn connect_unix(lp: &EventLoop, path: String) -> Result<Box<dyn StreamSocket>> {
    let sock = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(|e| Error::os("socket", e))?;
    sock.set_nonblocking(true).map_err(|e| Error::os("fcntl", e))?;
    let addr = SockAddr::unix(&path).map_err(|e| Error::os("connect", e))?;
    connect(lp, &sock, &addr, &Address::Unix(path.clone())).await?;
    stream(sock)
}

/// A caller's connected socket (owned from now on).
pub(crate) fn adopt_stream(fd: RawFd) -> Result<Box<dyn StreamSocket>> {
    // Checked before it is owned, as the server's `sock` is: an fd that is
    // not a stream socket (stdin, a file) is refused and left open.
    stream(super::bind::adopt_socket(fd, false)?)
}
