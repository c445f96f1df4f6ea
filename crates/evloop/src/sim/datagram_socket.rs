//! Simulated datagram sockets behind the core's `DatagramSocket`, and
//! `create_datagram_endpoint` on a simulated host: the options a
//! simulation can honour are honoured, the others refused by name.

use std::io;
use std::rc::{Rc, Weak};

use super::socket::{no_unix, sim_gone, SimView};
use super::{Core, HostId};
use crate::errno::{EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, EBADF, EDESTADDRREQ, EHOSTUNREACH};
use crate::error::{Error, Result};
use crate::net::network::Endpoint;
use crate::net::socket::DatagramSocket;
use crate::net::{Address, DatagramOptions, EndpointAddr, TransportSocket, AF_INET, AF_UNIX};
use crate::selector::Fd;

/// `IPPROTO_UDP`.
const IPPROTO_UDP: i32 = 17;

/// A bound datagram socket of a simulated host.
pub(crate) struct SimDatagram {
    core: Weak<Core>,
    host: HostId,
    life: u32,
    port: u16,
    fd: Fd,
    view: Rc<SimView>,
    /// The connected peer (`remote_addr`).
    peer: Option<(HostId, u16)>,
}

fn gone() -> io::Error {
    io::Error::from_raw_os_error(EBADF)
}

impl DatagramSocket for SimDatagram {
    fn fd(&self) -> Fd {
        self.fd
    }
    fn view(&self) -> TransportSocket {
        TransportSocket(self.view.clone())
    }
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, Option<Address>)> {
        let core = self.core.upgrade().ok_or_else(gone)?;
        let r = core.world.borrow_mut().dgram_recv(self.host, self.life, self.port, buf);
        r.map(|(n, a)| (n, Some(a)))
    }
    fn send_to(&self, buf: &[u8], addr: Option<&Address>) -> io::Result<usize> {
        let core = self.core.upgrade().ok_or_else(gone)?;
        let mut w = core.world.borrow_mut();
        let to = match addr {
            None => self.peer.ok_or_else(|| io::Error::from_raw_os_error(EDESTADDRREQ))?,
            Some(Address::Sim { host, port }) => {
                // A name no host has: no route to it.
                let h = w.resolve(self.host, Some(host)).map_err(|_| io::Error::from_raw_os_error(EHOSTUNREACH))?;
                (h, *port)
            }
            Some(_) => return Err(io::Error::from_raw_os_error(EAFNOSUPPORT)),
        };
        w.dgram_send(self.host, self.life, self.port, to, buf)
    }
    fn local_addr(&self) -> Option<Address> {
        crate::net::socket::SocketView::getsockname(&*self.view).ok()
    }
    fn peer_addr(&self) -> Option<Address> {
        crate::net::socket::SocketView::getpeername(&*self.view).ok()
    }
}

impl Drop for SimDatagram {
    fn drop(&mut self) {
        self.view.mark_closed();
        if let Some(core) = self.core.upgrade() {
            core.world.borrow_mut().dgram_close(self.host, self.life, self.port);
        }
    }
}

/// What the simulation cannot do, refused by name.
fn refuse(what: &str) -> Error {
    Error::Value(format!("create_datagram_endpoint(): {what} is not supported by the simulated network"))
}

fn check(opts: &DatagramOptions) -> Result<()> {
    if opts.family == AF_UNIX {
        return no_unix();
    }
    if opts.sock.is_some() {
        return Err(Error::Value("sock: a simulated host has no file descriptors to adopt".into()));
    }
    if opts.family != 0 && opts.family != AF_INET {
        return Err(refuse(&format!("family={} (only AF_INET)", opts.family)));
    }
    if opts.proto != 0 && opts.proto != IPPROTO_UDP {
        return Err(refuse(&format!("proto={}", opts.proto)));
    }
    if opts.flags != 0 {
        return Err(refuse(&format!("flags={}", opts.flags)));
    }
    if opts.reuse_port {
        return Err(refuse("reuse_port"));
    }
    if opts.allow_broadcast {
        return Err(refuse("allow_broadcast"));
    }
    Ok(())
}

/// Makes the endpoint's socket: bound on the host (an ephemeral port
/// without `local_addr`), connected to `remote_addr` by host name.
pub(super) fn open(core: &Weak<Core>, me: HostId, life: u32, opts: &DatagramOptions) -> Result<Endpoint> {
    check(opts)?;
    let c = core.upgrade().ok_or_else(sim_gone)?;
    let mut w = c.world.borrow_mut();
    if w.hosts[me].crashed || w.hosts[me].life != life {
        return Err(sim_gone());
    }
    let port = match &opts.local_addr {
        Some(EndpointAddr::Host(host, port)) => {
            // Every interface, or a name of the host itself.
            let any = matches!(host.as_str(), "" | "0.0.0.0" | "::");
            let own = any || w.resolve(me, Some(host))? == me;
            if !own {
                let shown = Address::Sim { host: host.clone(), port: *port };
                return Err(Error::os_with_message(
                    "bind",
                    EADDRNOTAVAIL,
                    format!("[Errno {EADDRNOTAVAIL}] Cannot assign requested address: {shown}"),
                ));
            }
            *port
        }
        _ => 0,
    };
    let remote = match &opts.remote_addr {
        Some(EndpointAddr::Host(host, port)) => Some((w.resolve(me, Some(host))?, *port)),
        _ => None,
    };
    let (port, fd) = w.dgram_bind(me, port).map_err(|errno| {
        debug_assert_eq!(errno, EADDRINUSE);
        Error::os_with_message("bind", errno, format!("[Errno {errno}] Address already in use"))
    })?;
    if let Some(peer) = remote {
        w.dgram_connect(me, port, peer);
    }
    let name = |h: HostId, port: u16| Address::Sim { host: w.hosts[h].name.to_string(), port };
    let local = name(me, port);
    let peer_addr = remote.map(|(h, p)| name(h, p));
    drop(w);
    let view = SimView::datagram(fd, local, peer_addr.clone());
    let sock = SimDatagram { core: core.clone(), host: me, life, port, fd, view, peer: remote };
    Ok((Box::new(sock), peer_addr))
}
