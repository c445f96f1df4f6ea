//! The datagram protocol contract: what a datagram transport calls.
//!
//! `connection_made` once, then `datagram_received` and `error_received`
//! in any order, `connection_lost` once; `pause_writing`/`resume_writing`
//! alternate, starting with pause. As with [`Protocol`](crate::Protocol),
//! methods take `&self`: a transport may call back into a protocol that is
//! calling it (`sendto()` calls `error_received()` or `pause_writing()`
//! synchronously, as asyncio does).

use std::rc::Rc;

use super::DatagramTransport;
use crate::error::{Error, Result};
use crate::net::Address;

/// Receives a datagram endpoint's events. Every method has a default that
/// does nothing.
pub trait DatagramProtocol {
    /// The endpoint is ready; keep `transport` to send with it.
    fn connection_made(&self, _transport: &DatagramTransport) -> Result<()> {
        Ok(())
    }
    /// One datagram arrived (possibly empty), from `addr` (`None` when the
    /// sender has no address, as an unbound Unix socket).
    fn datagram_received(&self, _data: &[u8], _addr: Option<Address>) -> Result<()> {
        Ok(())
    }
    /// A send or receive failed with an OS error, for example
    /// `ConnectionRefusedError` after an ICMP port unreachable on a
    /// connected endpoint. The endpoint stays open.
    fn error_received(&self, _exc: Error) -> Result<()> {
        Ok(())
    }
    /// The endpoint is closed: `None` for `close()`/`abort()`, the error
    /// otherwise.
    fn connection_lost(&self, _exc: Option<Error>) -> Result<()> {
        Ok(())
    }
    /// The send buffer went over its high-water mark.
    fn pause_writing(&self) -> Result<()> {
        Ok(())
    }
    /// The send buffer drained to its low-water mark.
    fn resume_writing(&self) -> Result<()> {
        Ok(())
    }
    /// Names the protocol in error reports.
    fn describe(&self) -> String {
        "<DatagramProtocol>".to_string()
    }
    /// As [`Protocol::report_payload`](crate::Protocol::report_payload).
    fn report_payload(&self, _exc: &Error) -> Option<Rc<dyn std::any::Any>> {
        None
    }
}
