//! Datagram endpoints (asyncio's `create_datagram_endpoint`): the
//! protocol contract, the transport, and making an endpoint. One code on
//! every loop; receiving and sending buffered datagrams is the back end's
//! [`DatagramIo`](crate::backend::DatagramIo).

mod create;
mod protocol;
mod transport;

pub use create::IntoDatagramProtocol;
pub use protocol::DatagramProtocol;
pub use transport::DatagramTransport;
pub(crate) use transport::DatagramInner;
#[cfg(target_os = "linux")]
pub(crate) use transport::HEADER_SIZE;
