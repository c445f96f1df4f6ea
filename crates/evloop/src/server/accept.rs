//! Accepting connections (reference §4.4): up to `backlog` accepts per
//! readiness, the transport built one iteration later, EMFILE backed off.

use std::borrow::Cow;
use std::io;


use super::Server;
use crate::error::Error;
use crate::exception::ExceptionContext;
use crate::errno::{EMFILE, ENFILE, ENOBUFS, ENOMEM};
use crate::net::socket::StreamSocket;
use crate::net::Address;
use crate::selector::{Fd, Interest};
use crate::transport::{call_protocol, Transport};

/// After running out of fds, wait this long before accepting again
/// (asyncio's `ACCEPT_RETRY_DELAY`), so a full process does not spin.
const ACCEPT_RETRY_DELAY: f64 = 1.0;

/// Registers the accept handler for one listening fd.
pub(crate) fn start_accepting(server: &Server, fd: Fd) {
    let s = server.clone();
    let result = server.0.lp.add_io_unchecked(fd, Interest::READ, server.label(), Box::new(move || accept_ready(&s, fd)));
    if let Err(e) = result {
        server.0.lp.call_exception_handler(
            ExceptionContext::new("Failed to start accepting").with_exception(e.to_string()),
        );
    }
}

fn accept_ready(server: &Server, fd: Fd) {
    // asyncio accepts `backlog` times per readiness, so `backlog=0` would
    // never accept; at least one accept per readiness keeps such a server usable.
    for _ in 0..server.backlog().max(1) {
        let accepted = {
            let listeners = server.0.listeners.borrow();
            let Some(l) = listeners.as_ref().and_then(|ls| ls.iter().find(|l| l.fd() == fd)) else { return };
            l.accept()
        };
        match accepted {
            Ok((conn, peer)) => {
                let s = server.clone();
                // As asyncio's accept task: the protocol is made next iteration.
                let _ = server.0.lp.call_soon_labelled(Cow::Borrowed("Server._accept_connection2"), move || {
                    accept_connection(&s, conn, peer)
                });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                server.0.lp.note_drained(fd, Interest::READ);
                return;
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted) => return,
            Err(e) if matches!(e.raw_os_error(), Some(EMFILE | ENFILE | ENOBUFS | ENOMEM)) => {
                let socket = server.sockets().into_iter().find(|s| s.fileno() == fd);
                server.0.lp.call_exception_handler(
                    ExceptionContext::new("socket.accept() out of system resource")
                        .with_exception(Error::os("accept", e).to_string())
                        .with("socket", format!("{socket:?}")),
                );
                server.0.lp.remove_io(fd, Interest::READ);
                let s = server.clone();
                let _ = server.0.lp.call_later_labelled(ACCEPT_RETRY_DELAY, Cow::Borrowed("Server._start_serving"), move || {
                    if s.is_serving() && s.listening_fd_open(fd) {
                        start_accepting(&s, fd);
                    }
                });
                return;
            }
            Err(e) => {
                server.0.lp.call_exception_handler(
                    ExceptionContext::new("Exception in callback Server._accept_connection")
                        .with_exception(Error::os("accept", e).to_string()),
                );
                return;
            }
        }
    }
}

/// Builds the transport of an accepted connection. A server closed since
/// the accept closes the connection silently (gh-109564: CPython fails an
/// assertion here); the factory is never called for it.
fn accept_connection(server: &Server, conn: Box<dyn StreamSocket>, peer: Option<Address>) {
    if server.is_closed() {
        return;
    }
    let factory = server.factory();
    let protocol = match call_protocol(|| factory()) {
        Ok(p) => p,
        Err(e) => return report_creation_error(server, e),
    };
    if let Err(e) = Transport::new(&server.0.lp, conn, protocol, Some(server.clone()), peer, None) {
        report_creation_error(server, e);
    }
}

fn report_creation_error(server: &Server, e: Error) {
    if server.0.lp.get_debug() {
        server.0.lp.call_exception_handler(
            ExceptionContext::new("Error on transport creation for incoming connection").with_exception(e.to_string()),
        );
    }
}

