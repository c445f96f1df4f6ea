//! The transport's writing: `write`, `writelines`, the flush a back end
//! asks for when the socket is writable, `write_eof`, and flow control
//! (asyncio's `_maybe_pause_protocol`/`_maybe_resume_protocol`).

use std::io;

use super::super::pipe::Kind;
use super::super::write_buffer::Limits;
use super::{call_protocol, Transport, LOG_THRESHOLD_FOR_CONNLOST_WRITES};
use crate::error::{Error, Result};

impl Transport {
    /// Sends `data` (copied): at once if nothing is buffered, else after
    /// what is. Writes after the connection was lost are dropped.
    ///
    /// # Errors
    /// `RuntimeError('Cannot call write() after write_eof()')`.
    pub fn write(&self, data: &[u8]) -> Result<()> {
        self.check_writable("write")?;
        self.check_sendfile()?;
        if self.0.eof.get() {
            return Err(Error::Runtime("Cannot call write() after write_eof()".into()));
        }
        if data.is_empty() {
            return Ok(());
        }
        if self.0.conn_lost.get() > 0 {
            if self.0.conn_lost.get() >= LOG_THRESHOLD_FOR_CONNLOST_WRITES {
                log::warn!(target: "evloop", "socket.send() raised exception.");
            }
            self.0.conn_lost.set(self.0.conn_lost.get() + 1);
            return Ok(());
        }
        let mut rest = data;
        if self.get_write_buffer_size() == 0 && !self.0.io.sends_directly(self, data.len()) {
            self.0.buffer.borrow_mut().push(rest);
            self.start_writing();
        } else if self.get_write_buffer_size() == 0 {
            let sent = {
                let sock = self.0.sock.borrow();
                match sock.as_ref().map(|s| s.send(data)) {
                    Some(Ok(n)) => n,
                    Some(Err(e)) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => 0,
                    Some(Err(e)) => {
                        drop(sock);
                        self.fatal_error(Error::os("send", e), "Fatal write error on socket transport");
                        return Ok(());
                    }
                    None => 0,
                }
            };
            rest = &data[sent..];
            if rest.is_empty() {
                return Ok(());
            }
            self.0.buffer.borrow_mut().push(rest);
            self.start_writing();
        } else {
            self.0.buffer.borrow_mut().push(rest);
        }
        self.maybe_pause_protocol();
        Ok(())
    }

    /// Writes each piece, in order (one vectored send where possible).
    ///
    /// # Errors
    /// `RuntimeError('Cannot call writelines() after write_eof()')`.
    pub fn writelines<'a>(&self, pieces: impl IntoIterator<Item = &'a [u8]>) -> Result<()> {
        self.check_writable("writelines")?;
        self.check_sendfile()?;
        if self.0.eof.get() {
            return Err(Error::Runtime("Cannot call writelines() after write_eof()".into()));
        }
        if self.0.conn_lost.get() > 0 {
            return Ok(());
        }
        let was_empty = self.get_write_buffer_size() == 0;
        {
            let mut buffer = self.0.buffer.borrow_mut();
            for piece in pieces {
                buffer.push(piece);
            }
        }
        if was_empty && !self.0.buffer.borrow().is_empty() {
            self.write_ready();
            if !self.0.buffer.borrow().is_empty() && self.0.conn_lost.get() == 0 {
                self.start_writing();
            }
        }
        self.maybe_pause_protocol();
        Ok(())
    }

    fn start_writing(&self) {
        self.0.io.start_writing(self);
    }

    /// Sends what is buffered, now and without blocking (one vectored
    /// `send`): `writelines()`, and a readiness loop's writer.
    pub(crate) fn write_ready(&self) {
        if self.0.conn_lost.get() > 0 {
            return;
        }
        let sent = {
            let sock = self.0.sock.borrow();
            let buffer = self.0.buffer.borrow();
            match sock.as_ref() {
                Some(s) if !buffer.is_empty() => s.send_vectored(&buffer.slices()),
                _ => Ok(0),
            }
        };
        match sent {
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
            Err(e) => {
                self.0.io.stop_writing(self);
                self.write_buffer().clear();
                self.fatal_error(Error::os("send", e), "Fatal write error on socket transport");
            }
            Ok(n) => {
                self.write_buffer().consume(n);
                self.sent();
            }
        }
    }

    /// After a successful send: resume the protocol at the low mark; once
    /// everything is out, finish a pending close or `write_eof()`.
    pub(crate) fn sent(&self) {
        // May append to the buffer.
        self.maybe_resume_protocol();
        if self.get_write_buffer_size() == 0 {
            self.0.io.stop_writing(self);
            self.0.sendfile.buffer_empty();
            if self.0.closing.get() {
                if let Some(exc) = self.0.io.take_loss(self, None) {
                    self.call_connection_lost(exc);
                }
            } else if self.0.eof.get() {
                self.shutdown_write();
            }
        }
    }

    fn shutdown_write(&self) {
        if let Some(sock) = self.0.sock.borrow().as_ref() {
            // The peer may be gone already; the read side will tell.
            let _ = sock.shutdown_write();
        }
    }

    /// Closes the write side once the buffer is flushed; the peer reads
    /// EOF. Idempotent; a no-op once closing.
    pub fn write_eof(&self) {
        if self.0.closing.get() || self.0.eof.get() {
            return;
        }
        match self.0.kind {
            Kind::Socket => {}
            // asyncio's pipe transport: the write side is all there is.
            Kind::WritePipe { .. } => return self.close(),
            Kind::ReadPipe => return,
        }
        self.0.eof.set(true);
        if self.get_write_buffer_size() == 0 {
            self.shutdown_write();
        }
    }

    /// Stream sockets and write pipes can half-close; a read pipe cannot
    /// write, and TLS cannot (as asyncio's SSL transport says, though
    /// `write_eof()` sends close_notify there).
    pub fn can_write_eof(&self) -> bool {
        self.0.kind != Kind::ReadPipe && self.0.sock.borrow().as_ref().is_none_or(|s| s.can_half_close())
    }

    /// Bytes waiting to be sent, including those handed to the kernel but
    /// not confirmed sent (a completion back end's send in flight, as
    /// asyncio counts them).
    pub fn get_write_buffer_size(&self) -> usize {
        self.0.buffer.borrow().len() + self.0.io.in_flight()
    }

    /// `(low, high)`.
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        let l = self.0.limits.get();
        (l.low, l.high)
    }

    /// Sets the water marks (see asyncio for the defaults when one is
    /// missing) and applies them at once: this may call `pause_writing()`.
    ///
    /// # Errors
    /// `ValueError('high (h) must be >= low (l) must be >= 0')`.
    pub fn set_write_buffer_limits(&self, high: Option<i64>, low: Option<i64>) -> Result<()> {
        self.0.limits.set(Limits::new(high, low)?);
        self.maybe_pause_protocol();
        Ok(())
    }

    fn maybe_pause_protocol(&self) {
        if self.get_write_buffer_size() <= self.0.limits.get().high || self.0.protocol_paused.get() {
            return;
        }
        self.0.protocol_paused.set(true);
        let protocol = self.0.protocol.borrow().clone();
        if let Err(e) = call_protocol(|| protocol.pause_writing()) {
            self.report(e, "protocol.pause_writing() failed");
        }
    }

    fn maybe_resume_protocol(&self) {
        if !self.0.protocol_paused.get() || self.get_write_buffer_size() > self.0.limits.get().low {
            return;
        }
        self.0.protocol_paused.set(false);
        let protocol = self.0.protocol.borrow().clone();
        if let Err(e) = call_protocol(|| protocol.resume_writing()) {
            self.report(e, "protocol.resume_writing() failed");
        }
    }
}
