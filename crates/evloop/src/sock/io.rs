//! `sock_accept`, `sock_connect`, `sock_recv`, `sock_recv_into`,
//! `sock_recvfrom`, `sock_recvfrom_into`, `sock_sendall`, `sock_sendto`:
//! each tries its syscall first and waits for readiness only on `EAGAIN`
//! (asyncio 3.13's `selector_events.py` order).

use std::mem::{ManuallyDrop, MaybeUninit};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};

use socket2::{SockAddr, Socket};

use super::wait::ready;
use super::{check, would_block};
use crate::error::{Error, Result};
use crate::net::os::{from_sockaddr, resolve};
use crate::net::{Address, EndpointAddr};
use crate::selector::{Fd, Interest};
use crate::EventLoop;

/// The caller's socket, borrowed for one call (never closed here).
pub(super) fn borrow(fd: Fd) -> ManuallyDrop<Socket> {
    // SAFETY: the fd stays open for the call (the API's contract); the
    // ManuallyDrop never closes it.
    ManuallyDrop::new(unsafe { Socket::from_raw_fd(fd) })
}

fn uninit(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: initialized bytes are valid MaybeUninit bytes, and the
    // socket calls only write initialized bytes into them.
    unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) }
}

/// An address for `sock_connect`/`sock_sendto`: numeric hosts here, names
/// through `getaddrinfo` on the default executor (asyncio's `_ensure_resolved`).
async fn resolve_addr(lp: &EventLoop, sock: &Socket, addr: &EndpointAddr) -> Result<(SockAddr, Address)> {
    match addr {
        EndpointAddr::Path(p) => Ok((SockAddr::unix(p).map_err(|e| Error::os("connect", e))?, Address::Unix(p.clone()))),
        EndpointAddr::Host(host, port) => {
            let inet = if let Ok(ip) = host.parse::<IpAddr>() {
                SocketAddr::new(ip, *port)
            } else {
                let family = sock.domain().map(i32::from).unwrap_or(0);
                let socktype = sock.r#type().map(i32::from).unwrap_or(0);
                let (h, p) = (host.clone(), *port);
                let found = lp
                    .run_in_executor(move || resolve::getaddrinfo_typed(Some(&h), p, family, socktype, 0, 0))?
                    .await??;
                *found.first().ok_or_else(|| {
                    Error::os_with_message("getaddrinfo", 0, format!("getaddrinfo({host}) returned empty list"))
                })?
            };
            Ok((SockAddr::from(inet), Address::Inet(inet)))
        }
    }
}

impl EventLoop {
    /// asyncio's `sock_accept`: one connection from the listening
    /// non-blocking socket `sock`, as a new non-blocking, close-on-exec
    /// socket (owned by the caller) and the peer's address.
    ///
    /// # Errors
    /// `ValueError` for a blocking socket; `RuntimeError` for an fd a
    /// transport owns; the OS error of `accept` (`EINVAL` when not listening).
    pub async fn sock_accept(&self, sock: Fd) -> Result<(OwnedFd, Option<Address>)> {
        check(self, "sock_accept", sock)?;
        let s = borrow(sock);
        loop {
            match s.accept() {
                Ok((conn, addr)) => {
                    conn.set_nonblocking(true).map_err(|e| Error::os("fcntl", e))?;
                    // SAFETY: the fd is the accepted socket's, handed over whole.
                    let owned = unsafe { OwnedFd::from_raw_fd(conn.into_raw_fd()) };
                    return Ok((owned, from_sockaddr(&addr)));
                }
                Err(e) if would_block(&e) => ready(self, sock, Interest::READ, "sock_accept").await?,
                Err(e) => return Err(Error::os("accept", e)),
            }
        }
    }

    /// asyncio's `sock_connect`: connects the non-blocking socket `sock`
    /// to `addr` (a host name is resolved off the loop's thread).
    ///
    /// # Errors
    /// `gaierror`; `OSError` with asyncio's `Connect call failed (...)` text.
    pub async fn sock_connect(&self, sock: Fd, addr: EndpointAddr) -> Result<()> {
        check(self, "sock_connect", sock)?;
        let s = borrow(sock);
        let (sa, shown) = resolve_addr(self, &s, &addr).await?;
        self.backend().connect(self, &s, &sa).await?.map_err(|errno| {
            Error::os_with_message("connect", errno, format!("[Errno {errno}] Connect call failed {shown}"))
        })
    }

    /// asyncio's `sock_recv`: up to `n` bytes (empty at EOF).
    ///
    /// # Errors
    /// As `sock_accept`, with `recv`'s OS errors.
    pub async fn sock_recv(&self, sock: Fd, n: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        let got = self.sock_recv_into(sock, &mut buf).await?;
        buf.truncate(got);
        Ok(buf)
    }

    /// asyncio's `sock_recv_into`: reads into `buf`; the count read.
    ///
    /// # Errors
    /// As `sock_recv`.
    pub async fn sock_recv_into(&self, sock: Fd, buf: &mut [u8]) -> Result<usize> {
        check(self, "sock_recv_into", sock)?;
        let s = borrow(sock);
        loop {
            match s.recv(uninit(buf)) {
                Ok(n) => return Ok(n),
                Err(e) if would_block(&e) => ready(self, sock, Interest::READ, "sock_recv").await?,
                Err(e) => return Err(Error::os("recv", e)),
            }
        }
    }

    /// asyncio's `sock_recvfrom`: one datagram of up to `n` bytes and its sender.
    ///
    /// # Errors
    /// As `sock_recv`.
    pub async fn sock_recvfrom(&self, sock: Fd, n: usize) -> Result<(Vec<u8>, Option<Address>)> {
        let mut buf = vec![0u8; n];
        let (got, addr) = self.sock_recvfrom_into(sock, &mut buf, 0).await?;
        buf.truncate(got);
        Ok((buf, addr))
    }

    /// asyncio's `sock_recvfrom_into`: one datagram into the first
    /// `nbytes` of `buf` (0: all of it); the count and the sender.
    ///
    /// # Errors
    /// `ValueError` when `nbytes` exceeds the buffer; as `sock_recv`.
    pub async fn sock_recvfrom_into(&self, sock: Fd, buf: &mut [u8], nbytes: usize) -> Result<(usize, Option<Address>)> {
        check(self, "sock_recvfrom_into", sock)?;
        let n = if nbytes == 0 { buf.len() } else { nbytes };
        if n > buf.len() {
            return Err(Error::Value("nbytes is greater than the length of the buffer".into()));
        }
        let s = borrow(sock);
        loop {
            match s.recv_from(uninit(&mut buf[..n])) {
                Ok((got, addr)) => return Ok((got, from_sockaddr(&addr))),
                Err(e) if would_block(&e) => ready(self, sock, Interest::READ, "sock_recvfrom").await?,
                Err(e) => return Err(Error::os("recvfrom", e)),
            }
        }
    }

    /// asyncio's `sock_sendall`: sends all of `data`, waiting for the
    /// socket to take more as needed. What was sent before a failure or a
    /// cancellation stays sent.
    ///
    /// # Errors
    /// As `sock_recv`, with `send`'s OS errors (`BrokenPipeError`, ...).
    pub async fn sock_sendall(&self, sock: Fd, data: &[u8]) -> Result<()> {
        check(self, "sock_sendall", sock)?;
        let s = borrow(sock);
        let mut sent = 0;
        loop {
            match s.send(&data[sent..]) {
                Ok(n) => sent += n,
                Err(e) if would_block(&e) => {}
                Err(e) => return Err(Error::os("send", e)),
            }
            if sent >= data.len() {
                return Ok(());
            }
            ready(self, sock, Interest::WRITE, "sock_sendall").await?;
        }
    }

    /// asyncio's `sock_sendto`: one datagram to `addr`; the count sent.
    ///
    /// # Errors
    /// As `sock_connect` for the address; `sendto`'s OS errors.
    pub async fn sock_sendto(&self, sock: Fd, data: &[u8], addr: EndpointAddr) -> Result<usize> {
        check(self, "sock_sendto", sock)?;
        let s = borrow(sock);
        let (sa, _) = resolve_addr(self, &s, &addr).await?;
        loop {
            match s.send_to(data, &sa) {
                Ok(n) => return Ok(n),
                Err(e) if would_block(&e) => ready(self, sock, Interest::WRITE, "sock_sendto").await?,
                Err(e) => return Err(Error::os("sendto", e)),
            }
        }
    }
}
