//! What sockets do: bind, listen, accept, connect, recv, send, shutdown
//! and close, as calls on the [`World`] from a host's socket objects.

use std::collections::VecDeque;
use std::io;

use super::connection::{refresh_side, Conn, ConnState, Pipe, Side, SideState};
use super::message::{MsgKind, NetEvent};
use super::{World, MSS, WINDOW};
use crate::errno::{EADDRINUSE, EADDRNOTAVAIL, EAI_NONAME, ECONNRESET, ENOTCONN, EPIPE};
use crate::error::{Error, OsError, Result};
use crate::future::Future;
use crate::net::Address;
use crate::selector::{Fd, Interest};
use crate::transport::ReadBuf;
use crate::sim::host::ListenerState;
use crate::sim::trace::TraceValue;
use crate::sim::{ConnId, HostId};

fn os_err(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

fn gai_error() -> Error {
    Error::Gai(OsError { errno: EAI_NONAME, syscall: "getaddrinfo", message: "[Errno -2] Name or service not known".into() })
}

impl World {
    /// Resolves a name to connect to: none or "localhost" is the host itself.
    pub(crate) fn resolve(&self, me: HostId, host: Option<&str>) -> Result<HostId> {
        match host {
            None | Some("") | Some("localhost") | Some("127.0.0.1") | Some("::1") => Ok(me),
            Some(name) => self.names.get(name).copied().ok_or_else(gai_error),
        }
    }

    /// Binds `port` (0: an ephemeral one) on host `me` for a server. Every
    /// name of the host itself (and "all interfaces") binds the same socket.
    pub(crate) fn bind(&mut self, me: HostId, hosts: &[Option<String>], port: u16) -> Result<(u16, Fd)> {
        for h in hosts {
            let local = matches!(h.as_deref(), None | Some("" | "0.0.0.0" | "::" | "localhost" | "127.0.0.1" | "::1"))
                || h.as_deref() == Some(&*self.hosts[me].name);
            if local {
                continue;
            }
            let name = h.as_deref().unwrap_or_default();
            if !self.names.contains_key(name) {
                return Err(gai_error());
            }
            let shown = Address::Sim { host: name.to_string(), port };
            return Err(Error::os_with_message(
                "bind",
                EADDRNOTAVAIL,
                format!("[Errno {EADDRNOTAVAIL}] error while attempting to bind on address {shown}: cannot assign requested address"),
            ));
        }
        let h = &mut self.hosts[me];
        let port = if port == 0 { h.ephemeral_port() } else { port };
        if h.listeners.contains_key(&port) {
            let shown = Address::Sim { host: h.name.to_string(), port };
            return Err(Error::os_with_message(
                "bind",
                EADDRINUSE,
                format!("[Errno {EADDRINUSE}] error while attempting to bind on address {shown}: address already in use"),
            ));
        }
        let fd = h.fds.alloc();
        h.listeners.insert(port, ListenerState { fd, listening: false, backlog: 0, queue: VecDeque::new() });
        Ok((port, fd))
    }

    pub(crate) fn listen(&mut self, me: HostId, life: u32, port: u16, backlog: i32) -> io::Result<()> {
        let h = &mut self.hosts[me];
        if h.crashed || h.life != life {
            return Err(os_err(crate::errno::EBADF));
        }
        let Some(l) = h.listeners.get_mut(&port) else { return Err(os_err(crate::errno::EBADF)) };
        l.listening = true;
        l.backlog = backlog.max(1) as usize;
        Ok(())
    }

    /// One connection from the accept queue: its id, new fd and peer.
    pub(crate) fn accept(&mut self, me: HostId, life: u32, port: u16) -> io::Result<(ConnId, Fd, Address, Address)> {
        let h = &mut self.hosts[me];
        if h.crashed || h.life != life {
            return Err(os_err(crate::errno::EBADF));
        }
        let Some(l) = h.listeners.get_mut(&port) else { return Err(os_err(crate::errno::EBADF)) };
        let id = loop {
            let Some(id) = l.queue.pop_front() else { return Err(io::ErrorKind::WouldBlock.into()) };
            if self.conns.contains_key(&id) {
                break id;
            }
        };
        if l.queue.is_empty() {
            let fd = l.fd;
            h.io.borrow_mut().set_ready(fd, Interest::NONE);
        }
        let fd = h.fds.alloc();
        let c = self.conns.get_mut(&id).expect("checked");
        c.sides[1].fd = Some(fd);
        c.sides[1].state = SideState::Open;
        refresh_side(&self.hosts, c, 1);
        let client = &c.sides[0];
        let peer = Address::Sim { host: self.hosts[client.host].name.to_string(), port: client.port };
        let local = Address::Sim { host: self.hosts[me].name.to_string(), port };
        let from = self.hosts[client.host].name.clone();
        self.record(
            me,
            "accept",
            vec![("from", from.into()), ("port", port.into()), ("conn", id.into()), ("fd", fd.into())],
        );
        Ok((id, fd, local, peer))
    }

    /// The listener's socket was closed: connections still queued are reset.
    pub(crate) fn close_listener(&mut self, me: HostId, life: u32, port: u16) {
        let h = &mut self.hosts[me];
        if h.crashed || h.life != life {
            return;
        }
        let Some(l) = h.listeners.remove(&port) else { return };
        h.io.borrow_mut().forget(l.fd);
        h.fds.release(l.fd);
        self.record(me, "close", vec![("port", port.into()), ("fd", l.fd.into())]);
        for id in l.queue {
            let Some(c) = self.conns.get_mut(&id) else { continue };
            if c.sides[1].state == SideState::Queued {
                c.sides[1].state = SideState::Closed;
                c.aborted = true;
                self.send_on(id, 1, MsgKind::Rst { errno: ECONNRESET });
                self.collect(id);
            }
        }
    }

    /// Starts connecting from `me` to `host:port`: the SYN goes out now and
    /// `waiter` completes when the connection is made or fails.
    pub(crate) fn connect(
        &mut self,
        me: HostId,
        host: Option<&str>,
        port: u16,
        waiter: Future<()>,
    ) -> Result<(ConnId, Fd, Address, Address)> {
        let target = self.resolve(me, host)?;
        let id = self.next_conn;
        self.next_conn += 1;
        let h = &mut self.hosts[me];
        let fd = h.fds.alloc();
        let local_port = h.ephemeral_port();
        let life = h.life;
        let side = |host, life, port, fd, state| Side { host, life, port, fd, state, error: None, shut_wr: false };
        let conn = Conn {
            sides: [
                side(me, life, local_port, Some(fd), SideState::Open),
                side(target, 0, port, None, SideState::Unborn),
            ],
            pipes: [Pipe::default(), Pipe::default()],
            state: ConnState::Connecting,
            aborted: false,
            waiter: Some(waiter),
        };
        self.conns.insert(id, conn);
        let to = self.hosts[target].name.clone();
        self.record(
            me,
            "connect",
            vec![("to", to.clone().into()), ("port", port.into()), ("conn", id.into()), ("fd", fd.into())],
        );
        self.send_on(id, 0, MsgKind::Syn);
        let deadline = self.now() + self.opts.connect_timeout;
        self.schedule(deadline, NetEvent::ConnectTimeout(id));
        let local = Address::Sim { host: self.hosts[me].name.to_string(), port: local_port };
        let peer = Address::Sim { host: to.to_string(), port };
        Ok((id, fd, local, peer))
    }

    fn side_of(&self, id: ConnId, side: usize) -> io::Result<&Conn> {
        let c = self.conns.get(&id).ok_or_else(|| os_err(ENOTCONN))?;
        let s = &c.sides[side];
        let h = &self.hosts[s.host];
        if s.state != SideState::Open || h.crashed || h.life != s.life {
            return Err(os_err(crate::errno::EBADF));
        }
        Ok(c)
    }

    pub(crate) fn recv(&mut self, id: ConnId, side: usize, buf: &mut ReadBuf<'_>) -> io::Result<usize> {
        self.side_of(id, side)?;
        let c = self.conns.get_mut(&id).expect("checked");
        let pipe = &mut c.pipes[1 - side];
        if !pipe.buffered.is_empty() {
            let n = buf.remaining().min(pipe.buffered.len());
            let (front, back) = pipe.buffered.as_slices();
            let first = buf.append(&front[..n.min(front.len())]);
            buf.append(&back[..n - first]);
            pipe.buffered.drain(..n);
            refresh_side(&self.hosts, c, 0);
            refresh_side(&self.hosts, c, 1);
            return Ok(n);
        }
        if let Some(e) = c.sides[side].error {
            return Err(os_err(e));
        }
        if pipe.eof {
            return Ok(0);
        }
        Err(io::ErrorKind::WouldBlock.into())
    }

    pub(crate) fn send_data(&mut self, id: ConnId, side: usize, buf: &[u8]) -> io::Result<usize> {
        let c = self.side_of(id, side)?;
        let s = &c.sides[side];
        if let Some(e) = s.error {
            return Err(os_err(e));
        }
        if s.shut_wr {
            return Err(os_err(EPIPE));
        }
        if side == 0 && c.state != ConnState::Established {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if c.aborted {
            // The connection is being torn down; the error is on its way.
            return Ok(buf.len());
        }
        let space = WINDOW.saturating_sub(c.pipes[side].unread());
        let n = buf.len().min(space);
        if n == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        for chunk in buf[..n].chunks(MSS) {
            let c = self.conns.get_mut(&id).expect("checked");
            let pipe = &mut c.pipes[side];
            let seq = pipe.next_seq;
            pipe.next_seq += 1;
            pipe.in_flight += chunk.len();
            self.send_on(id, side, MsgKind::Data { seq, bytes: chunk.to_vec() });
        }
        let c = self.conns.get(&id).expect("checked");
        refresh_side(&self.hosts, c, side);
        Ok(n)
    }

    pub(crate) fn shutdown_write(&mut self, id: ConnId, side: usize) -> io::Result<()> {
        let c = self.side_of(id, side)?;
        if c.sides[side].shut_wr || c.sides[side].error.is_some() {
            return Ok(());
        }
        if side == 0 && c.state != ConnState::Established {
            return Err(os_err(ENOTCONN));
        }
        self.send_fin(id, side);
        if let Some(c) = self.conns.get(&id) {
            refresh_side(&self.hosts, c, side);
        }
        Ok(())
    }

    fn send_fin(&mut self, id: ConnId, side: usize) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        c.sides[side].shut_wr = true;
        if c.aborted {
            return;
        }
        let pipe = &mut c.pipes[side];
        let seq = pipe.next_seq;
        pipe.next_seq += 1;
        self.send_on(id, side, MsgKind::Fin { seq });
    }

    /// The socket of side `side` was closed (dropped) by its program: a FIN
    /// follows what was sent (a graceful close, also for `abort()`), unless
    /// data it never read was waiting: then, as TCP does (RFC 2525 2.17,
    /// Linux `tcp_close`), that data is dropped and the peer is reset. Else
    /// a peer paused for writing would wait forever, as the unread bytes keep
    /// its window shut and nothing more can arrive to draw a reset.
    pub(crate) fn close_side(&mut self, id: ConnId, side: usize, life: u32) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        let s = &mut c.sides[side];
        let h = &mut self.hosts[s.host];
        if s.state != SideState::Open || h.crashed || h.life != life || s.life != life {
            return;
        }
        s.state = SideState::Closed;
        let host = s.host;
        let mut f = vec![("conn", TraceValue::from(id))];
        if let Some(fd) = s.fd {
            h.io.borrow_mut().forget(fd);
            h.fds.release(fd);
            f.push(("fd", fd.into()));
        }
        let live = !c.aborted && s.error.is_none() && (side == 1 || c.state == ConnState::Established);
        let fin = live && !s.shut_wr;
        let unread = !c.pipes[1 - side].buffered.is_empty();
        self.record(host, "close", f);
        if live && unread {
            let c = self.conns.get_mut(&id).expect("checked");
            c.pipes[1 - side].buffered.clear();
            c.aborted = true;
            self.send_on(id, side, MsgKind::Rst { errno: ECONNRESET });
        } else if fin {
            self.send_fin(id, side);
        }
        self.collect(id);
    }

    /// Forgets a connection both of whose sides are gone.
    pub(super) fn collect(&mut self, id: ConnId) {
        if self.conns.get(&id).is_some_and(|c| c.sides.iter().all(Side::gone)) {
            self.conns.remove(&id);
        }
    }
}
