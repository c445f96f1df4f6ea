//! A server's OS listening socket: bound at creation, listening only once
//! serving starts (so `start_serving=False` refuses connections).

use std::io;
use std::os::fd::AsRawFd;
use std::rc::Rc;

use super::from_sockaddr;
use super::stream::OsStream;
use super::view::FdCell;
use crate::net::socket::{ListenSocket, StreamSocket};
use crate::net::{Address, TransportSocket};
use crate::selector::Fd;

/// A bound stream socket owned by a server; closed when dropped.
pub(crate) struct OsListener {
    sock: socket2::Socket,
    cell: Rc<FdCell>,
    /// A Unix socket's path and the file's identity when bound: on close
    /// the path is removed only if it is still that file (3.13's
    /// `cleanup_socket`; a replacement is left alone).
    cleanup: Option<(std::path::PathBuf, u64, u64)>,
}

impl OsListener {
    pub(crate) fn new(sock: socket2::Socket) -> io::Result<OsListener> {
        sock.set_nonblocking(true)?;
        let cell = FdCell::new(&sock);
        Ok(OsListener { sock, cell, cleanup: None })
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
}

impl ListenSocket for OsListener {
    fn fd(&self) -> Fd {
        self.sock.as_raw_fd()
    }

    fn view(&self) -> TransportSocket {
        self.cell.view()
    }

    fn listen(&self, backlog: i32) -> io::Result<()> {
        self.sock.listen(backlog)
    }

    fn accept(&self) -> io::Result<(Box<dyn StreamSocket>, Option<Address>)> {
        let (conn, addr) = self.sock.accept()?;
        wrap_accepted(conn, &addr)
    }
}

impl Drop for OsListener {
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

/// An accepted connection as a transport's socket (also for back ends that
/// accept by operation): TCP_NODELAY on TCP, as asyncio sets it.
pub(crate) fn wrap_accepted(
    conn: socket2::Socket,
    addr: &socket2::SockAddr,
) -> io::Result<(Box<dyn StreamSocket>, Option<Address>)> {
    let peer = from_sockaddr(addr);
    if matches!(peer, Some(Address::Inet(_))) {
        let _ = conn.set_tcp_nodelay(true);
    }
    Ok((Box::new(OsStream::new(conn)?), peer))
}
