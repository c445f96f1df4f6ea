//! OS datagram sockets: the socket under a datagram transport, and how
//! `create_datagram_endpoint` makes it (asyncio's order: resolve both
//! addresses, pair them by family, try each pair until one binds and
//! connects).

use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::rc::Rc;

use socket2::{Domain, SockAddr, Socket, Type};

use super::resolve::{getaddrinfo_typed, is_numeric};
use super::view::{getsockopt_int, FdCell};
use super::{bind::socket_repr, from_sockaddr};
use crate::error::{Error, Result};
use crate::net::network::Endpoint;
use crate::net::socket::DatagramSocket;
use crate::net::{Address, DatagramOptions, EndpointAddr, TransportSocket, AF_UNIX};
use crate::selector::Fd;
use crate::EventLoop;

/// A non-blocking OS datagram socket, closed when dropped.
pub(crate) struct OsDatagram {
    sock: Socket,
    cell: Rc<FdCell>,
}

impl OsDatagram {
    fn new(sock: Socket) -> Result<OsDatagram> {
        sock.set_nonblocking(true).map_err(|e| Error::os("fcntl", e))?;
        let cell = FdCell::new(&sock);
        Ok(OsDatagram { sock, cell })
    }
}

impl Drop for OsDatagram {
    fn drop(&mut self) {
        self.cell.mark_closed();
    }
}

/// An address in asyncio's shapes as the OS takes it.
pub(crate) fn to_sockaddr(addr: &Address) -> std::io::Result<SockAddr> {
    match addr {
        Address::Inet(a) => Ok((*a).into()),
        Address::Unix(path) => SockAddr::unix(path),
        Address::Sim { .. } => Err(std::io::Error::from_raw_os_error(libc::EAFNOSUPPORT)),
    }
}

impl DatagramSocket for OsDatagram {
    fn fd(&self) -> Fd {
        self.sock.as_raw_fd()
    }

    fn view(&self) -> TransportSocket {
        self.cell.view()
    }

    fn recv_from(&self, buf: &mut [u8]) -> std::io::Result<(usize, Option<Address>)> {
        // SAFETY: sockaddr_storage is plain data; all zeroes is valid.
        let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: `buf` is valid for writes of its length, `storage` for
        // `len` bytes.
        let n = unsafe {
            libc::recvfrom(
                self.fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                0,
                (&mut storage as *mut libc::sockaddr_storage).cast(),
                &mut len,
            )
        };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((n as usize, address_from_storage(&storage, len)))
    }

    fn send_to(&self, buf: &[u8], addr: Option<&Address>) -> std::io::Result<usize> {
        match addr {
            None => self.sock.send(buf),
            Some(a) => self.sock.send_to(buf, &to_sockaddr(a)?),
        }
    }

    fn local_addr(&self) -> Option<Address> {
        self.sock.local_addr().ok().as_ref().and_then(from_sockaddr)
    }

    fn peer_addr(&self) -> Option<Address> {
        self.sock.peer_addr().ok().as_ref().and_then(from_sockaddr)
    }
}

/// The sender address the kernel wrote (`None` for an empty one, as an
/// unbound Unix socket's).
pub(crate) fn address_from_storage(storage: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<Address> {
    if len == 0 {
        return None;
    }
    let mut out = socket2::SockAddrStorage::zeroed();
    // SAFETY: both are sockaddr_storage-sized plain data; the kernel wrote
    // a valid address of `len` bytes.
    unsafe { *out.view_as::<libc::sockaddr_storage>() = *storage };
    // SAFETY: as above.
    let addr = unsafe { SockAddr::new(out, len) };
    from_sockaddr(&addr)
}

/// Makes the endpoint's socket (see the module docs).
pub(crate) async fn open(lp: &EventLoop, opts: &DatagramOptions) -> Result<Endpoint> {
    if let Some(fd) = opts.sock {
        return Ok((Box::new(adopt(fd)?), None));
    }
    if opts.local_addr.is_none() && opts.remote_addr.is_none() {
        let domain = Domain::from(opts.family);
        let sock = Socket::new(domain, Type::DGRAM, proto(opts)).map_err(|e| Error::os("socket", e))?;
        return Ok((Box::new(OsDatagram::new(sock)?), None));
    }
    if opts.family == AF_UNIX {
        return open_unix(lp, opts).await;
    }
    let local = match &opts.local_addr {
        Some(a) => Some(resolve(lp, a, opts).await?),
        None => None,
    };
    let remote = match &opts.remote_addr {
        Some(a) => Some(resolve(lp, a, opts).await?),
        None => None,
    };
    let pairs = pair_by_family(local.as_deref(), remote.as_deref());
    if pairs.is_empty() {
        return Err(Error::Value("can not get address information".into()));
    }
    let mut first_error = None;
    for (local, remote) in pairs {
        match try_pair(lp, opts, local, remote).await {
            Ok(sock) => return Ok((Box::new(sock), remote.map(Address::Inet))),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.expect("at least one pair was tried"))
}

fn proto(opts: &DatagramOptions) -> Option<socket2::Protocol> {
    (opts.proto != 0).then(|| socket2::Protocol::from(opts.proto))
}

/// Resolves one `(host, port)`: numeric hosts on the loop's thread, names
/// on the executor.
async fn resolve(lp: &EventLoop, addr: &EndpointAddr, opts: &DatagramOptions) -> Result<Vec<SocketAddr>> {
    let EndpointAddr::Host(host, port) = addr.clone() else {
        return Err(Error::Type("2-tuple is expected".into()));
    };
    let (family, proto, flags) = (opts.family, opts.proto, opts.flags);
    let found = if is_numeric(&host) {
        getaddrinfo_typed(Some(&host), port, family, libc::SOCK_DGRAM, proto, flags | libc::AI_NUMERICHOST)?
    } else {
        lp.run_in_executor(move || getaddrinfo_typed(Some(&host), port, family, libc::SOCK_DGRAM, proto, flags))?
            .await??
    };
    if found.is_empty() {
        return Err(Error::os_with_message("getaddrinfo", 0, "getaddrinfo() returned empty list"));
    }
    Ok(found)
}

type Pair = (Option<SocketAddr>, Option<SocketAddr>);

/// asyncio's pairing: per family, in the resolver's order, the first local
/// and the first remote address; a family that lacks an address one side
/// asked for is left out.
fn pair_by_family(local: Option<&[SocketAddr]>, remote: Option<&[SocketAddr]>) -> Vec<Pair> {
    let mut pairs: Vec<(bool, Pair)> = Vec::new();
    for (side, addrs) in [(0, local), (1, remote)] {
        for a in addrs.unwrap_or(&[]) {
            let index = match pairs.iter().position(|(v4, _)| *v4 == a.is_ipv4()) {
                Some(i) => i,
                None => {
                    pairs.push((a.is_ipv4(), (None, None)));
                    pairs.len() - 1
                }
            };
            // Later addresses of a family replace earlier ones, as
            // asyncio's dict assignment does.
            if side == 0 {
                pairs[index].1 .0 = Some(*a);
            } else {
                pairs[index].1 .1 = Some(*a);
            }
        }
    }
    pairs
        .into_iter()
        .map(|(_, p)| p)
        .filter(|(l, r)| !(local.is_some() && l.is_none() || remote.is_some() && r.is_none()))
        .collect()
}

/// One socket for one pair: options, bind, connect.
async fn try_pair(lp: &EventLoop, opts: &DatagramOptions, local: Option<SocketAddr>, remote: Option<SocketAddr>) -> Result<OsDatagram> {
    let family_of = local.or(remote).expect("a pair has an address");
    let domain = if family_of.is_ipv4() { Domain::IPV4 } else { Domain::IPV6 };
    let sock = Socket::new(domain, Type::DGRAM, proto(opts)).map_err(|e| Error::os("socket", e))?;
    if opts.reuse_port {
        sock.set_reuse_port(true).map_err(|e| Error::os("setsockopt", e))?;
    }
    if opts.allow_broadcast {
        sock.set_broadcast(true).map_err(|e| Error::os("setsockopt", e))?;
    }
    let sock = OsDatagram::new(sock)?;
    if let Some(local) = local {
        sock.sock.bind(&local.into()).map_err(|e| Error::os("bind", e))?;
    }
    if let Some(remote) = remote {
        // With allow_broadcast the remote address is only the default
        // destination: a connected socket could not broadcast.
        if !opts.allow_broadcast {
            connect(lp, &sock.sock, &remote.into(), &Address::Inet(remote)).await?;
        }
    }
    Ok(sock)
}

async fn connect(lp: &EventLoop, sock: &Socket, addr: &SockAddr, shown: &Address) -> Result<()> {
    lp.backend().connect(lp, sock, addr).await?.map_err(|errno| {
        Error::os_with_message("connect", errno, format!("[Errno {errno}] Connect call failed {shown}"))
    })
}

/// `AF_UNIX`: paths, a stale socket file at the local path replaced.
async fn open_unix(lp: &EventLoop, opts: &DatagramOptions) -> Result<Endpoint> {
    let path_of = |a: &Option<EndpointAddr>| -> Result<Option<String>> {
        match a {
            None => Ok(None),
            Some(EndpointAddr::Path(p)) => Ok(Some(p.clone())),
            Some(EndpointAddr::Host(..)) => Err(Error::Type("string is expected".into())),
        }
    };
    let (local, remote) = (path_of(&opts.local_addr)?, path_of(&opts.remote_addr)?);
    let sock = Socket::new(Domain::UNIX, Type::DGRAM, None).map_err(|e| Error::os("socket", e))?;
    let sock = OsDatagram::new(sock)?;
    if let Some(path) = &local {
        remove_stale_socket(path);
        let addr = SockAddr::unix(path).map_err(|e| Error::os("bind", e))?;
        sock.sock.bind(&addr).map_err(|e| Error::os("bind", e))?;
    }
    if let Some(path) = &remote {
        let addr = SockAddr::unix(path).map_err(|e| Error::os("connect", e))?;
        connect(lp, &sock.sock, &addr, &Address::Unix(path.clone())).await?;
    }
    Ok((Box::new(sock), remote.map(Address::Unix)))
}

fn remove_stale_socket(path: &str) {
    use std::os::unix::fs::FileTypeExt;
    if path.starts_with('\0') || path.is_empty() {
        return;
    }
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.file_type().is_socket() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A caller's socket: anything but a stream socket (asyncio's check).
fn adopt(fd: RawFd) -> Result<OsDatagram> {
    if fd < 0 {
        return Err(Error::Value(format!("sock: invalid file descriptor {fd}")));
    }
    let kind = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_TYPE).map_err(|e| Error::os("getsockopt", e))?
        & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC);
    // SAFETY: the caller hands the fd over to the transport (API contract).
    let sock = unsafe { Socket::from_raw_fd(fd) };
    if kind == libc::SOCK_STREAM {
        let repr = socket_repr(&sock);
        // Refused: the caller keeps its fd.
        std::mem::forget(sock);
        return Err(Error::Value(format!("A datagram socket was expected, got {repr}")));
    }
    OsDatagram::new(sock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_follow_asyncio() {
        let v4: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let v6: SocketAddr = "[::1]:2".parse().unwrap();
        let r4: SocketAddr = "127.0.0.1:3".parse().unwrap();
        assert_eq!(pair_by_family(Some(&[v4, v6]), Some(&[r4])), [(Some(v4), Some(r4))]);
        assert_eq!(pair_by_family(Some(&[v6]), Some(&[r4])), []);
        assert_eq!(pair_by_family(None, Some(&[r4])), [(None, Some(r4))]);
    }
}
