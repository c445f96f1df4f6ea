//! Scheduling from other threads: `call_soon_threadsafe` and task wake-ups.
//!
//! The loop itself is single-threaded (`!Send`). Other threads reach it
//! through a [`LoopRemote`], which queues work in a mutex-protected inbox
//! and wakes the selector, as asyncio appends to `_ready` and writes a byte
//! to its self-pipe. The loop moves the inbox into its ready queue after
//! each `select`, so work queued during a blocking wait runs in that same
//! iteration.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use crate::error::{Error, Result};
use crate::selector::Wake;
use crate::EventLoop;

/// A callback sent from another thread; it receives the loop.
pub(crate) type RemoteCallback = Box<dyn FnOnce(&EventLoop) + Send>;

/// Work queued from another thread.
pub(crate) enum RemoteItem {
    Call(ThreadsafeHandle),
    /// A task's waker fired on another thread: step the task.
    WakeTask(u64),
}

/// State shared between the loop and its remotes.
pub(crate) struct Shared {
    pub(crate) inbox: Mutex<Vec<RemoteItem>>,
    /// `None` once the loop is closed, so its fd closes with the loop even
    /// while a remote or a transport still holds this struct.
    pub(crate) waker: Mutex<Option<Arc<dyn Wake>>>,
    pub(crate) closed: AtomicBool,
    /// The thread that owns the loop; wakers compare against it.
    pub(crate) owner: ThreadId,
}

impl Shared {
    pub(crate) fn push(&self, item: RemoteItem) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::loop_closed());
        }
        self.inbox.lock().unwrap_or_else(|p| p.into_inner()).push(item);
        self.wake()
    }

    /// Wakes the selector (a no-op once the loop is closed).
    pub(crate) fn wake(&self) -> Result<()> {
        // The lock is held across the write, so `close()` waits for a wake
        // in progress and the waker's fd is closed when `close()` returns,
        // not when another thread lets go of a copy.
        let waker = self.waker.lock().unwrap_or_else(|p| p.into_inner());
        match waker.as_ref() {
            Some(w) => w.wake().map_err(|e| Error::os("write", e)),
            None => Ok(()),
        }
    }

    /// Marks the loop closed and drops the waker (closing its fd).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.waker.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    pub(crate) fn take_inbox(&self) -> Vec<RemoteItem> {
        std::mem::take(&mut *self.inbox.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub(crate) fn inbox_is_empty(&self) -> bool {
        self.inbox.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
    }
}

/// A `Send + Sync` way to schedule callbacks on a loop from any thread.
#[derive(Clone)]
pub struct LoopRemote(pub(crate) Arc<Shared>);

impl LoopRemote {
    /// Schedules `f(loop)` to run on the loop's thread in a coming
    /// iteration, waking the loop if it is waiting for I/O.
    ///
    /// # Errors
    /// `RuntimeError('Event loop is closed')` once the loop is closed.
    pub fn call_soon_threadsafe(&self, f: impl FnOnce(&EventLoop) + Send + 'static) -> Result<ThreadsafeHandle> {
        let handle = ThreadsafeHandle::new(Box::new(f));
        self.0.push(RemoteItem::Call(handle.clone()))?;
        Ok(handle)
    }
}

struct ThreadsafeInner {
    cancelled: AtomicBool,
    callback: Mutex<Option<RemoteCallback>>,
}

/// The handle `call_soon_threadsafe` returns to other threads. As in
/// asyncio 3.14, cancelling and running take a lock, so a cancel from
/// another thread cannot race with the run.
#[derive(Clone)]
pub struct ThreadsafeHandle(Arc<ThreadsafeInner>);

impl ThreadsafeHandle {
    fn new(callback: RemoteCallback) -> ThreadsafeHandle {
        ThreadsafeHandle(Arc::new(ThreadsafeInner {
            cancelled: AtomicBool::new(false),
            callback: Mutex::new(Some(callback)),
        }))
    }

    /// Cancels the callback if it has not run yet.
    pub fn cancel(&self) {
        let mut slot = self.0.callback.lock().unwrap_or_else(|p| p.into_inner());
        self.0.cancelled.store(true, Ordering::Release);
        drop(slot.take());
    }

    /// Whether `cancel()` was called.
    pub fn cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::Acquire)
    }

    /// Takes the callback to run it; `None` when cancelled or already run.
    pub(crate) fn take(&self) -> Option<RemoteCallback> {
        let mut slot = self.0.callback.lock().unwrap_or_else(|p| p.into_inner());
        if self.cancelled() {
            None
        } else {
            slot.take()
        }
    }
}
