//! A server's listening socket: bound at creation, listening only once
//! serving starts (so `start_serving=False` refuses connections).

use std::os::fd::AsRawFd;
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::net::{FdCell, TransportSocket};
use crate::selector::Fd;

/// A bound stream socket owned by a server; closed when dropped.
pub(crate) struct Listener {
    pub(crate) sock: socket2::Socket,
    cell: Rc<FdCell>,
    /// A Unix socket's path and the file's identity when bound: on close
    /// the path is removed only if it is still that file (3.13's
    /// `cleanup_socket`; a replacement is left alone).
    cleanup: Option<(std::path::PathBuf, u64, u64)>,
}

impl Listener {
    pub(crate) fn new(sock: socket2::Socket) -> Listener {
        let cell = FdCell::new(&sock);
        Listener { sock, cell, cleanup: None }
    }

    /// Remembers the bound path, to remove it on close.
    pub(crate) fn record_path_for_cleanup(&mut self) {
        use std::os::unix::fs::MetadataExt;
        let Some(path) = self.sock.local_addr().ok().and_then(|a| a.as_pathname().map(|p| p.to_path_buf())) else {
            return;
        };
        if let Ok(meta) = std::fs::metadata(&path) {
            self.cleanup = Some((path, meta.dev(), meta.ino()));
        }
    }

    pub(crate) fn fd(&self) -> Fd {
        self.sock.as_raw_fd()
    }

    pub(crate) fn view(&self) -> TransportSocket {
        TransportSocket(self.cell.clone())
    }

    pub(crate) fn listen(&self, backlog: i32) -> Result<()> {
        self.sock.listen(backlog).map_err(|e| Error::os("listen", e))
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        use std::os::unix::fs::MetadataExt;
        // Views see -1 from now on (the socket closes right after).
        self.cell.mark_closed();
        if let Some((path, dev, ino)) = self.cleanup.take() {
            if std::fs::metadata(&path).is_ok_and(|m| m.dev() == dev && m.ino() == ino) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}
