//! The transport's closing: `close` (flush, then lose), `abort` and the
//! forced closes, and the one place `connection_lost` is called, after
//! which the transport lets go of its protocol, socket and server.

use std::borrow::Cow;
use std::rc::Rc;

use super::super::protocol::Protocol;
use super::{call_protocol, with_payload, Transport};
use crate::error::Error;
use crate::exception::ExceptionContext;

impl Transport {
    /// Whether `close()`/`abort()` was called or the connection failed.
    pub fn is_closing(&self) -> bool {
        self.0.closing.get()
    }

    /// Stops reading now; once the buffer is flushed, `connection_lost(None)`
    /// runs (in the next iteration if nothing is buffered). Idempotent.
    pub fn close(&self) {
        if self.0.closing.get() {
            return;
        }
        self.0.closing.set(true);
        self.0.io.stop_reading(self);
        self.unwatch_reader();
        if self.get_write_buffer_size() == 0 {
            self.0.conn_lost.set(self.0.conn_lost.get() + 1);
            self.0.io.stop_writing(self);
            if let Some(exc) = self.0.io.take_loss(self, None) {
                self.schedule_connection_lost(exc);
            }
        }
    }

    /// Drops the buffer and closes at once; `connection_lost(None)` follows
    /// in the next iteration. A no-op once the connection is lost.
    pub fn abort(&self) {
        self.force_close(None);
    }

    /// `_force_close(exc)`: as `abort()`, and `connection_lost(exc)`;
    /// nothing is reported (the TLS layer's errors are `OSError`s).
    pub(crate) fn force_close_with(&self, exc: Option<Error>) {
        self.force_close(exc);
    }

    pub(in crate::transport) fn force_close(&self, exc: Option<Error>) {
        if self.0.conn_lost.get() > 0 {
            return;
        }
        self.0.buffer.borrow_mut().clear();
        self.0.io.abort(self);
        self.0.sendfile.closed();
        self.unwatch_reader();
        self.0.closing.set(true);
        self.0.conn_lost.set(self.0.conn_lost.get() + 1);
        if let Some(exc) = self.0.io.take_loss(self, exc) {
            self.schedule_connection_lost(exc);
        }
    }

    /// The layer below a layered transport (TLS's socket transport) is
    /// gone, or finished the close this transport's I/O took over
    /// ([`StreamIo::take_loss`](crate::backend::StreamIo::take_loss)):
    /// `connection_lost(exc)` follows in the next iteration. A no-op once
    /// the socket is released.
    pub(crate) fn lower_layer_lost(&self, exc: Option<Error>) {
        if self.0.sock.borrow().is_none() {
            return;
        }
        self.0.buffer.borrow_mut().clear();
        self.0.closing.set(true);
        self.0.conn_lost.set(self.0.conn_lost.get() + 1);
        self.schedule_connection_lost(exc);
    }

    fn schedule_connection_lost(&self, exc: Option<Error>) {
        let t = self.clone();
        let scheduled =
            self.0.lp.call_soon_labelled(Cow::Borrowed("Transport._call_connection_lost"), move || {
                t.call_connection_lost(exc)
            });
        if scheduled.is_err() {
            // The loop is closed: nothing will run; release the socket now.
            self.release();
        }
    }

    /// Reports an error the protocol caused (not OS errors, which go to
    /// `connection_lost` only) and closes the connection with it.
    pub(in crate::transport) fn schedule_lost(&self, exc: Option<Error>) {
        self.schedule_connection_lost(exc);
    }

    pub(crate) fn fatal_error(&self, exc: Error, message: &str) {
        if !matches!(exc, Error::Os(_)) {
            self.report(exc.clone(), message);
        }
        self.force_close(Some(exc));
    }

    pub(in crate::transport) fn report(&self, exc: Error, message: &str) {
        let protocol = self.0.protocol.borrow().clone();
        self.0.lp.call_exception_handler(with_payload(
            ExceptionContext::new(message)
                .with_error(exc.clone())
                .with("transport", format!("{self:?}"))
                .with("protocol", protocol.describe()),
            &protocol,
            &exc,
        ));
    }

    pub(super) fn call_connection_lost(&self, exc: Option<Error>) {
        let protocol = self.0.protocol.borrow().clone();
        let result = call_protocol(|| protocol.connection_lost(exc));
        self.release();
        if let Err(e) = result {
            self.0.lp.call_exception_handler(with_payload(
                ExceptionContext::new("Exception in callback Transport._call_connection_lost")
                    .with_exception(e.to_string())
                    .with("transport", format!("{self:?}")),
                &protocol,
                &e,
            ));
        }
    }

    /// Its loop is closing or gone for good (a simulated host crashed, its
    /// simulation closed): drops the buffer, closes the socket and forgets
    /// the protocol at once, without `connection_lost` (nothing runs any
    /// more). The protocol may hold the transport (a binding's JS objects do,
    /// through references the collector cannot see into): forgetting it
    /// breaks the cycle.
    pub(crate) fn release_at_loop_close(&self) {
        if self.0.sock.borrow().is_none() {
            return;
        }
        self.0.closing.set(true);
        self.0.buffer.borrow_mut().clear();
        // A layer above (TLS) releases its own transport and breaks its cycle.
        let protocol = self.0.protocol.borrow().clone();
        protocol.release_at_loop_close();
        self.release();
    }

    /// Closes the socket and detaches from the server: after
    /// `connection_lost` returned, so `wait_closed()` wakes only then.
    fn release(&self) {
        // Forget the protocol, as asyncio does: a protocol that holds its
        // transport would otherwise keep both alive forever.
        *self.0.protocol.borrow_mut() = Rc::new(Released);
        // Lost, also after close() flushed a buffer: later writes are
        // dropped rather than buffered for an fd that is closed (and may be
        // reused by another socket).
        if self.0.conn_lost.get() == 0 {
            self.0.conn_lost.set(1);
        }
        if self.0.owns_fd {
            self.0.lp.release_fd(self.0.fd);
        }
        self.unwatch_reader();
        // Before the fd closes: the kernel lets go of it.
        self.0.io.release();
        let sock = self.0.sock.borrow_mut().take();
        drop(sock);
        let server = self.0.server.borrow_mut().take();
        if let Some(server) = server {
            server.detach(self.0.id);
        }
    }
}

/// Stands in for the protocol after `connection_lost`.
struct Released;

impl Protocol for Released {}
