//! Transports and protocols (reference §6): the socket transport, over
//! whatever back end the loop has, and the protocol contract it drives.
//! Pipe transports are the same transport with a [`pipe::Kind`].

mod connect;
pub(crate) mod pipe;
mod protocol;
mod read_buf;
pub(crate) mod read_supply;
mod recv_memory;
mod sendfile;
mod stream;
mod write_buffer;

pub use connect::IntoProtocol;
pub use protocol::{BufferedProtocol, Protocol, ReadBuffer};
pub use read_buf::ReadBuf;
pub use read_supply::{HeapReads, ReadLease, ReadSupplier};
pub use recv_memory::{RecvBlock, RecvMemory};
pub use stream::{ExtraInfo, Transport};
pub(crate) use stream::{call_protocol, ExtraInfoSource, TransportInner};
#[cfg_attr(target_arch = "wasm32", allow(unused_imports))] // its user, sock/, is native-only
pub(crate) use sendfile::SendfileMode;
pub(crate) use write_buffer::Limits;
