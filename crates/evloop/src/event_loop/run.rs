//! Running, stopping and closing (reference §2.4 end, §2.6).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::{EventLoop, Inner};
use crate::error::{Error, Result};
use crate::future::Future;

thread_local! {
    /// The loop running on this thread (`asyncio.get_running_loop()`).
    static RUNNING: RefCell<Option<Weak<Inner>>> = const { RefCell::new(None) };
}

/// The loop running on this thread.
///
/// # Errors
/// `RuntimeError('no running event loop')`.
pub fn get_running_loop() -> Result<EventLoop> {
    RUNNING
        .with(|r| r.borrow().as_ref().and_then(Weak::upgrade))
        .map(|inner| EventLoop { inner })
        .ok_or_else(|| Error::Runtime("no running event loop".into()))
}

impl EventLoop {
    /// Runs iterations until [`stop`](Self::stop) is called. A stop
    /// requested before the call makes it run exactly one iteration.
    ///
    /// # Errors
    /// The checks of [`run_forever_setup`](Self::run_forever_setup); a
    /// fatal error raised by a callback; a selector failure.
    pub fn run_forever(&self) -> Result<()> {
        self.run_forever_setup()?;
        let result = loop {
            if let Err(e) = self.run_once(false) {
                break Err(e);
            }
            if self.inner.stopping.get() {
                break Ok(());
            }
        };
        self.run_forever_cleanup();
        result
    }

    /// Runs exactly one iteration, waiting for I/O as long as the loop's
    /// state allows (asyncio's `_run_once` between setup and cleanup), for
    /// embedding the loop in another and for tests that step it.
    ///
    /// # Errors
    /// As [`run_forever`](Self::run_forever).
    pub fn run_iteration(&self) -> Result<()> {
        self.run_forever_setup()?;
        let result = self.run_once(false);
        self.run_forever_cleanup();
        result
    }

    /// The first half of `run_forever`, for drivers that run iterations
    /// themselves (Node's libuv loop): checks and marks the loop running.
    ///
    /// # Errors
    /// `RuntimeError` with asyncio's texts: `Event loop is closed`,
    /// `This event loop is already running`, `Cannot run the event loop
    /// while another loop is running`.
    pub fn run_forever_setup(&self) -> Result<()> {
        self.check_closed()?;
        if self.inner.running.get() {
            return Err(Error::Runtime("This event loop is already running".into()));
        }
        if RUNNING.with(|r| r.borrow().as_ref().is_some_and(|w| w.strong_count() > 0)) {
            return Err(Error::Runtime("Cannot run the event loop while another loop is running".into()));
        }
        self.inner.running.set(true);
        RUNNING.with(|r| *r.borrow_mut() = Some(Rc::downgrade(&self.inner)));
        Ok(())
    }

    /// One iteration that does not wait for I/O, for external drivers.
    /// Call between [`run_forever_setup`](Self::run_forever_setup) and
    /// [`run_forever_cleanup`](Self::run_forever_cleanup); after it, the
    /// driver ends the run if [`is_stopping`](Self::is_stopping).
    ///
    /// # Errors
    /// A fatal error raised by a callback; a selector failure.
    pub fn run_once_nonblocking(&self) -> Result<()> {
        if !self.inner.running.get() {
            return Err(Error::Runtime("run_once_nonblocking() outside run_forever_setup()".into()));
        }
        self.run_once(true)
    }

    /// The second half of `run_forever`: clears the stop request and the
    /// running marks, so the loop can run again.
    pub fn run_forever_cleanup(&self) {
        self.inner.stopping.set(false);
        self.inner.running.set(false);
        RUNNING.with(|r| {
            let mut r = r.borrow_mut();
            if r.as_ref().is_some_and(|w| w.ptr_eq(&Rc::downgrade(&self.inner))) {
                *r = None;
            }
        });
    }

    /// Whether `stop()` was called during this run.
    pub fn is_stopping(&self) -> bool {
        self.inner.stopping.get()
    }

    /// Seconds until the next iteration has something to do, for external
    /// drivers: `Some(0.0)` now, `None` when only I/O can wake the loop.
    pub fn next_timeout(&self) -> Option<f64> {
        if self.inner.closed.get() {
            return None;
        }
        self.compute_timeout()
    }

    /// When the loop next has something to do, on its own clock, for
    /// drivers that jump time from event to event (the simulation): `now`
    /// when an iteration would not wait, else the earliest timer's deadline
    /// (unclamped, a cancelled timer's included), `None` when only I/O can
    /// wake it or the loop is closed.
    pub(crate) fn next_wake(&self) -> Option<f64> {
        if self.inner.closed.get() {
            return None;
        }
        match self.compute_timeout()? {
            t if t <= 0.0 => Some(self.time()),
            _ => self.inner.timers.borrow().next_when(),
        }
    }

    /// An fd that is readable whenever the selector has events, so another
    /// loop can watch this one (`None` for poll/select and virtual time).
    pub fn selector_fd(&self) -> Option<i32> {
        self.inner.selector.borrow().as_ref().and_then(|s| s.pollable_fd())
    }

    /// Asks the loop to stop after the current iteration. Not an error
    /// when it is not running: the next run then does one iteration.
    pub fn stop(&self) {
        self.inner.stopping.set(true);
    }

    /// Whether the loop is running (including while it waits for events).
    pub fn is_running(&self) -> bool {
        self.inner.running.get()
    }

    /// Whether `close()` was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.get()
    }

    /// Closes the loop: queued callbacks and timers are dropped without
    /// running, the selector is closed. Closing twice is fine.
    ///
    /// # Errors
    /// `RuntimeError('Cannot close a running event loop')`.
    pub fn close(&self) -> Result<()> {
        let inner = &self.inner;
        if inner.running.get() {
            return Err(Error::Runtime("Cannot close a running event loop".into()));
        }
        if inner.closed.replace(true) {
            return Ok(());
        }
        // While the selector and the back end are still there to let go of them.
        self.release_sockets_at_close();
        inner.shared.close();
        self.close_signals();
        self.shutdown_executor_nowait();
        // Drop everything outside the borrows: destructors may call back in.
        let ready = std::mem::take(&mut *inner.ready.borrow_mut());
        let timers = inner.timers.borrow_mut().drain();
        let io = std::mem::take(&mut *inner.io.borrow_mut());
        let inbox = inner.shared.take_inbox();
        let tasks = std::mem::take(&mut *inner.tasks.borrow_mut());
        let selector = inner.selector.borrow_mut().take();
        drop((ready, timers, io, inbox, tasks, selector));
        Ok(())
    }

    /// Runs the loop until `fut` is done and returns its result.
    ///
    /// # Errors
    /// The checks of `run_forever`; `ValueError` for a future of another
    /// loop; `RuntimeError('Event loop stopped before Future completed.')`;
    /// the future's own error or cancellation.
    pub fn run_until_complete<T: Clone + 'static>(&self, fut: &Future<T>) -> Result<T> {
        self.check_closed()?;
        if self.inner.running.get() {
            return Err(Error::Runtime("This event loop is already running".into()));
        }
        if fut.loop_id() != self.id() {
            return Err(Error::Value(
                "The future belongs to a different loop than the one specified as the loop argument".into(),
            ));
        }
        let stopper = self.clone();
        let callback = fut.add_done_callback(move |_| stopper.stop());
        let result = self.run_forever();
        fut.remove_done_callback(callback);
        result?;
        if !fut.done() {
            return Err(Error::Runtime("Event loop stopped before Future completed.".into()));
        }
        fut.result()
    }
}
