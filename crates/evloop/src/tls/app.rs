//! The application's side of a TLS connection: an ordinary [`Transport`]
//! whose "socket" encrypts into the layer and whose I/O delivers what the
//! layer decrypted. So the write buffer, flow control, `close()` after
//! flushing and the protocol-call rules are the socket transport's own,
//! with nothing copied; what differs is only where the bytes go.

use std::io::{self, IoSlice};
use std::rc::Rc;

use super::protocol::TlsLayer;
use crate::backend::StreamIo;
use crate::error::{Error, Result};
use crate::net::socket::StreamSocket;
use crate::net::{Address, TransportSocket};
use crate::selector::Fd;
use crate::transport::{ExtraInfoSource, Protocol, Transport};

/// The application transport's socket: sending encrypts through the layer.
pub(crate) struct TlsSocket {
    layer: Rc<TlsLayer>,
    fd: Fd,
    view: TransportSocket,
    local: Option<Address>,
    peer: Option<Address>,
}

impl TlsSocket {
    pub(crate) fn new(layer: Rc<TlsLayer>, raw: &Transport) -> TlsSocket {
        TlsSocket { layer, fd: raw.fd(), view: raw.socket(), local: raw.sockname(), peer: raw.peername() }
    }
}

impl StreamSocket for TlsSocket {
    fn fd(&self) -> Fd {
        self.fd
    }
    fn view(&self) -> TransportSocket {
        self.view.clone()
    }
    fn recv(&self, _buf: &mut crate::transport::ReadBuf<'_>) -> io::Result<usize> {
        // TlsIo delivers; nothing reads through the socket.
        Err(io::ErrorKind::WouldBlock.into())
    }
    fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.layer.app_send(&[IoSlice::new(buf)])
    }
    fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.layer.app_send(bufs)
    }
    /// `write_eof()`: close_notify, after which the peer reads EOF; we may
    /// still read (TLS 1.3 half-close).
    fn shutdown_write(&self) -> io::Result<()> {
        self.layer.send_close_notify();
        Ok(())
    }
    fn local_addr(&self) -> Option<Address> {
        self.local.clone()
    }
    fn peer_addr(&self) -> Option<Address> {
        self.peer.clone()
    }
    fn owns_fd(&self) -> bool {
        false
    }
    fn can_half_close(&self) -> bool {
        false
    }
    fn extra_info_source(&self) -> Option<Rc<dyn ExtraInfoSource>> {
        Some(Rc::new(super::extra_info::TlsExtraInfo(self.layer.clone())))
    }
}

/// The application transport's I/O: the layer decides when data and EOF
/// are delivered and when the connection is really lost.
pub(crate) struct TlsIo(pub(crate) Rc<TlsLayer>);

impl StreamIo for TlsIo {
    fn start_reading(&self, _t: &Transport) {
        self.0.set_app_reading(true);
    }
    fn pause_reading(&self, _t: &Transport) {
        self.0.set_app_reading(false);
    }
    fn stop_reading(&self, _t: &Transport) {
        self.0.set_app_reading(false);
    }
    fn start_writing(&self, _t: &Transport) {
        // The layer calls write_ready() when the socket transport resumes.
    }
    fn stop_writing(&self, _t: &Transport) {}
    fn abort(&self, _t: &Transport) {
        self.0.abort();
    }
    fn release(&self) {}
    fn in_flight(&self) -> usize {
        0
    }
    fn describe(&self, _t: &Transport) -> (&'static str, &'static str, &'static str) {
        let writing = if self.0.raw_write_paused() { "pending" } else { "idle" };
        ("_SSLProtocolTransport", "polling", writing)
    }
    fn take_loss(&self, t: &Transport, exc: Option<Error>) -> Option<Option<Error>> {
        let _ = t;
        if self.0.take_loss(exc.clone()) {
            None
        } else {
            Some(exc)
        }
    }
}

/// Hands one decrypted chunk to the application protocol, through
/// `data_received` or a buffered protocol's `get_buffer`/`buffer_updated`.
pub(crate) fn hand_over(protocol: &Rc<dyn Protocol>, mut chunk: &[u8]) -> Result<()> {
    let Some(buffered) = protocol.buffered() else {
        return protocol.data_received(chunk);
    };
    while !chunk.is_empty() {
        let buf = buffered.get_buffer(chunk.len() as isize)?;
        let n = {
            let mut b = buf.borrow_mut();
            if b.is_empty() {
                return Err(Error::Runtime("get_buffer() returned an empty buffer".into()));
            }
            let n = b.len().min(chunk.len());
            b[..n].copy_from_slice(&chunk[..n]);
            n
        };
        buffered.buffer_updated(n)?;
        chunk = &chunk[n..];
    }
    Ok(())
}
