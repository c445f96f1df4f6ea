//! The TLS layer as the socket transport's protocol: records in, the
//! socket's EOF and loss, its flow control (asyncio's `SSLProtocol`
//! callbacks). The state and the rest of the layer are in `protocol.rs`.

use super::error::from_rustls_for;
use super::protocol::{State, TlsLayer, READ_HIGH_WATER};
use crate::errno::ECONNRESET;
use crate::error::{Error, Result};
use crate::transport::{Protocol, Transport};

impl Protocol for TlsLayer {
    fn connection_made(&self, transport: &Transport) -> Result<()> {
        *self.raw.borrow_mut() = Some(transport.clone());
        self.set_timer(self.opts.handshake_timeout, "SSLProtocol._check_handshake_timeout", |layer| {
            layer.check_handshake_timeout()
        });
        // A client's ClientHello.
        self.flush_outgoing();
        Ok(())
    }

    fn data_received(&self, data: &[u8]) -> Result<()> {
        let state = self.state.get();
        if state == State::Unwrapped {
            return Ok(());
        }
        let processed = self.process(data);
        self.flush_outgoing();
        if let Err(e) = processed {
            let exc = from_rustls_for(&e, &self.opts.server_hostname);
            if self.state.get() == State::Handshake {
                self.handshake_failed(exc);
            } else if let Some(raw) = self.raw() {
                // Fatal error on SSL protocol: the application gets it.
                raw.force_close_with(Some(exc));
            }
            return Ok(());
        }
        if self.state.get() == State::Handshake && !self.conn.borrow().is_handshaking() {
            self.handshake_done();
        }
        match self.state.get() {
            State::Wrapped => {
                if self.incoming_len.get() > READ_HIGH_WATER && !self.raw_reading_paused.get() {
                    self.raw_reading_paused.set(true);
                    if let Some(raw) = self.raw() {
                        raw.pause_reading();
                    }
                }
                self.deliver();
            }
            State::Shutdown => {
                // Waiting for the peer's close_notify; its data is dropped.
                self.incoming.borrow_mut().clear();
                self.incoming_len.set(0);
                if self.peer_closed.get() {
                    if let Some(raw) = self.raw() {
                        raw.close();
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn eof_received(&self) -> Result<bool> {
        match self.state.get() {
            State::Handshake => {
                let exc = Error::os_with_message("", ECONNRESET, "Connection lost during the SSL handshake");
                self.handshake_failed(exc);
                Ok(false)
            }
            State::Wrapped => {
                self.raw_eof.set(true);
                self.deliver();
                // Keep the socket until a paused application took its data
                // (deliver() finishes the close then).
                let undelivered = !self.incoming.borrow().is_empty() || (self.peer_closed.get() && !self.eof_delivered.get());
                Ok(undelivered && self.state.get() == State::Wrapped)
            }
            State::Shutdown | State::Unwrapped => Ok(false),
        }
    }

    fn connection_lost(&self, exc: Option<Error>) -> Result<()> {
        self.cancel_timer();
        let was = self.state.replace(State::Unwrapped);
        self.raw.borrow_mut().take();
        self.app_protocol.take();
        if was == State::Handshake {
            let exc = exc.clone().unwrap_or_else(|| {
                Error::os_with_message("", ECONNRESET, "Connection lost during the SSL handshake")
            });
            if let Some(waiter) = self.waiter.take() {
                if !waiter.done() {
                    let _ = waiter.set_exception(exc);
                }
            }
        }
        let app = self.app.borrow_mut().take();
        if let Some(app) = app {
            let pending = self.pending_loss.take().flatten();
            app.lower_layer_lost(exc.or(pending));
        }
        Ok(())
    }

    fn pause_writing(&self) -> Result<()> {
        self.raw_write_paused.set(true);
        Ok(())
    }

    fn resume_writing(&self) -> Result<()> {
        self.raw_write_paused.set(false);
        if let Some(app) = self.app_transport() {
            app.write_ready();
        }
        Ok(())
    }

    fn describe(&self) -> String {
        "<asyncio.sslproto.SSLProtocol>".to_string()
    }

    /// The loop closed under the connection: as `connection_lost`, but
    /// nothing is told (nothing runs on a closed loop). The application's
    /// transport is released too: it and the layer hold each other (its
    /// socket and I/O are the layer), and its protocol may hold it.
    fn release_at_loop_close(&self) {
        self.cancel_timer();
        self.state.set(State::Unwrapped);
        self.raw.borrow_mut().take();
        self.app_protocol.take();
        // A handshake's waiter stays pending: nothing settles on a closed loop.
        self.waiter.take();
        self.pending_loss.take();
        self.incoming.borrow_mut().clear();
        self.incoming_len.set(0);
        let app = self.app.borrow_mut().take();
        if let Some(app) = app {
            app.release_at_loop_close();
        }
    }
}
