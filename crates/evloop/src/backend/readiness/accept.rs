//! Accepting on readiness: a reader on the listening fd accepts up to
//! `backlog` connections per readiness (asyncio's `_accept_connection`).

use std::io;

use crate::backend::AcceptDriver;
use crate::error::Result;
use crate::selector::{Fd, Interest};
use crate::server::accept::{accept_error, accepted};
use crate::server::Server;

/// The accept driver of a readiness loop.
pub(crate) struct ReadinessAccept;

impl AcceptDriver for ReadinessAccept {
    fn start(&self, server: &Server, fd: Fd) -> Result<()> {
        let s = server.clone();
        server.get_loop().add_io_unchecked(fd, Interest::READ, server.label(), Box::new(move || accept_ready(&s, fd)))?;
        Ok(())
    }

    fn stop(&self, server: &Server, fd: Fd) {
        server.get_loop().remove_io(fd, Interest::READ);
    }
}

fn accept_ready(server: &Server, fd: Fd) {
    // asyncio accepts `backlog` times per readiness, so `backlog=0` would
    // never accept; at least one accept per readiness keeps such a server usable.
    for _ in 0..server.backlog().max(1) {
        let Some(accepted_now) = server.accept_on(fd) else { return };
        match accepted_now {
            Ok((conn, peer)) => accepted(server, conn, peer),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                server.get_loop().note_drained(fd, Interest::READ);
                return;
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted) => return,
            Err(e) => {
                accept_error(server, fd, e);
                return;
            }
        }
    }
}
