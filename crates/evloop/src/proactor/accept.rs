//! Accepting on a proactor: one `IORING_OP_ACCEPT` in flight per listening
//! socket (asyncio's proactor keeps one `AcceptEx` per socket); each
//! completion hands the connection to the shared server code and submits
//! the next accept.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::os::fd::FromRawFd;
use std::rc::Rc;

use super::{OpBufs, Ring};
use crate::error::{Error, Result};
use crate::net::os::listener::wrap_accepted;
use crate::backend::AcceptDriver;
use crate::selector::Fd;
use crate::server::accept::{accept_error, accepted, retry_later};
use crate::server::Server;

/// The accept driver of one server on a proactor loop.
pub(crate) struct ProactorAccept {
    ring: Rc<Ring>,
    /// The accept in flight per listening fd.
    pending: Rc<RefCell<HashMap<Fd, u64>>>,
}

impl ProactorAccept {
    pub(crate) fn new(ring: Rc<Ring>) -> ProactorAccept {
        ProactorAccept { ring, pending: Rc::new(RefCell::new(HashMap::new())) }
    }
}

impl AcceptDriver for ProactorAccept {
    fn start(&self, server: &Server, fd: Fd) -> Result<()> {
        submit_accept(&self.ring, &self.pending, server, fd).map_err(|e| Error::os("accept", e))
    }

    fn stop(&self, _server: &Server, fd: Fd) {
        if self.pending.borrow_mut().remove(&fd).is_some() {
            // Synchronous: the cancel is submitted now, so the kernel drops
            // its reference to the socket and the close that follows
            // refuses new connections at once.
            self.ring.cancel_fd(fd);
        }
    }
}

fn submit_accept(ring: &Rc<Ring>, pending: &Rc<RefCell<HashMap<Fd, u64>>>, server: &Server, fd: Fd) -> io::Result<()> {
    if pending.borrow().contains_key(&fd) {
        return Ok(());
    }
    let (r, p, s) = (ring.clone(), pending.clone(), server.clone());
    let token = ring.submit(fd, OpBufs::with_addr(), "Server._accept_connection", |b| b.accept_entry(fd), move |done| {
        p.borrow_mut().remove(&fd);
        let listening = s.is_serving() && s.listening_fd_open(fd);
        match done.result() {
            Ok(conn_fd) => {
                // SAFETY: the kernel made this fd for us; we own it from now on.
                let conn = unsafe { socket2::Socket::from_raw_fd(conn_fd as i32) };
                if !listening {
                    return; // closed since: the connection closes silently
                }
                let addr = done.bufs.sockaddr();
                match addr.map(|a| wrap_accepted(conn, &a)) {
                    Some(Ok((stream, peer))) => accepted(&s, stream, peer),
                    Some(Err(e)) => {
                        accept_error(&s, fd, e);
                    }
                    None => {}
                }
                let _ = submit_accept(&r, &p, &s, fd);
            }
            Err(_) if !listening => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::ConnectionAborted) => {
                let _ = submit_accept(&r, &p, &s, fd);
            }
            Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => {}
            Err(e) => {
                // Out of fds: reported, retried after the delay. Other
                // errors: reported, and retried after the same delay, so a
                // persistent error cannot spin.
                if !accept_error(&s, fd, e) {
                    retry_later(&s, fd);
                }
            }
        }
    })?;
    pending.borrow_mut().insert(fd, token);
    Ok(())
}
