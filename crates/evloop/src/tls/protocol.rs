//! The TLS layer (asyncio's `SSLProtocol`): the protocol of a socket
//! transport, and the engine of the transport the application sees.
//!
//! ```text
//! app protocol <-> app Transport (TlsSocket + TlsIo, app.rs) <-> TlsLayer <-> socket Transport <-> fd
//! ```
//! States, as asyncio's:
//! `Handshake --done--> Wrapped --close()/peer EOF--> Shutdown --socket lost--> Unwrapped`;
//! a failed or timed-out handshake goes straight to `Unwrapped`.
//! The application's `connection_lost` always comes after the socket
//! transport's: closing sends close_notify, waits for the peer's (at most
//! `ssl_shutdown_timeout`), closes the socket, then reports.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::{self, BufRead, IoSlice, Write};
use std::rc::{Rc, Weak};

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, Connection, ServerConnection};

use super::app::{TlsIo, TlsSocket};
use super::context::SslContext;
use super::error::from_rustls_for;
use super::sim_crypto::SimSource;
use crate::errno::{ECONNABORTED, ETIMEDOUT};
use crate::error::{Error, Result};
use crate::future::Future;
use crate::handle::TimerHandle;
use crate::transport::{call_protocol, Protocol, Transport};
use crate::EventLoop;

/// Plaintext held for a paused application before the socket transport
/// stops reading (asyncio's `FLOW_CONTROL_HIGH_WATER_SSL_READ`, 256 KiB).
pub(super) const READ_HIGH_WATER: usize = 256 * 1024;
/// The application transport's write high-water mark (asyncio's
/// `FLOW_CONTROL_HIGH_WATER_SSL_WRITE`, 512 KiB; low is a quarter).
const WRITE_HIGH_WATER: i64 = 512 * 1024;
/// The largest plaintext or records buffer a connection keeps for reuse,
/// so that a steady stream of reads and writes up to this size allocates
/// nothing; an idle connection holds at most twice this (asyncio's
/// `SSLProtocol` keeps a 256 KiB buffer per connection).
const SPARE_MAX: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Handshake,
    Wrapped,
    Shutdown,
    Unwrapped,
}

/// How a TLS connection starts: its side, and asyncio's timeouts.
pub(crate) struct LayerOptions {
    pub(crate) server_side: bool,
    /// The name sent (SNI) and checked; `""` when there is none.
    pub(crate) server_hostname: String,
    pub(crate) handshake_timeout: f64,
    pub(crate) shutdown_timeout: f64,
    /// Call the application's `connection_made` (not for `start_tls`).
    pub(crate) call_connection_made: bool,
}

pub(crate) struct TlsLayer {
    pub(super) this: Weak<TlsLayer>,
    pub(super) lp: EventLoop,
    pub(super) conn: RefCell<Connection>,
    /// A simulated connection's randomness and clock (`None`: the system's).
    pub(super) sim: Option<SimSource>,
    pub(super) context: SslContext,
    pub(super) opts: LayerOptions,
    pub(super) state: Cell<State>,
    /// The socket transport, until it is lost.
    pub(super) raw: RefCell<Option<Transport>>,
    /// The application's transport, from the handshake until the socket
    /// transport is lost.
    pub(super) app: RefCell<Option<Transport>>,
    /// The application's protocol until its transport exists.
    pub(super) app_protocol: RefCell<Option<Rc<dyn Protocol>>>,
    /// Resolved when the application's transport is ready, or failed.
    pub(super) waiter: RefCell<Option<Future<()>>>,
    /// The handshake or shutdown timeout.
    pub(super) timer: RefCell<Option<TimerHandle>>,
    /// Decrypted bytes the application has not taken yet: one chunk per
    /// socket read, not per record, so one `data_received` per read.
    pub(super) incoming: RefCell<VecDeque<Vec<u8>>>,
    /// A delivered chunk's allocation, for the next socket read's plaintext.
    spare: RefCell<Vec<u8>>,
    /// The records of the last flush's allocation, for the next one.
    outgoing: RefCell<Vec<u8>>,
    pub(super) incoming_len: Cell<usize>,
    pub(super) app_reading: Cell<bool>,
    /// We stopped the socket transport's reading (too much plaintext held).
    pub(super) raw_reading_paused: Cell<bool>,
    /// The peer's close_notify arrived.
    pub(super) peer_closed: Cell<bool>,
    /// The application was told (`eof_received`).
    pub(super) eof_delivered: Cell<bool>,
    /// The socket transport read EOF.
    pub(super) raw_eof: Cell<bool>,
    pub(super) close_notify_sent: Cell<bool>,
    /// The socket transport's buffer is over its high-water mark.
    pub(super) raw_write_paused: Cell<bool>,
    /// The application transport was aborted (no close_notify).
    pub(super) aborting: Cell<bool>,
    /// The application transport's loss, held until the socket's
    /// (`Some(exc)` once its close or abort was handed over).
    pub(super) pending_loss: RefCell<Option<Option<Error>>>,
}

impl TlsLayer {
    /// A layer for one connection; the socket transport's
    /// `connection_made` starts the handshake.
    pub(crate) fn new(
        lp: &EventLoop,
        context: &SslContext,
        opts: LayerOptions,
        app_protocol: Rc<dyn Protocol>,
        waiter: Option<Future<()>>,
    ) -> Result<Rc<TlsLayer>> {
        // In a simulation: the host's seeded randomness and virtual clock.
        let sim = lp.network().tls_source();
        let simulated = sim.is_some();
        let make = || -> Result<Connection> {
            Ok(if opts.server_side {
                ServerConnection::new(context.server_config(simulated)?).map_err(|e| from_rustls_for(&e, ""))?.into()
            } else {
                ClientConnection::new(context.client_config(simulated)?, server_name(&opts.server_hostname)?)
                    .map_err(|e| from_rustls_for(&e, &opts.server_hostname))?
                    .into()
            })
        };
        let mut conn = match &sim {
            Some(source) => source.enter(make)?,
            None => make()?,
        };
        // No limit on rustls's outgoing records: flush_outgoing hands them all
        // to the socket transport at once, whose buffer and the application
        // transport's limits are the flow control. (With rustls's 64 KiB, a
        // larger write was taken in part, and the rest waited for a resume
        // of the socket transport that need not come.)
        conn.set_buffer_limit(None);
        Ok(Rc::new_cyclic(|this| TlsLayer {
            this: this.clone(),
            lp: lp.clone(),
            conn: RefCell::new(conn),
            sim,
            context: context.clone(),
            opts,
            state: Cell::new(State::Handshake),
            raw: RefCell::new(None),
            app: RefCell::new(None),
            app_protocol: RefCell::new(Some(app_protocol)),
            waiter: RefCell::new(waiter),
            timer: RefCell::new(None),
            incoming: RefCell::new(VecDeque::new()),
            spare: RefCell::new(Vec::new()),
            outgoing: RefCell::new(Vec::new()),
            incoming_len: Cell::new(0),
            app_reading: Cell::new(false),
            raw_reading_paused: Cell::new(false),
            peer_closed: Cell::new(false),
            eof_delivered: Cell::new(false),
            raw_eof: Cell::new(false),
            close_notify_sent: Cell::new(false),
            raw_write_paused: Cell::new(false),
            aborting: Cell::new(false),
            pending_loss: RefCell::new(None),
        }))
    }

    /// The application's transport (once the handshake is done).
    pub(crate) fn app_transport(&self) -> Option<Transport> {
        self.app.borrow().clone()
    }

    pub(super) fn raw(&self) -> Option<Transport> {
        self.raw.borrow().clone()
    }

    fn rc(&self) -> Rc<TlsLayer> {
        self.this.upgrade().expect("the layer is alive while its methods run")
    }

    pub(super) fn set_timer(&self, delay: f64, label: &'static str, f: impl FnOnce(&TlsLayer) + 'static) {
        let weak = self.this.clone();
        let handle = self.lp.call_later_labelled(delay, Cow::Borrowed(label), move || {
            if let Some(layer) = weak.upgrade() {
                f(&layer);
            }
        });
        if let Some(old) = self.timer.replace(handle.ok()) {
            old.cancel();
        }
    }

    pub(super) fn cancel_timer(&self) {
        if let Some(t) = self.timer.take() {
            t.cancel();
        }
    }

    // ----- records out -----

    /// Hands every record rustls has ready to the socket transport, in one
    /// write. The records are gathered first (into a buffer kept for the
    /// next time): the socket transport's write may call back into the
    /// layer (`resume_writing` encrypts the application's buffered bytes),
    /// so rustls must not be borrowed during it.
    pub(super) fn flush_outgoing(&self) {
        let mut out = self.outgoing.take();
        out.clear();
        {
            let mut conn = self.conn.borrow_mut();
            while conn.wants_write() {
                if conn.write_tls(&mut out).is_err() {
                    break;
                }
            }
        }
        if !out.is_empty() {
            if let Some(raw) = self.raw() {
                // Writes after loss are dropped by the transport itself.
                let _ = raw.write(&out);
            }
        }
        if out.capacity() <= SPARE_MAX {
            *self.outgoing.borrow_mut() = out;
        }
    }

    /// Encrypts application bytes (the application transport's "send"):
    /// one rustls write for all of `bufs` (records may span them), one
    /// socket write for the records. `WouldBlock` while the socket
    /// transport is over its high-water mark.
    pub(super) fn app_send(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        if self.state.get() != State::Wrapped || self.close_notify_sent.get() {
            return Err(io::Error::from_raw_os_error(crate::errno::EPIPE));
        }
        if self.raw_write_paused.get() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = self.conn.borrow_mut().writer().write_vectored(bufs)?;
        self.flush_outgoing();
        if n == 0 && bufs.iter().any(|b| !b.is_empty()) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    }

    /// Sends close_notify once.
    pub(super) fn send_close_notify(&self) {
        if self.close_notify_sent.replace(true) {
            return;
        }
        self.conn.borrow_mut().send_close_notify();
        self.flush_outgoing();
    }

    // ----- records in -----

    /// Decrypts what the socket transport read; the plaintext goes to
    /// `incoming` as one chunk.
    pub(super) fn process(&self, mut data: &[u8]) -> std::result::Result<(), rustls::Error> {
        // Plaintext is never longer than its records.
        let mut plain = self.spare.take();
        plain.clear();
        plain.reserve(data.len());
        let mut conn = self.conn.borrow_mut();
        let mut result = Ok(());
        while !data.is_empty() {
            if let Err(e) = conn.read_tls(&mut data) {
                result = Err(rustls::Error::General(e.to_string()));
                break;
            }
            // In a simulation, with the host's seeded randomness and clock.
            let processed = match &self.sim {
                Some(source) => source.enter(|| conn.process_new_packets()),
                None => conn.process_new_packets(),
            };
            match processed {
                Ok(state) if state.peer_has_closed() => self.peer_closed.set(true),
                Ok(_) => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
            // rustls holds at most 16 KiB of plaintext: take it each round.
            take_plaintext(&mut conn, &mut plain);
        }
        drop(conn);
        if plain.is_empty() {
            *self.spare.borrow_mut() = plain;
        } else {
            self.incoming_len.set(self.incoming_len.get() + plain.len());
            self.incoming.borrow_mut().push_back(plain);
        }
        result
    }

    /// Hands held plaintext to the application while it reads, then the
    /// peer's EOF; resumes the socket's reading once little is held.
    pub(super) fn deliver(&self) {
        let Some(app) = self.app_transport() else { return };
        while self.app_reading.get() && !app.conn_lost() {
            let Some(chunk) = self.incoming.borrow_mut().pop_front() else { break };
            self.incoming_len.set(self.incoming_len.get() - chunk.len());
            let protocol = app.get_protocol();
            let handed = call_protocol(|| super::app::hand_over(&protocol, &chunk));
            if chunk.capacity() <= SPARE_MAX {
                *self.spare.borrow_mut() = chunk;
            }
            if let Err(e) = handed {
                app.fatal_error(e, "Fatal error: protocol.data_received() call failed.");
                return;
            }
        }
        if self.raw_reading_paused.get() && self.incoming_len.get() <= READ_HIGH_WATER / 4 {
            self.raw_reading_paused.set(false);
            if let Some(raw) = self.raw() {
                raw.resume_reading();
            }
        }
        if !self.app_reading.get() || !self.incoming.borrow().is_empty() || app.conn_lost() {
            return;
        }
        if self.peer_closed.get() && !self.eof_delivered.replace(true) {
            let protocol = app.get_protocol();
            match call_protocol(|| protocol.eof_received()) {
                Err(e) => return app.fatal_error(e, "Error calling eof_received()"),
                Ok(true) => log::warn!(target: "evloop", "returning true from eof_received() has no effect when using ssl"),
                Ok(false) => {}
            }
            app.close();
        } else if self.raw_eof.get() && !self.peer_closed.get() && self.state.get() == State::Wrapped {
            // EOF without close_notify: as asyncio, the connection ends
            // without an error and without eof_received (docs/tls.md).
            self.state.set(State::Shutdown);
            self.send_close_notify();
            if let Some(raw) = self.raw() {
                raw.close();
            }
        }
    }

    // ----- handshake -----

    pub(super) fn handshake_done(&self) {
        self.cancel_timer();
        self.state.set(State::Wrapped);
        let Some(raw) = self.raw() else { return };
        let Some(protocol) = self.app_protocol.take() else { return };
        let waiter = self.waiter.take();
        let layer = self.rc();
        let sock = Box::new(TlsSocket::new(layer.clone(), &raw));
        let io = Box::new(TlsIo(layer));
        match Transport::layered(&self.lp, sock, io, protocol, waiter, self.opts.call_connection_made) {
            Ok(app) => {
                let _ = app.set_write_buffer_limits(Some(WRITE_HIGH_WATER), None);
                *self.app.borrow_mut() = Some(app);
            }
            Err(_) => raw.abort(),
        }
    }

    /// The handshake failed (bad certificate, alert, timeout, EOF): the
    /// peer gets what rustls has to say (an alert), the socket is dropped,
    /// and whoever waits for the connection gets `exc`. As asyncio, a
    /// server does not report it (it is an `OSError`).
    pub(super) fn handshake_failed(&self, exc: Error) {
        self.cancel_timer();
        self.state.set(State::Unwrapped);
        self.flush_outgoing();
        self.app_protocol.take();
        if let Some(waiter) = self.waiter.take() {
            if !waiter.done() {
                let _ = waiter.set_exception(exc.clone());
            }
        }
        if let Some(raw) = self.raw() {
            raw.force_close_with(Some(exc));
        }
    }

    pub(super) fn check_handshake_timeout(&self) {
        if self.state.get() != State::Handshake {
            return;
        }
        let timeout = python_float(self.opts.handshake_timeout);
        let msg = format!("SSL handshake is taking longer than {timeout} seconds: aborting the connection");
        self.handshake_failed(Error::os_with_message("", ECONNABORTED, msg));
    }

    // ----- closing -----

    /// The application transport is done ([`TlsIo::take_loss`]): the close
    /// continues below. Returns `false` when the socket transport is gone
    /// already (the application transport reports its loss itself).
    pub(super) fn take_loss(&self, exc: Option<Error>) -> bool {
        let Some(raw) = self.raw() else { return false };
        let aborting = self.aborting.get();
        if self.pending_loss.borrow().is_none() {
            *self.pending_loss.borrow_mut() = Some(exc);
        }
        if aborting {
            self.state.set(State::Unwrapped);
            self.cancel_timer();
            raw.abort();
            return true;
        }
        if self.state.get() != State::Wrapped {
            return true;
        }
        self.state.set(State::Shutdown);
        self.send_close_notify();
        if self.peer_closed.get() || self.raw_eof.get() {
            raw.close();
        } else {
            self.set_timer(self.opts.shutdown_timeout, "SSLProtocol._check_shutdown_timeout", |layer| {
                if layer.state.get() == State::Shutdown {
                    if let Some(raw) = layer.raw() {
                        let exc = Error::os_with_message("", ETIMEDOUT, "SSL shutdown timed out");
                        raw.force_close_with(Some(exc));
                    }
                }
            });
        }
        true
    }

    pub(super) fn set_app_reading(&self, on: bool) {
        self.app_reading.set(on);
        if on {
            let weak = self.this.clone();
            let _ = self.lp.call_soon_labelled(Cow::Borrowed("SSLProtocol._do_read"), move || {
                if let Some(layer) = weak.upgrade() {
                    layer.deliver();
                }
            });
        }
    }

    /// The application transport's `abort()` (or fatal error).
    pub(super) fn abort(&self) {
        // take_loss follows at once and does the work.
        self.aborting.set(true);
    }

    /// Whether the socket transport is over its high-water mark.
    pub(super) fn raw_write_paused(&self) -> bool {
        self.raw_write_paused.get()
    }
}

/// Appends the plaintext rustls holds to `plain`, without an intermediate
/// buffer.
fn take_plaintext(conn: &mut Connection, plain: &mut Vec<u8>) {
    let mut reader = conn.reader();
    loop {
        let n = match reader.fill_buf() {
            Ok(chunk) if !chunk.is_empty() => {
                plain.extend_from_slice(chunk);
                chunk.len()
            }
            // Empty (after close_notify), WouldBlock, or an EOF without
            // close_notify: nothing more now.
            _ => break,
        };
        reader.consume(n);
    }
}

/// rustls's name for the peer: a DNS name or an IP address; `""` (no name
/// to send or check) becomes an address, for which no SNI is sent.
fn server_name(hostname: &str) -> Result<ServerName<'static>> {
    if hostname.is_empty() {
        return Ok(ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into()));
    }
    ServerName::try_from(hostname.to_string())
        .map_err(|_| Error::Value(format!("server_hostname {hostname:?} is not a valid host name")))
}

/// A float as Python prints it (`60.0`, `0.5`).
fn python_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}
