//! `create_connection` and `create_unix_connection`: the client side of a
//! stream connection.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::rc::Rc;

use socket2::{Domain, SockAddr, Socket, Type};

use super::{Protocol, Transport};
use crate::error::{Error, Result};
use crate::future::Future;
use crate::net::os_socket::OsStream;
use crate::net::resolve::{getaddrinfo, is_numeric};
use crate::net::{Address, Family};
use crate::selector::Interest;
use crate::EventLoop;

/// Options of `create_connection`.
#[derive(Clone, Debug, Default)]
pub struct ConnectionOptions {
    /// Address family to resolve for.
    pub family: Family,
    /// `getaddrinfo` flags.
    pub flags: i32,
    /// A connected stream socket to use instead of host/port (owned).
    pub sock: Option<RawFd>,
    /// Bind the socket to this address before connecting.
    pub local_addr: Option<SocketAddr>,
}

/// Completes when `fd` is writable (a non-blocking connect finished).
fn writable(lp: &EventLoop, fd: RawFd) -> Result<Future<()>> {
    let fut = lp.create_future::<()>();
    let done = fut.clone();
    let lp2 = lp.clone();
    lp.add_io_unchecked(
        fd,
        Interest::WRITE,
        Cow::Borrowed("sock_connect_cb"),
        Box::new(move || {
            lp2.remove_io(fd, Interest::WRITE);
            if !done.done() {
                let _ = done.set_result(());
            }
        }),
    )?;
    Ok(fut)
}

/// Connects a non-blocking socket, as asyncio's `sock_connect`.
async fn connect(lp: &EventLoop, sock: &Socket, addr: &SockAddr, shown: &Address) -> Result<()> {
    let failed = |errno: i32| {
        Error::os_with_message("connect", errno, format!("[Errno {errno}] Connect call failed {shown}"))
    };
    match sock.connect(addr) {
        Ok(()) => return Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(failed(e.raw_os_error().unwrap_or(0))),
    }
    let ready = writable(lp, sock.as_raw_fd())?;
    let guard = RemoveWriterOnDrop(lp.clone(), sock.as_raw_fd());
    ready.await?;
    drop(guard);
    match sock.take_error() {
        Ok(None) => Ok(()),
        Ok(Some(e)) | Err(e) => Err(failed(e.raw_os_error().unwrap_or(0))),
    }
}

/// Unregisters the connect wait if the connecting task is dropped.
struct RemoveWriterOnDrop(EventLoop, RawFd);

impl Drop for RemoveWriterOnDrop {
    fn drop(&mut self) {
        self.0.remove_io(self.1, Interest::WRITE);
    }
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

impl EventLoop {
    /// Opens a TCP connection to `host:port` (trying each resolved address
    /// in turn) and resolves to the transport and protocol once
    /// `connection_made` has run.
    ///
    /// # Errors
    /// `ValueError` for conflicting or missing arguments; `gaierror`;
    /// `ConnectionRefusedError` (`[Errno 111] Connect call failed (...)`) and
    /// other connect errors.
    pub fn create_connection(
        &self,
        factory: impl FnOnce() -> Rc<dyn Protocol> + 'static,
        host: Option<String>,
        port: Option<u16>,
        opts: ConnectionOptions,
    ) -> impl std::future::Future<Output = Result<(Transport, Rc<dyn Protocol>)>> + 'static {
        let lp = self.clone();
        async move {
            lp.check_open()?;
            let sock = if host.is_some() || port.is_some() {
                if opts.sock.is_some() {
                    return Err(Error::Value("host/port and sock can not be specified at the same time".into()));
                }
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
                let mut connected = None;
                for addr in addrs {
                    let domain = if addr.is_ipv4() { Domain::IPV4 } else { Domain::IPV6 };
                    let attempt = async {
                        let sock = Socket::new(domain, Type::STREAM, Some(socket2::Protocol::TCP))
                            .map_err(|e| Error::os("socket", e))?;
                        sock.set_nonblocking(true).map_err(|e| Error::os("fcntl", e))?;
                        if let Some(local) = opts.local_addr {
                            sock.bind(&local.into()).map_err(|e| {
                                let errno = e.raw_os_error().unwrap_or(0);
                                let text = Error::os("bind", e).message().to_lowercase();
                                Error::os_with_message(
                                    "bind",
                                    errno,
                                    format!("[Errno {errno}] error while attempting to bind on address {}: {text}", Address::Inet(local)),
                                )
                            })?;
                        }
                        connect(&lp, &sock, &addr.into(), &Address::Inet(addr)).await?;
                        Ok::<Socket, Error>(sock)
                    };
                    match attempt.await {
                        Ok(sock) => {
                            connected = Some(sock);
                            break;
                        }
                        Err(e) => errors.push(e),
                    }
                }
                match connected {
                    Some(sock) => sock,
                    None if errors.is_empty() => {
                        return Err(Error::os_with_message("getaddrinfo", 0, "getaddrinfo() returned empty list"))
                    }
                    None => return Err(combine(errors)),
                }
            } else {
                let Some(fd) = opts.sock else {
                    return Err(Error::Value("host and port was not specified and no sock specified".into()));
                };
                // SAFETY: the caller hands the connected socket over (API contract).
                unsafe { Socket::from_raw_fd(fd) }
            };
            if matches!(sock.domain(), Ok(Domain::IPV4) | Ok(Domain::IPV6)) {
                let _ = sock.set_tcp_nodelay(true);
            }
            lp.connection_from_socket(sock, factory()).await
        }
    }

    /// Opens a Unix stream connection to `path`.
    ///
    /// # Errors
    /// `ValueError` for conflicting or missing arguments; connect errors
    /// (`FileNotFoundError`, `ConnectionRefusedError`).
    pub fn create_unix_connection(
        &self,
        factory: impl FnOnce() -> Rc<dyn Protocol> + 'static,
        path: Option<String>,
        sock: Option<RawFd>,
    ) -> impl std::future::Future<Output = Result<(Transport, Rc<dyn Protocol>)>> + 'static {
        let lp = self.clone();
        async move {
            lp.check_open()?;
            let sock = match (path, sock) {
                (Some(_), Some(_)) => {
                    return Err(Error::Value("path and sock can not be specified at the same time".into()))
                }
                (None, None) => return Err(Error::Value("no path and sock were specified".into())),
                // SAFETY: the caller hands the connected socket over.
                (None, Some(fd)) => unsafe { Socket::from_raw_fd(fd) },
                (Some(path), None) => {
                    let sock = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(|e| Error::os("socket", e))?;
                    sock.set_nonblocking(true).map_err(|e| Error::os("fcntl", e))?;
                    let addr = SockAddr::unix(&path).map_err(|e| Error::os("connect", e))?;
                    connect(&lp, &sock, &addr, &Address::Unix(path.clone())).await?;
                    sock
                }
            };
            lp.connection_from_socket(sock, factory()).await
        }
    }

    async fn connection_from_socket(
        &self,
        sock: Socket,
        protocol: Rc<dyn Protocol>,
    ) -> Result<(Transport, Rc<dyn Protocol>)> {
        let stream = OsStream::new(sock).map_err(|e| Error::os("fcntl", e))?;
        let waiter = self.create_future::<()>();
        let transport = Transport::new(self, Box::new(stream), protocol.clone(), None, None, Some(waiter.clone()))?;
        if let Err(e) = waiter.clone().await {
            transport.close();
            return Err(e);
        }
        Ok((transport, protocol))
    }
}
