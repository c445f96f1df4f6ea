//! What an arriving message does: the handshake (SYN, SYN-ACK), resets,
//! and data and FIN segments handed to the receiving side in order.

use super::World;
use super::connection::{refresh_side, ConnState, Payload, SideState};
use super::message::{Cause, Msg, MsgKind};
use crate::errno::{ECONNREFUSED, ECONNRESET};
use crate::error::Error;
use crate::net::Address;
use crate::selector::Interest;
use crate::sim::ConnId;
use crate::sim::trace::TraceValue;

impl World {
    pub(super) fn arrive(&mut self, msg: Msg) {
        let dst = msg.dst;
        let stale = match msg.kind {
            MsgKind::Syn => false,
            _ => self.conns.get(&msg.conn).is_some_and(|c| c.sides[1 - msg.dir].state == SideState::Crashed),
        };
        if self.hosts[dst].crashed || stale {
            return self.drop_msg(msg, Cause::Crash);
        }
        if !msg.forced && self.blocked.contains(&(msg.src, dst)) {
            return self.drop_msg(msg, Cause::Partition);
        }
        self.stats.delivered += 1;
        if self.trace.borrow().enabled {
            let f = msg.fields("from", &self.hosts[msg.src].name);
            self.record(dst, "deliver", f);
        }
        let (id, dir) = (msg.conn, msg.dir);
        match msg.kind {
            MsgKind::Syn => self.on_syn(id),
            MsgKind::SynAck => self.on_synack(id),
            MsgKind::Rst { errno } => self.on_rst(id, 1 - dir, errno),
            MsgKind::Data { seq, bytes } => self.on_segment(id, dir, seq, Payload::Data(bytes)),
            MsgKind::Fin { seq } => self.on_segment(id, dir, seq, Payload::Fin),
            MsgKind::Datagram { from_port, to_port, bytes } => self.on_datagram(msg.src, dst, from_port, to_port, bytes),
            MsgKind::Unreachable { from_port, to_port } => self.on_unreachable(msg.src, dst, from_port, to_port),
        }
    }

    fn on_syn(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if c.aborted || c.state == ConnState::Failed {
            return;
        }
        match c.sides[1].state {
            SideState::Queued | SideState::Open => return self.send_on(id, 1, MsgKind::SynAck),
            SideState::Closed | SideState::Crashed => return,
            SideState::Unborn => {}
        }
        let (host, port) = (c.sides[1].host, c.sides[1].port);
        let h = &mut self.hosts[host];
        let life = h.life;
        match h.listeners.get_mut(&port) {
            Some(l) if l.listening => {
                if l.queue.len() >= l.backlog {
                    // A full accept queue ignores the SYN; the client re-sends it.
                    return;
                }
                l.queue.push_back(id);
                let fd = l.fd;
                h.io.borrow_mut().set_ready(fd, Interest::READ);
                let side = &mut c.sides[1];
                side.state = SideState::Queued;
                side.life = life;
                self.send_on(id, 1, MsgKind::SynAck);
            }
            _ => self.send_on(id, 1, MsgKind::Rst { errno: ECONNREFUSED }),
        }
    }

    fn establish(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        c.state = ConnState::Established;
        let waiter = c.waiter.take();
        refresh_side(&self.hosts, c, 0);
        let to = self.hosts[c.sides[1].host].name.clone();
        let client = c.sides[0].host;
        self.record(client, "connect", vec![("to", to.into()), ("conn", id.into()), ("result", "ok".into())]);
        if let Some(w) = waiter {
            let _ = w.set_result(());
        }
    }

    fn on_synack(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if c.sides[0].state == SideState::Closed && c.sides[1].alive() {
            // The connecting socket is gone: reset the server side.
            c.aborted = true;
            return self.send_on(id, 0, MsgKind::Rst { errno: ECONNRESET });
        }
        if c.state == ConnState::Connecting && !c.aborted && c.sides[0].state == SideState::Open {
            self.establish(id);
        }
    }

    fn on_rst(&mut self, id: ConnId, side: usize, errno: i32) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if c.state == ConnState::Failed {
            return;
        }
        c.aborted = true;
        if side == 0 && c.state == ConnState::Connecting {
            return self.fail_connect(id, errno);
        }
        self.reset_side(id, side, errno);
    }

    /// Side `side` learns the connection is over with `errno`.
    pub(super) fn reset_side(&mut self, id: ConnId, side: usize, errno: i32) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        let s = &mut c.sides[side];
        if !s.alive() || s.error.is_some() {
            return;
        }
        s.error = Some(errno);
        let (host, fd) = (s.host, s.fd);
        refresh_side(&self.hosts, c, side);
        let mut f = vec![("conn", TraceValue::from(id)), ("code", crate::errno::name(errno).unwrap_or("").into())];
        if let Some(fd) = fd {
            f.push(("fd", fd.into()));
        }
        self.record(host, "close", f);
    }

    pub(super) fn fail_connect(&mut self, id: ConnId, errno: i32) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        c.state = ConnState::Failed;
        c.aborted = true;
        let waiter = c.waiter.take();
        let (client, server, port) = (c.sides[0].host, c.sides[1].host, c.sides[1].port);
        let to = self.hosts[server].name.clone();
        let code = crate::errno::name(errno).unwrap_or("");
        self.record(client, "connect", vec![("to", to.clone().into()), ("conn", id.into()), ("result", code.into())]);
        if let Some(w) = waiter {
            let shown = Address::Sim { host: to.to_string(), port };
            let _ = w.set_exception(Error::os_with_message(
                "connect",
                errno,
                format!("[Errno {errno}] Connect call failed {shown}"),
            ));
        }
    }

    fn on_segment(&mut self, id: ConnId, dir: usize, seq: u64, payload: Payload) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if let Payload::Data(b) = &payload {
            let pipe = &mut c.pipes[dir];
            pipe.in_flight = pipe.in_flight.saturating_sub(b.len());
        }
        let recv = 1 - dir;
        if c.aborted {
            // A segment for a connection this side already ended (it timed
            // out, or was reset, behind a partition): answer with a reset,
            // as TCP does, so the sender does not wait forever.
            let sender = &c.sides[dir];
            if sender.alive() && sender.error.is_none() {
                self.send_on(id, recv, MsgKind::Rst { errno: ECONNRESET });
            }
            return;
        }
        match c.sides[recv].state {
            SideState::Closed => {
                if matches!(payload, Payload::Data(_)) {
                    // Data for a closed socket: the peer is reset.
                    c.aborted = true;
                    self.send_on(id, recv, MsgKind::Rst { errno: ECONNRESET });
                }
                return;
            }
            SideState::Queued | SideState::Open => {}
            SideState::Unborn | SideState::Crashed => return,
        }
        c.pipes[dir].accept_segment(seq, payload);
        if recv == 0 && c.state == ConnState::Connecting {
            // Data from the server implies its SYN-ACK.
            self.establish(id);
        }
        let Some(c) = self.conns.get(&id) else { return };
        refresh_side(&self.hosts, c, 0);
        refresh_side(&self.hosts, c, 1);
    }
}
