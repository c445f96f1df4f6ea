//! The transport's side of `loop.sendfile()` (asyncio's `_sendfile_compatible`,
//! `_make_empty_waiter` and the fallback's drain): which path a transport
//! takes, the wait for its write buffer to empty, and the refusal of
//! `write()` while the native path has the socket. The copying itself is
//! the loop's (`sock/sendfile.rs`), which is native-only.
#![cfg_attr(target_arch = "wasm32", allow(dead_code))]

use std::cell::{Cell, RefCell};

use super::pipe::Kind;
use super::Transport;
use crate::error::{Error, Result};
use crate::future::Future;

/// How `sendfile()` sends on a transport (asyncio's `_SendfileMode`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SendfileMode {
    /// Pipes: `RuntimeError`.
    Unsupported,
    /// `sendfile(2)` on the OS socket, else the fallback.
    TryNative,
    /// Reads of the file written through the transport (TLS, simulations).
    Fallback,
}

/// Per transport: a native sendfile in progress, and who waits for the
/// write buffer to empty.
#[derive(Default)]
pub(crate) struct SendfileState {
    active: Cell<bool>,
    waiters: RefCell<Vec<Future<()>>>,
}

impl SendfileState {
    /// The write buffer (and what the kernel still has in flight) is empty.
    pub(super) fn buffer_empty(&self) {
        for w in self.waiters.borrow_mut().drain(..) {
            if !w.done() {
                let _ = w.set_result(());
            }
        }
    }

    /// The connection was aborted or failed: the waits end with an error.
    pub(super) fn closed(&self) {
        for w in self.waiters.borrow_mut().drain(..) {
            if !w.done() {
                let _ = w.set_exception(closed_error());
            }
        }
    }
}

fn closed_error() -> Error {
    // ECONNRESET (104 on Linux): a ConnectionResetError, a ConnectionError as asyncio raises.
    Error::os_with_message("sendfile", 104, "Connection is closed by peer")
}

impl Transport {
    pub(crate) fn sendfile_mode(&self) -> SendfileMode {
        if self.0.kind != Kind::Socket {
            return SendfileMode::Unsupported;
        }
        match self.0.sock.borrow().as_ref() {
            Some(s) if s.owns_fd() && s.os_fd() => SendfileMode::TryNative,
            _ => SendfileMode::Fallback,
        }
    }

    /// `write()`'s refusal while the native path sends.
    pub(super) fn check_sendfile(&self) -> Result<()> {
        if self.0.sendfile.active.get() {
            return Err(Error::Runtime("unable to write; sendfile is in progress".into()));
        }
        Ok(())
    }

    /// Completes once nothing is buffered or in flight; fails if the
    /// connection is lost first.
    pub(crate) fn wait_buffer_empty(&self) -> Future<()> {
        let fut = self.0.lp.create_future::<()>();
        if self.0.conn_lost.get() > 0 || self.0.sock.borrow().is_none() {
            let _ = fut.set_exception(closed_error());
        } else if self.get_write_buffer_size() == 0 {
            let _ = fut.set_result(());
        } else {
            self.0.sendfile.waiters.borrow_mut().push(fut.clone());
        }
        fut
    }

    /// The native path takes the socket: `write()` refuses until `end_sendfile`.
    ///
    /// # Errors
    /// `RuntimeError` when a sendfile is already in progress.
    pub(crate) fn begin_sendfile(&self) -> Result<()> {
        if self.0.sendfile.active.replace(true) {
            return Err(Error::Runtime("Empty waiter is already set".into()));
        }
        Ok(())
    }

    pub(crate) fn end_sendfile(&self) {
        self.0.sendfile.active.set(false);
    }

    /// The socket's fd while the transport still has it.
    pub(crate) fn open_fd(&self) -> Option<crate::selector::Fd> {
        (self.0.conn_lost.get() == 0 && self.0.sock.borrow().is_some()).then_some(self.0.fd)
    }
}
