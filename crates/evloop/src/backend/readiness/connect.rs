//! Connecting on readiness (asyncio's `sock_connect`): a non-blocking
//! `connect`, then a writer until the socket is writable, then `SO_ERROR`.

use std::borrow::Cow;
use std::os::fd::{AsRawFd, RawFd};

use socket2::{SockAddr, Socket};

use crate::error::Result;
use crate::future::Future;
use crate::selector::Interest;
use crate::EventLoop;

/// Connects `sock` to `addr`; the errno of a failure.
pub(super) async fn connect(lp: &EventLoop, sock: &Socket, addr: &SockAddr) -> Result<std::result::Result<(), i32>> {
    match sock.connect(addr) {
        Ok(()) => return Ok(Ok(())),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Ok(Err(e.raw_os_error().unwrap_or(0))),
    }
    let ready = writable(lp, sock.as_raw_fd())?;
    let guard = RemoveWriterOnDrop(lp.clone(), sock.as_raw_fd());
    ready.await?;
    drop(guard);
    Ok(match sock.take_error() {
        Ok(None) => Ok(()),
        Ok(Some(e)) | Err(e) => Err(e.raw_os_error().unwrap_or(0)),
    })
}

/// Completes when `fd` is writable (a non-blocking connect finished).
fn writable(lp: &EventLoop, fd: RawFd) -> Result<Future<()>> {
    let fut = lp.create_future::<()>();
    let done = fut.clone();
    let lp2 = lp.clone();
    lp.add_io_unchecked(
        fd,
        Interest::WRITE,
        Cow::Borrowed("sock_connect_cb"),
        Box::new(move || {
            lp2.remove_io(fd, Interest::WRITE);
            if !done.done() {
                let _ = done.set_result(());
            }
        }),
    )?;
    Ok(fut)
}

/// Unregisters the connect wait if the connecting task is dropped.
struct RemoveWriterOnDrop(EventLoop, RawFd);

impl Drop for RemoveWriterOnDrop {
    fn drop(&mut self) {
        self.0.remove_io(self.1, Interest::WRITE);
    }
}
