//! `add_reader` / `add_writer` / `remove_reader` / `remove_writer`: one
//! selector registration per fd, whose interest is the union of the
//! directions with a handle (asyncio's `_add_reader` and friends).

use std::borrow::Cow;
use std::rc::Weak;

use super::{EventLoop, IoHandles};
use crate::error::{Error, Result};
use crate::handle::Handle;
use crate::selector::{Fd, Interest};

impl EventLoop {
    /// Calls `f` whenever `fd` is readable, until `remove_reader(fd)`.
    /// Replaces (and cancels) an earlier reader of the same fd.
    ///
    /// # Errors
    /// `RuntimeError('Event loop is closed')`; the selector's error (for
    /// example `select(2)` rejects fds of `FD_SETSIZE` and above).
    pub fn add_reader(&self, fd: Fd, f: impl FnMut() + 'static) -> Result<Handle> {
        self.add_io(fd, Interest::READ, Cow::Borrowed(std::any::type_name_of_val(&f)), Box::new(f))
    }

    /// Calls `f` whenever `fd` is writable, until `remove_writer(fd)`.
    ///
    /// # Errors
    /// As [`add_reader`](Self::add_reader).
    pub fn add_writer(&self, fd: Fd, f: impl FnMut() + 'static) -> Result<Handle> {
        self.add_io(fd, Interest::WRITE, Cow::Borrowed(std::any::type_name_of_val(&f)), Box::new(f))
    }

    /// [`add_reader`](Self::add_reader) / [`add_writer`](Self::add_writer)
    /// with a label, for the bindings.
    ///
    /// # Errors
    /// As `add_reader`; `RuntimeError('File descriptor <fd> is used by
    /// transport <transport>')` for an fd a transport owns.
    pub fn add_io(&self, fd: Fd, direction: Interest, label: Cow<'static, str>, f: Box<dyn FnMut()>) -> Result<Handle> {
        self.check_closed()?;
        self.ensure_fd_no_transport(fd)?;
        self.add_io_unchecked(fd, direction, label, f)
    }

    /// `add_io` for the loop's own transports and servers.
    pub(crate) fn add_io_unchecked(
        &self,
        fd: Fd,
        direction: Interest,
        label: Cow<'static, str>,
        f: Box<dyn FnMut()>,
    ) -> Result<Handle> {
        self.check_closed()?;
        let handle = Handle::repeat(f, label);
        let old = {
            let mut io = self.inner.io.borrow_mut();
            let current = io.get(&fd).map(|h| h.interest());
            let mut selector = self.inner.selector.borrow_mut();
            let selector = selector.as_mut().ok_or_else(Error::loop_closed)?;
            let result = match current {
                None => selector.register(fd, direction),
                Some(mask) => selector.modify(fd, mask.union(direction)),
            };
            result.map_err(|e| selector_error(e, fd))?;
            let entry = io.entry(fd).or_default();
            let slot = if direction == Interest::READ { &mut entry.reader } else { &mut entry.writer };
            slot.replace(handle.clone())
        };
        if let Some(old) = old {
            old.cancel();
        }
        Ok(handle)
    }

    /// Stops watching `fd` for reading. Returns whether a reader was
    /// registered (`false` on a closed loop).
    ///
    /// # Errors
    /// `RuntimeError` for an fd a transport owns.
    pub fn remove_reader(&self, fd: Fd) -> Result<bool> {
        if self.is_closed() {
            return Ok(false);
        }
        self.ensure_fd_no_transport(fd)?;
        Ok(self.remove_io(fd, Interest::READ))
    }

    /// Stops watching `fd` for writing. Returns whether a writer was registered.
    ///
    /// # Errors
    /// `RuntimeError` for an fd a transport owns.
    pub fn remove_writer(&self, fd: Fd) -> Result<bool> {
        if self.is_closed() {
            return Ok(false);
        }
        self.ensure_fd_no_transport(fd)?;
        Ok(self.remove_io(fd, Interest::WRITE))
    }

    /// Records that a live transport owns `fd` (asyncio's `_transports`).
    pub(crate) fn claim_fd(&self, fd: Fd, transport: FdOwner) {
        self.inner.transports.borrow_mut().insert(fd, transport);
    }

    /// Records a server made on this loop (forgetting those already gone).
    pub(crate) fn claim_server(&self, server: Weak<crate::server::ServerInner>) {
        let mut servers = self.inner.servers.borrow_mut();
        servers.retain(|s| s.strong_count() > 0);
        servers.push(server);
    }

    /// Records a child process started on this loop (forgetting those gone).
    #[cfg(target_os = "linux")]
    pub(crate) fn claim_child(&self, child: Weak<crate::subprocess::TransportInner>) {
        let mut children = self.inner.children.borrow_mut();
        children.retain(|c| c.strong_count() > 0);
        children.push(child);
    }

    /// At `close()`: releases the sockets of the servers and transports
    /// still open. asyncio leaves them to the garbage collector, which
    /// closes them with a `ResourceWarning`; here a binding's protocol and
    /// transport hold each other through native code, where its collector
    /// cannot see the cycle, so they would stay open for good. Their
    /// protocols get no `connection_lost`: the loop can run nothing more.
    /// Children still running are killed and reaped, as asyncio's
    /// subprocess transport does when it is closed or collected
    /// (`SubprocessTransport::release_at_loop_close`).
    pub(crate) fn release_sockets_at_close(&self) {
        let servers = std::mem::take(&mut *self.inner.servers.borrow_mut());
        for s in servers.iter().filter_map(Weak::upgrade) {
            crate::server::Server(s).release_at_loop_close();
        }
        self.abandon_transports();
        #[cfg(target_os = "linux")]
        {
            let children = std::mem::take(&mut *self.inner.children.borrow_mut());
            for c in children.iter().filter_map(Weak::upgrade) {
                crate::subprocess::SubprocessTransport(c).release_at_loop_close();
            }
        }
    }

    /// Abandons every transport of this loop: socket closed, protocol
    /// forgotten, no `connection_lost` (the loop runs nothing more). At
    /// `close()`, and for drivers that end a loop for good (a simulated
    /// host's crash, the simulation's close).
    pub(crate) fn abandon_transports(&self) {
        let owners: Vec<FdOwner> = self.inner.transports.borrow().values().cloned().collect();
        for owner in owners {
            match owner {
                FdOwner::Stream(w) => {
                    if let Some(t) = w.upgrade() {
                        crate::transport::Transport(t).release_at_loop_close();
                    }
                }
                FdOwner::Datagram(w) => {
                    if let Some(t) = w.upgrade() {
                        crate::datagram::DatagramTransport(t).release_at_loop_close();
                    }
                }
            }
        }
    }

    /// The transport of `fd` closed its socket.
    pub(crate) fn release_fd(&self, fd: Fd) {
        self.inner.transports.borrow_mut().remove(&fd);
    }

    pub(crate) fn ensure_fd_no_transport(&self, fd: Fd) -> Result<()> {
        let owner = self.inner.transports.borrow().get(&fd).and_then(FdOwner::open_transport);
        match owner {
            Some(repr) => Err(Error::Runtime(format!("File descriptor {fd} is used by transport {repr}"))),
            None => Ok(()),
        }
    }

    pub(crate) fn remove_io(&self, fd: Fd, direction: Interest) -> bool {
        if self.inner.closed.get() {
            return false;
        }
        let removed = {
            let mut io = self.inner.io.borrow_mut();
            let Some(entry) = io.get_mut(&fd) else { return false };
            let removed =
                if direction == Interest::READ { entry.reader.take() } else { entry.writer.take() };
            let mask = entry.interest();
            let mut selector = self.inner.selector.borrow_mut();
            if let Some(selector) = selector.as_mut() {
                // The fd may have been closed already; asyncio ignores that too.
                let _ = if mask.is_empty() { selector.unregister(fd) } else { selector.modify(fd, mask) };
            }
            if mask.is_empty() {
                io.remove(&fd);
            }
            removed
        };
        match removed {
            Some(handle) => {
                handle.cancel();
                true
            }
            None => false,
        }
    }

    /// What `select` waits on: every registered fd with its directions,
    /// plus the selector's wake-up fd (readable). For drivers that wait on
    /// the loop's behalf when [`selector_fd`](Self::selector_fd) is `None`
    /// (poll(2), select(2)); empty once closed.
    pub fn wait_fds(&self) -> Vec<(Fd, Interest)> {
        let wake = self.inner.selector.borrow().as_ref().and_then(|s| s.wake_fd());
        let io = self.inner.io.borrow();
        let mut fds: Vec<(Fd, Interest)> = io.iter().map(|(&fd, h)| (fd, h.interest())).collect();
        fds.extend(wake.map(|fd| (fd, Interest::READ)));
        fds
    }

    /// See [`Selector::note_drained`](crate::selector::Selector::note_drained).
    pub(crate) fn note_drained(&self, fd: Fd, direction: Interest) {
        if let Some(selector) = self.inner.selector.borrow_mut().as_mut() {
            selector.note_drained(fd, direction);
        }
    }

    pub(crate) fn io_handle(&self, fd: Fd, direction: Interest) -> Option<Handle> {
        let io = self.inner.io.borrow();
        let entry = io.get(&fd)?;
        if direction == Interest::READ { entry.reader.clone() } else { entry.writer.clone() }
    }
}

impl IoHandles {
    fn interest(&self) -> Interest {
        let mut mask = Interest::NONE;
        if self.reader.is_some() {
            mask = mask.union(Interest::READ);
        }
        if self.writer.is_some() {
            mask = mask.union(Interest::WRITE);
        }
        mask
    }
}

fn selector_error(e: std::io::Error, fd: Fd) -> Error {
    if e.kind() == std::io::ErrorKind::InvalidInput && e.raw_os_error().is_none() {
        Error::Value(e.to_string())
    } else if e.raw_os_error().is_none() {
        Error::Value(format!("Invalid file descriptor: {fd} ({e})"))
    } else {
        Error::os("register", e)
    }
}

/// The live transport that owns an fd.
#[derive(Clone)]
pub(crate) enum FdOwner {
    Stream(std::rc::Weak<crate::transport::TransportInner>),
    Datagram(std::rc::Weak<crate::datagram::DatagramInner>),
}

impl FdOwner {
    /// The repr of the owner, while it is open (not closing).
    fn open_transport(&self) -> Option<String> {
        match self {
            FdOwner::Stream(w) => {
                let t = crate::transport::Transport(w.upgrade()?);
                (!t.is_closing()).then(|| format!("{t:?}"))
            }
            FdOwner::Datagram(w) => {
                let t = crate::datagram::DatagramTransport(w.upgrade()?);
                (!t.is_closing()).then(|| format!("{t:?}"))
            }
        }
    }
}
