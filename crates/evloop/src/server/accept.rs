//! Accepting connections (reference §4.4), the part every back end shares:
//! the transport built one iteration later, EMFILE backed off. How
//! connections are learnt of is the back end's `AcceptDriver`.

use std::borrow::Cow;
use std::io;

use super::Server;
use crate::error::Error;
use crate::exception::ExceptionContext;
use crate::errno::{EMFILE, ENFILE, ENOBUFS, ENOMEM};
use crate::net::socket::StreamSocket;
use crate::net::Address;
use crate::selector::Fd;
use crate::transport::{call_protocol, Transport};

/// After running out of fds, wait this long before accepting again
/// (asyncio's `ACCEPT_RETRY_DELAY`), so a full process does not spin.
const ACCEPT_RETRY_DELAY: f64 = 1.0;

/// Starts the server's driver on one listening fd.
pub(crate) fn start_accepting(server: &Server, fd: Fd) {
    if let Err(e) = server.0.driver.start(server, fd) {
        server.0.lp.call_exception_handler(
            ExceptionContext::new("Failed to start accepting").with_error(e),
        );
    }
}

/// A connection was accepted: as asyncio's accept task, its protocol and
/// transport are made in the next iteration.
pub(crate) fn accepted(server: &Server, conn: Box<dyn StreamSocket>, peer: Option<Address>) {
    let s = server.clone();
    let _ = server.0.lp.call_soon_labelled(Cow::Borrowed("Server._accept_connection2"), move || {
        accept_connection(&s, conn, peer)
    });
}

/// An accept on `fd` failed (not a transient `EAGAIN`/`EINTR`/
/// `ECONNABORTED`). Out of fds or memory: reported as `socket.accept() out
/// of system resource`, accepting on `fd` stops and resumes after
/// `ACCEPT_RETRY_DELAY` while the server serves; returns `true`. Other
/// errors are reported; returns `false` (the driver goes on).
pub(crate) fn accept_error(server: &Server, fd: Fd, e: io::Error) -> bool {
    if matches!(e.raw_os_error(), Some(EMFILE | ENFILE | ENOBUFS | ENOMEM)) {
        let socket = server.sockets().into_iter().find(|s| s.fileno() == fd);
        server.0.lp.call_exception_handler(
            ExceptionContext::new("socket.accept() out of system resource")
                .with_error(Error::os("accept", e))
                .with("socket", format!("{socket:?}")),
        );
        server.0.driver.stop(server, fd);
        retry_later(server, fd);
        return true;
    }
    server.0.lp.call_exception_handler(
        ExceptionContext::new("Exception in callback Server._accept_connection")
            .with_error(Error::os("accept", e)),
    );
    false
}

/// Starts accepting on `fd` again after `ACCEPT_RETRY_DELAY`, if the
/// server still serves on it.
pub(crate) fn retry_later(server: &Server, fd: Fd) {
    let s = server.clone();
    let _ = server.0.lp.call_later_labelled(ACCEPT_RETRY_DELAY, Cow::Borrowed("Server._start_serving"), move || {
        if s.is_serving() && s.listening_fd_open(fd) {
            start_accepting(&s, fd);
        }
    });
}

/// Builds the transport of an accepted connection. A server closed since
/// the accept closes the connection silently (gh-109564: CPython fails an
/// assertion here); the factory is never called for it.
fn accept_connection(server: &Server, conn: Box<dyn StreamSocket>, peer: Option<Address>) {
    let Some(factory) = server.factory() else { return };
    let protocol = match call_protocol(|| factory()) {
        Ok(p) => p,
        Err(e) => return report_creation_error(server, e),
    };
    let protocol = match server.layer() {
        None => protocol,
        Some(layer) => match layer(&server.0.lp, protocol) {
            Ok(p) => p,
            Err(e) => return report_creation_error(server, e),
        },
    };
    if let Err(e) = Transport::new(&server.0.lp, conn, protocol, Some(server.clone()), peer, None) {
        report_creation_error(server, e);
    }
}

fn report_creation_error(server: &Server, e: Error) {
    if server.0.lp.get_debug() {
        server.0.lp.call_exception_handler(
            ExceptionContext::new("Error on transport creation for incoming connection").with_error(e),
        );
    }
}

