//! Waiting for a socket to become readable or writable: one registration
//! with the loop (its selector, or the proactor's poll support) that
//! completes a future and is removed when it fires or when the wait is
//! dropped (asyncio's `_sock_read_done`/`_sock_write_done`).

use std::borrow::Cow;
use std::cell::Cell;
use std::rc::Rc;

use crate::error::Result;
use crate::selector::{Fd, Interest};
use crate::EventLoop;

/// Completes once `fd` is ready for `direction`.
pub(super) async fn ready(lp: &EventLoop, fd: Fd, direction: Interest, label: &'static str) -> Result<()> {
    let fut = lp.create_future::<()>();
    let done = fut.clone();
    let fired = Rc::new(Cell::new(false));
    let fired2 = fired.clone();
    let lp2 = lp.clone();
    lp.add_io_unchecked(
        fd,
        direction,
        Cow::Borrowed(label),
        Box::new(move || {
            if fired2.replace(true) {
                return;
            }
            lp2.remove_io(fd, direction);
            if !done.done() {
                let _ = done.set_result(());
            }
        }),
    )?;
    let _guard = RemoveOnDrop { lp: lp.clone(), fd, direction, fired };
    fut.await
}

/// Removes the registration of a wait that is dropped before it fired.
struct RemoveOnDrop {
    lp: EventLoop,
    fd: Fd,
    direction: Interest,
    fired: Rc<Cell<bool>>,
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if !self.fired.replace(true) {
            self.lp.remove_io(self.fd, self.direction);
        }
    }
}
