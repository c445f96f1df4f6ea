//! asyncio's low-level socket coroutines (`sock_accept`, `sock_connect`,
//! `sock_recv*`, `sock_send*`, `sock_sendfile`), the transport's
//! `sendfile` and `connect_accepted_socket`, for a loop over OS sockets.
//!
//! Each call first tries the system call and, on `EAGAIN`, waits for the
//! fd to be ready through the loop's own `add_reader`/`add_writer`
//! registrations, so one code serves every back end: the readiness
//! selectors (mio, poll, select) watch the fd, the proactor arms an
//! `IORING_OP_POLL_ADD` for it (its readiness support); `sock_connect`
//! goes through the back end's connect (an `IORING_OP_CONNECT` on the
//! proactor). Dropping a call's future (a cancelled task) removes its
//! registration at once, and a call only takes data once its syscall
//! succeeded, so a cancelled `sock_recv` loses nothing.
//!
//! The socket is a borrowed fd (`Fd`): the caller keeps it open while
//! the call runs, as with `add_reader`. It must be non-blocking
//! (`ValueError("the socket must be non-blocking")` otherwise) and not
//! an fd a transport owns (`RuntimeError`). A simulated loop has no OS
//! sockets: the calls fail with a `RuntimeError` naming the call.

mod accepted;
mod io;
mod sendfile;
mod wait;

pub use accepted::AcceptedSocketOptions;

use crate::error::{Error, Result};
use crate::selector::Fd;
use crate::EventLoop;

/// The checks every `sock_*` call makes before its first syscall.
fn check(lp: &EventLoop, call: &str, fd: Fd) -> Result<()> {
    lp.check_closed()?;
    if !lp.network().os_sockets() {
        return Err(Error::Runtime(format!("{call}() is not supported on a simulated loop")));
    }
    if fd < 0 {
        return Err(Error::Value(format!("{call}(): invalid file descriptor {fd}")));
    }
    // SAFETY: F_GETFL reads the flags of an fd number; a closed one gives EBADF.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(Error::os("fcntl", std::io::Error::last_os_error()));
    }
    if flags & libc::O_NONBLOCK == 0 {
        return Err(Error::Value("the socket must be non-blocking".into()));
    }
    lp.ensure_fd_no_transport(fd)
}

/// Whether an I/O error means "try again once ready".
fn would_block(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted)
}
