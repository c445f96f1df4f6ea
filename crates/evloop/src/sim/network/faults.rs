//! The network side of crashes and partitions (holds and per-link settings
//! are in `link.rs`).

use super::World;
use super::connection::SideState;
use super::message::{Msg, MsgKind};
use crate::errno::ECONNRESET;
use crate::sim::{ConnId, HostId};

impl World {
    /// The network side of a crash: sockets vanish, listeners close, and
    /// every live peer is told with an RST one link latency later.
    pub(crate) fn crash_host(&mut self, h: HostId) {
        let host = &mut self.hosts[h];
        host.listeners.clear();
        host.datagrams.clear();
        host.fds = Default::default();
        let ids: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.sides.iter().any(|s| s.host == h && !matches!(s.state, SideState::Unborn | SideState::Crashed)))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            for side in 0..2 {
                let c = self.conns.get_mut(&id).expect("listed");
                let s = &mut c.sides[side];
                if s.host != h || matches!(s.state, SideState::Unborn | SideState::Crashed) {
                    continue;
                }
                s.state = SideState::Crashed;
                c.aborted = true;
                let peer = &c.sides[1 - side];
                let notify = peer.alive() && peer.error.is_none() && peer.host != h;
                let peer_host = peer.host;
                if notify && !self.hosts[peer_host].crashed {
                    let msg = Msg {
                        src: h,
                        dst: peer_host,
                        conn: id,
                        dir: side,
                        kind: MsgKind::Rst { errno: ECONNRESET },
                        attempt: 0,
                        first_sent: self.now(),
                        forced: true,
                    };
                    self.send(msg);
                }
            }
            self.collect(id);
        }
    }

    /// Hosts in both groups are separated (`b -> a` too unless `one_way`).
    pub(crate) fn partition(&mut self, a: &[HostId], b: &[HostId], one_way: bool) {
        for &x in a {
            for &y in b {
                if x == y {
                    continue;
                }
                self.blocked.insert((x, y));
                if !one_way {
                    self.blocked.insert((y, x));
                }
            }
        }
    }

    /// Removes partitions: all, those touching `a`, or those between `a` and `b`.
    pub(crate) fn heal(&mut self, a: Option<&[HostId]>, b: Option<&[HostId]>) {
        match (a, b) {
            (None, None) => self.blocked.clear(),
            (Some(g), None) | (None, Some(g)) => self.blocked.retain(|(x, y)| !g.contains(x) && !g.contains(y)),
            (Some(a), Some(b)) => self
                .blocked
                .retain(|(x, y)| !(a.contains(x) && b.contains(y) || b.contains(x) && a.contains(y))),
        }
    }
}
