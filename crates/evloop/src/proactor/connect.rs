//! Connecting on a proactor: one `IORING_OP_CONNECT`, whose completion
//! completes the connecting task's future. Resolution, the attempt per
//! address and asyncio's error texts are the shared OS code
//! (`net/os/connect.rs`).

use std::os::fd::AsRawFd;
use std::rc::Rc;

use socket2::{SockAddr, Socket};

use super::{OpBufs, Ring};
use crate::error::Result;
use crate::EventLoop;

/// Connects `sock` to `addr`; the errno of a failure.
pub(super) async fn connect(lp: &EventLoop, ring: &Rc<Ring>, sock: &Socket, addr: &SockAddr) -> Result<std::result::Result<(), i32>> {
    let fd = sock.as_raw_fd();
    let fut = lp.create_future::<i32>();
    let done = fut.clone();
    let token = ring
        .submit(fd, OpBufs::connect_to(addr), "sock_connect_cb", |b| b.connect_entry(fd), move |d| {
            if !done.done() {
                let _ = done.set_result(d.res);
            }
        })
        .map_err(|e| crate::error::Error::os("connect", e))?;
    // A connecting task that is dropped cancels the operation.
    let mut guard = CancelOnDrop(Some((ring.clone(), token)));
    let res = fut.await?;
    guard.0 = None;
    Ok(if res >= 0 { Ok(()) } else { Err(-res) })
}

struct CancelOnDrop(Option<(Rc<Ring>, u64)>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some((ring, token)) = self.0.take() {
            ring.cancel(token);
        }
    }
}

