//! Accepting on a proactor: one multishot `IORING_OP_ACCEPT`
//! (`IORING_ACCEPT_MULTISHOT`) per listening socket, submitted once and
//! submitted again only when the kernel ends it; each completion is one
//! connection for the shared server code. (asyncio's proactor keeps one
//! `AcceptEx` per socket and submits the next after each connection.)
//!
//! A multishot accept drains the kernel's accept queue at once; asyncio
//! takes at most `backlog` connections per iteration (S-26), so the rest
//! wait here, in order, for the next iterations.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::os::fd::FromRawFd;
use std::rc::Rc;

use io_uring::{opcode, types};

use super::ring::ACCEPT_LABEL;
use super::{Done, Ring};
use crate::backend::AcceptDriver;
use crate::error::{Error, Result};
use crate::net::os::listener::wrap_accepted;
use crate::selector::Fd;
use crate::server::accept::{accept_error, accepted, retry_later};
use crate::server::Server;

/// The accept driver of one server on a proactor loop.
pub(crate) struct ProactorAccept {
    ring: Rc<Ring>,
    /// The listening sockets being accepted on.
    listening: RefCell<HashMap<Fd, Rc<Listen>>>,
}

impl ProactorAccept {
    pub(crate) fn new(ring: Rc<Ring>) -> ProactorAccept {
        ProactorAccept { ring, listening: RefCell::new(HashMap::new()) }
    }
}

impl AcceptDriver for ProactorAccept {
    fn start(&self, server: &Server, fd: Fd) -> Result<()> {
        let listen = self.listening.borrow_mut().entry(fd).or_insert_with(|| Listen::new(&self.ring, server, fd)).clone();
        listen.submit().map_err(|e| Error::os("accept", e))
    }

    fn stop(&self, _server: &Server, fd: Fd) {
        let Some(listen) = self.listening.borrow_mut().remove(&fd) else { return };
        listen.waiting.borrow_mut().clear(); // closed silently, as after a close
        if listen.token.take().is_some() {
            // Synchronous: the cancel is submitted now, so the kernel drops
            // its reference to the socket and the close that follows
            // refuses new connections at once.
            self.ring.cancel_fd(fd);
        }
    }
}

/// One listening socket: its multishot accept and the connections it
/// brought beyond this iteration's `backlog`.
struct Listen {
    ring: Rc<Ring>,
    server: Server,
    fd: Fd,
    /// The multishot accept in flight.
    token: Cell<Option<u64>>,
    /// `(select number, connections handed over in it)`.
    batch: Cell<(u64, usize)>,
    /// Accepted, waiting for an iteration with room.
    waiting: RefCell<VecDeque<socket2::Socket>>,
    draining: Cell<bool>,
    /// The soft `RLIMIT_NOFILE` when the accept was submitted: the kernel
    /// checks new fds against the limit of that moment, so a lowered limit
    /// needs a new submission (EMFILE must come as on the other loops).
    nofile: Cell<u64>,
    /// The accept is being ended to be submitted again.
    resubmit: Cell<bool>,
}

impl Listen {
    fn new(ring: &Rc<Ring>, server: &Server, fd: Fd) -> Rc<Listen> {
        Rc::new(Listen {
            ring: ring.clone(),
            server: server.clone(),
            fd,
            token: Cell::new(None),
            batch: Cell::new((0, 0)),
            waiting: RefCell::new(VecDeque::new()),
            draining: Cell::new(false),
            nofile: Cell::new(u64::MAX),
            resubmit: Cell::new(false),
        })
    }

    fn listening(&self) -> bool {
        self.server.is_serving() && self.server.listening_fd_open(self.fd)
    }

    fn submit(self: &Rc<Self>) -> io::Result<()> {
        if self.token.get().is_some() {
            return Ok(());
        }
        self.nofile.set(soft_nofile());
        self.resubmit.set(false);
        let entry = opcode::AcceptMulti::new(types::Fd(self.fd)).flags(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC).build();
        let me = self.clone();
        let token = self.ring.submit_multishot(self.fd, ACCEPT_LABEL, entry, Rc::new(move |done: Done| me.completed(done)))?;
        self.token.set(Some(token));
        Ok(())
    }

    fn completed(self: &Rc<Self>, done: Done) {
        let ended = !done.more();
        if ended {
            self.token.set(None);
        }
        let listening = self.listening();
        match done.result() {
            Ok(conn_fd) => {
                // SAFETY: the kernel made this fd for us; we own it from now on.
                let conn = unsafe { socket2::Socket::from_raw_fd(conn_fd as i32) };
                if !listening {
                    return; // closed since: the connection closes silently
                }
                self.check_limit();
                if self.waiting.borrow().is_empty() && self.room() {
                    self.hand_over(conn);
                } else {
                    self.waiting.borrow_mut().push_back(conn);
                    self.drain_later();
                }
                if ended {
                    let _ = self.submit();
                }
            }
            Err(_) if !listening => {}
            Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => {
                if ended && self.resubmit.replace(false) {
                    let _ = self.submit();
                }
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::ConnectionAborted) => {
                if ended {
                    let _ = self.submit();
                }
            }
            Err(e) => {
                // Out of fds: reported, retried after the delay. Other
                // errors: reported, and retried after the same delay, so a
                // persistent error cannot spin. The kernel ends a multishot
                // on an error; should it not, it is cancelled so that the
                // retry starts from nothing in flight.
                if let Some(token) = self.token.take() {
                    self.ring.cancel(token);
                }
                if !accept_error(&self.server, self.fd, e) {
                    retry_later(&self.server, self.fd);
                }
            }
        }
    }

    /// A limit lowered since the submission: end the accept (keeping what
    /// it completes until then) and submit it again from its last
    /// completion.
    fn check_limit(&self) {
        if let Some(token) = self.token.get() {
            if !self.resubmit.get() && soft_nofile() < self.nofile.get() {
                self.resubmit.set(true);
                self.ring.request_cancel(token);
            }
        }
    }

    /// Whether this iteration may take one more connection (`backlog`).
    fn room(&self) -> bool {
        let now = self.ring.selects();
        let (at, n) = self.batch.get();
        let n = if at == now { n } else { 0 };
        self.batch.set((now, n));
        n < self.server.backlog().max(1) as usize
    }

    fn hand_over(&self, conn: socket2::Socket) {
        let (at, n) = self.batch.get();
        self.batch.set((at, n + 1));
        // A multishot accept reports no address: one getpeername.
        match conn.peer_addr().and_then(|a| wrap_accepted(conn, &a)) {
            Ok((stream, peer)) => accepted(&self.server, stream, peer),
            // Reset by the peer before we looked: as an aborted accept.
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => {}
            Err(e) => {
                accept_error(&self.server, self.fd, e);
            }
        }
    }

    /// Hands the waiting connections over in the next iterations.
    fn drain_later(self: &Rc<Self>) {
        if self.draining.replace(true) {
            return;
        }
        let me = self.clone();
        let _ = self.server.get_loop().call_soon_labelled(std::borrow::Cow::Borrowed("Server._accept_connection"), move || {
            me.draining.set(false);
            if !me.listening() {
                me.waiting.borrow_mut().clear();
                return;
            }
            while me.room() {
                let Some(conn) = me.waiting.borrow_mut().pop_front() else { break };
                me.hand_over(conn);
            }
            if !me.waiting.borrow().is_empty() {
                me.drain_later();
            }
        });
    }
}

/// The soft `RLIMIT_NOFILE` now.
fn soft_nofile() -> u64 {
    // SAFETY: plain data, filled by the call.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to our local.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return u64::MAX;
    }
    lim.rlim_cur as u64
}
