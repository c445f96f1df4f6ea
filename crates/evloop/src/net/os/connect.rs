//! Connecting OS sockets: resolution, one attempt per address (in turn or
//! staggered, net/staggered.rs), asyncio's error texts.

use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::rc::Rc;

use socket2::{Domain, SockAddr, Socket, Type};

use super::resolve::{getaddrinfo_infos, is_numeric};
use super::stream::OsStream;
use crate::error::{Error, Result};
use crate::net::network::LocalFuture;
use crate::net::socket::StreamSocket;
use crate::net::staggered::{self, Attempt};
use crate::net::{AddrInfo, AddrInfoHints, Address, ConnectionOptions};
use crate::EventLoop;

/// Connects a non-blocking socket, as asyncio's `sock_connect`: how is
/// the loop's back end's business, the error text is asyncio's.
async fn connect(lp: &EventLoop, sock: &Socket, addr: &SockAddr, shown: &Address) -> Result<()> {
    lp.backend().connect(lp, sock, addr).await?.map_err(|errno| {
        Error::os_with_message("connect", errno, format!("[Errno {errno}] Connect call failed {shown}"))
    })
}

/// asyncio's rule for several failed attempts: with `all_errors`, all of
/// them (an `ExceptionGroup`); else one error, or the same text every
/// time, is raised as is; otherwise `Multiple exceptions: ...`.
fn combine(mut errors: Vec<Error>, all_errors: bool) -> Error {
    if all_errors {
        return Error::Group { message: "create_connection failed".into(), errors };
    }
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

/// asyncio's `_ensure_resolved` for a stream socket: a numeric host on the
/// loop's thread, a name on the default executor.
async fn resolve(lp: &EventLoop, host: Option<String>, port: u16, opts: &ConnectionOptions) -> Result<Vec<AddrInfo>> {
    let hints = AddrInfoHints { family: opts.family.raw(), socktype: libc::SOCK_STREAM, proto: opts.proto, flags: opts.flags };
    let service = Some(port.to_string());
    let infos = match host {
        Some(h) if is_numeric(&h) => {
            let numeric = AddrInfoHints { flags: hints.flags | libc::AI_NUMERICHOST, ..hints };
            getaddrinfo_infos(Some(&h), service.as_deref(), numeric)?
        }
        Some(h) => lp.run_in_executor(move || getaddrinfo_infos(Some(&h), service.as_deref(), hints))?.await??,
        None => getaddrinfo_infos(None, service.as_deref(), hints)?,
    };
    if infos.is_empty() {
        return Err(Error::os_with_message("getaddrinfo", 0, "getaddrinfo() returned empty list"));
    }
    Ok(infos)
}

fn inet(ai: &AddrInfo) -> Option<SocketAddr> {
    match ai.addr {
        Address::Inet(a) => Some(a),
        _ => None,
    }
}

/// Python's repr of an address family in `{family=}`.
fn family_repr(family: i32) -> String {
    let name = match family {
        libc::AF_INET => "AF_INET",
        libc::AF_INET6 => "AF_INET6",
        _ => return family.to_string(),
    };
    format!("<AddressFamily.{name}: {family}>")
}

/// asyncio's `_connect_sock`: one socket for `ai`, bound to the first
/// local address of its family (if any were given), connected. Fails with
/// every error it met (failed binds, then the connect's).
async fn connect_one(lp: EventLoop, ai: AddrInfo, locals: Option<Rc<Vec<AddrInfo>>>) -> Result<Socket, Vec<Error>> {
    let one = |e: Error| vec![e];
    let addr = inet(&ai).ok_or_else(|| one(Error::Value("not an IP address".into())))?;
    let domain = Domain::from(ai.family);
    let proto = (ai.proto != 0).then(|| socket2::Protocol::from(ai.proto));
    let sock = Socket::new(domain, Type::STREAM, proto).map_err(|e| one(Error::os("socket", e)))?;
    sock.set_nonblocking(true).map_err(|e| one(Error::os("fcntl", e)))?;
    let mut mine = Vec::new();
    if let Some(locals) = locals {
        let mut bound = false;
        for local in locals.iter().filter(|l| l.family == ai.family).filter_map(inet) {
            match sock.bind(&local.into()) {
                Ok(()) => {
                    bound = true;
                    break;
                }
                Err(e) => {
                    let errno = e.raw_os_error().unwrap_or(0);
                    let text = Error::os("bind", e).message().to_lowercase();
                    let shown = Address::Inet(local);
                    mine.push(Error::os_with_message(
                        "bind",
                        errno,
                        format!("[Errno {errno}] error while attempting to bind on address {shown}: {text}"),
                    ));
                }
            }
        }
        if !bound {
            if mine.is_empty() {
                let family = family_repr(ai.family);
                mine.push(Error::os_with_message("bind", 0, format!("no matching local address with family={family} found")));
            }
            return Err(mine);
        }
    }
    match connect(&lp, &sock, &addr.into(), &Address::Inet(addr)).await {
        Ok(()) => Ok(sock),
        Err(e) => {
            mine.push(e);
            Err(mine)
        }
    }
}

/// asyncio's `create_connection` over OS sockets: resolves `host` (and
/// `local_addr`), orders the addresses (`interleave`), and tries them one
/// after another or, with `happy_eyeballs_delay`, as a staggered race.
pub(crate) async fn connect_tcp(
    lp: &EventLoop,
    host: Option<String>,
    port: Option<u16>,
    opts: &ConnectionOptions,
) -> Result<Box<dyn StreamSocket>> {
    if let Some(d) = opts.happy_eyeballs_delay {
        if !d.is_finite() || d < 0.0 {
            return Err(Error::Value(format!("happy_eyeballs_delay must be a non-negative number, got {d}")));
        }
    }
    let mut infos = resolve(lp, host, port.unwrap_or(0), opts).await?;
    let locals = match &opts.local_addr {
        Some((h, p)) => Some(Rc::new(resolve(lp, Some(h.clone()), *p, opts).await?)),
        None => None,
    };
    let interleave = opts.interleave.or(opts.happy_eyeballs_delay.map(|_| 1));
    if let Some(n) = interleave.filter(|n| *n > 0) {
        infos = staggered::interleave(infos, |ai| ai.family, n);
    }
    let attempts: Vec<Attempt<Socket>> = infos
        .into_iter()
        .map(|ai| {
            let (lp, locals) = (lp.clone(), locals.clone());
            Box::new(move || Box::pin(connect_one(lp, ai, locals)) as LocalFuture<_>) as Attempt<Socket>
        })
        .collect();
    let (winner, errors) = staggered::staggered_race(lp, attempts, opts.happy_eyeballs_delay).await;
    match winner {
        Some(sock) => stream(sock),
        None => Err(combine(errors, opts.all_errors)),
    }
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
