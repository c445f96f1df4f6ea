//! The readiness back end: wait until a socket is ready, then do the
//! non-blocking call (asyncio's `selector_events.py`). Every selector loop
//! uses it, and so does the simulation, whose sockets are ready or not as
//! the simulated network decides.

mod accept;
mod datagram;
#[cfg(not(target_arch = "wasm32"))]
mod connect;
mod stream;

use super::{AcceptDriver, Backend, DatagramIo, StreamIo};

/// The back end of every loop built on a [`Selector`](crate::selector::Selector).
pub(crate) struct Readiness;

impl Backend for Readiness {
    fn accept_driver(&self) -> Box<dyn AcceptDriver> {
        Box::new(accept::ReadinessAccept)
    }

    fn stream_io(&self) -> Box<dyn StreamIo> {
        // Zero-sized: no allocation; the state is the loop's reader and
        // writer registrations.
        Box::new(stream::ReadinessIo)
    }

    fn datagram_io(&self) -> Box<dyn DatagramIo> {
        Box::new(datagram::ReadinessDatagramIo)
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn connect<'a>(
        &'a self,
        lp: &'a crate::EventLoop,
        sock: &'a socket2::Socket,
        addr: &'a socket2::SockAddr,
    ) -> super::ConnectFuture<'a> {
        Box::pin(connect::connect(lp, sock, addr))
    }
}
