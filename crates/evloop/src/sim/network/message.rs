//! What crosses a link: a message of a connection ([`Msg`], [`MsgKind`]),
//! why one was dropped ([`Cause`]), and the network's events ([`NetEvent`]).

use std::rc::Rc;

use crate::sim::trace::TraceValue;
use crate::sim::{ConnId, HostId};

/// Why a message was dropped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Cause {
    Loss,
    Partition,
    Crash,
}

impl Cause {
    pub(super) fn name(self) -> &'static str {
        match self {
            Cause::Loss => "loss",
            Cause::Partition => "partition",
            Cause::Crash => "crash",
        }
    }
}

pub(crate) enum MsgKind {
    Syn,
    SynAck,
    Rst { errno: i32 },
    Data { seq: u64, bytes: Vec<u8> },
    Fin { seq: u64 },
    /// A datagram (`conn` is 0): never re-sent.
    Datagram { from_port: u16, to_port: u16, bytes: Vec<u8> },
    /// A port-unreachable notice for a datagram (as ICMP's): never re-sent.
    Unreachable { from_port: u16, to_port: u16 },
}

impl MsgKind {
    fn name(&self) -> &'static str {
        match self {
            MsgKind::Syn => "syn",
            MsgKind::SynAck => "synack",
            MsgKind::Rst { .. } => "rst",
            MsgKind::Data { .. } => "data",
            MsgKind::Fin { .. } => "fin",
            MsgKind::Datagram { .. } => "datagram",
            MsgKind::Unreachable { .. } => "unreachable",
        }
    }

    /// Datagrams and their notices are lost for good when dropped.
    pub(super) fn is_datagram(&self) -> bool {
        matches!(self, MsgKind::Datagram { .. } | MsgKind::Unreachable { .. })
    }
}

pub(crate) struct Msg {
    pub(super) src: HostId,
    pub(super) dst: HostId,
    pub(super) conn: ConnId,
    /// The sending side.
    pub(super) dir: usize,
    pub(super) kind: MsgKind,
    /// Retransmissions so far.
    pub(super) attempt: u32,
    pub(super) first_sent: f64,
    /// A crash notice: neither held, partitioned nor lost.
    pub(super) forced: bool,
}

impl Msg {
    pub(super) fn fields(&self, peer_key: &'static str, peer: &Rc<str>) -> Vec<(&'static str, TraceValue)> {
        match &self.kind {
            MsgKind::Datagram { from_port, to_port, bytes } => {
                return vec![
                    (peer_key, peer.into()),
                    ("msg", "datagram".into()),
                    ("from_port", (*from_port).into()),
                    ("port", (*to_port).into()),
                    ("bytes", bytes.len().into()),
                ]
            }
            MsgKind::Unreachable { from_port, to_port } => {
                return vec![
                    (peer_key, peer.into()),
                    ("msg", "unreachable".into()),
                    ("from_port", (*from_port).into()),
                    ("port", (*to_port).into()),
                ]
            }
            _ => {}
        }
        let mut f: Vec<(&'static str, TraceValue)> =
            vec![(peer_key, peer.into()), ("conn", self.conn.into()), ("msg", self.kind.name().into())];
        match &self.kind {
            MsgKind::Data { seq, bytes } => {
                f.push(("seq", (*seq).into()));
                f.push(("bytes", bytes.len().into()));
            }
            MsgKind::Fin { seq } => f.push(("seq", (*seq).into())),
            MsgKind::Rst { errno } => f.push(("code", crate::errno::name(*errno).unwrap_or("").into())),
            _ => {}
        }
        if self.attempt > 0 {
            f.push(("attempt", i64::from(self.attempt).into()));
        }
        f
    }
}

pub(crate) enum NetEvent {
    Arrive(Msg),
    Retry(Msg),
    ConnectTimeout(ConnId),
}
