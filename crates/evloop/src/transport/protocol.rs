//! The protocol contract: what a transport calls, and when.
//!
//! `connection_made` exactly once, then `data_received`* (or the buffered
//! pair), `eof_received` at most once, `connection_lost` exactly once;
//! `pause_writing`/`resume_writing` alternate, starting with pause.
//! Methods take `&self` because a transport may call back into a protocol
//! that is itself calling the transport (`write()` calls `pause_writing()`
//! synchronously, as asyncio does); keep mutable state in `Cell`/`RefCell`.
//! An `Err` (or a panic) from a callback is the analogue of a Python
//! exception raised by it.

use std::cell::RefCell;
use std::rc::Rc;

use super::{ReadSupplier, Transport};
use crate::error::{Error, Result};

/// Receives a connection's events. Every method has a default that does
/// nothing (`eof_received` returns `false`: close the connection).
pub trait Protocol {
    /// The connection is ready; keep `transport` to write to it.
    fn connection_made(&self, _transport: &Transport) -> Result<()> {
        Ok(())
    }
    /// Bytes arrived (boundaries are not preserved).
    fn data_received(&self, _data: &[u8]) -> Result<()> {
        Ok(())
    }
    /// The peer closed its side. Return `true` to keep the connection
    /// half-open (writing still possible), `false` to close it.
    fn eof_received(&self) -> Result<bool> {
        Ok(false)
    }
    /// The connection is gone: `None` for a clean close, the error otherwise.
    fn connection_lost(&self, _exc: Option<Error>) -> Result<()> {
        Ok(())
    }
    /// The transport's write buffer went over its high-water mark.
    fn pause_writing(&self) -> Result<()> {
        Ok(())
    }
    /// The write buffer drained to its low-water mark.
    fn resume_writing(&self) -> Result<()> {
        Ok(())
    }
    /// `Some` to receive into the protocol's own buffer (asyncio's
    /// `BufferedProtocol`) instead of through `data_received`.
    fn buffered(&self) -> Option<&dyn BufferedProtocol> {
        None
    }
    /// The memory this protocol's bytes are read into before
    /// `data_received` gets them (`transport/read_supply.rs`); `None` (the
    /// default) reads through the loop's own buffer.
    fn read_supplier(&self) -> Option<&dyn ReadSupplier> {
        None
    }
    /// Names the protocol in error reports.
    fn describe(&self) -> String {
        "<Protocol>".to_string()
    }
    /// What a binding wants its exception handler to get with a report
    /// about this protocol ([`ExceptionContext::payload`]), for example the
    /// JavaScript error `exc` stands for. `None` by default.
    ///
    /// [`ExceptionContext::payload`]: crate::ExceptionContext::payload
    fn report_payload(&self, _exc: &Error) -> Option<Rc<dyn std::any::Any>> {
        None
    }
    /// Its transport's loop closed with the connection open: the transport
    /// is about to forget this protocol, without `connection_lost` (nothing
    /// runs on a closed loop). A protocol that is itself a layer (TLS) lets
    /// go of what it holds above it here. Nothing by default.
    #[doc(hidden)]
    fn release_at_loop_close(&self) {}
}

/// The buffer a [`BufferedProtocol`] lends for one read.
pub type ReadBuffer = Rc<RefCell<Vec<u8>>>;

/// Reading into the protocol's own memory: before every read the transport
/// asks for a buffer (`get_buffer(-1)`: no size hint), reads into it, and
/// reports how many bytes it wrote.
pub trait BufferedProtocol {
    /// A non-empty buffer to read into (all of its length is used).
    fn get_buffer(&self, sizehint: isize) -> Result<ReadBuffer>;
    /// `nbytes` bytes were written at the start of the last buffer.
    fn buffer_updated(&self, nbytes: usize) -> Result<()>;
}
