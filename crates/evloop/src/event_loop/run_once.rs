//! One iteration of the loop, phase by phase as asyncio's `_run_once`
//! (reference §2.4). Every ordering guarantee of §2.5 follows from it:
//! callbacks ready before the poll, then I/O callbacks from this poll, then
//! timers that became due; and only the callbacks present when the batch
//! starts run in it.

use std::borrow::Cow;
use std::time::Instant;

use super::{EventLoop, Ready, SLOW_CALLBACK_TARGET};
use crate::error::{Error, Result};
use crate::exception::{panic_text, ExceptionContext};
use crate::handle::Handle;
use crate::selector::Interest;
use crate::Fatal;

/// The longest a `select` may block with a timer pending: 24 hours, as
/// asyncio's `MAXIMUM_SELECT_TIMEOUT`, because some selectors reject longer.
const MAXIMUM_SELECT_TIMEOUT: f64 = 24.0 * 3600.0;

impl EventLoop {
    /// Runs one iteration, waiting for I/O as long as the loop's state
    /// allows (or not at all with `nonblocking`).
    pub(crate) fn run_once(&self, nonblocking: bool) -> Result<()> {
        let inner = &self.inner;
        inner.iterations.set(inner.iterations.get() + 1);
        inner.timers.borrow_mut().purge_cancelled();
        self.take_remote_work();
        let timeout = if nonblocking { Some(0.0) } else { self.compute_timeout() };
        inner.last_select_timeout.set(timeout);
        self.select(timeout)?;
        // Work queued from other threads during the wait precedes the I/O
        // callbacks, as asyncio's threadsafe appends precede `_process_events`.
        self.take_remote_work();
        self.process_events();
        self.move_due_timers();
        self.run_ready_batch()
    }

    /// The poll timeout: 0 while there is work or a stop is pending, the
    /// time to the next timer (at most 24 h), or `None` to block.
    pub(crate) fn compute_timeout(&self) -> Option<f64> {
        let inner = &self.inner;
        let selector_pending = inner.selector.borrow().as_ref().is_some_and(|s| s.has_pending());
        if !inner.ready.borrow().is_empty()
            || inner.stopping.get()
            || selector_pending
            || !inner.shared.inbox_is_empty()
        {
            return Some(0.0);
        }
        let next = inner.timers.borrow().next_when()?;
        Some((next - self.time()).clamp(0.0, MAXIMUM_SELECT_TIMEOUT))
    }

    fn take_remote_work(&self) {
        let items = self.inner.shared.take_inbox();
        if !items.is_empty() {
            self.push_remote_items(items);
        }
    }

    fn select(&self, timeout: Option<f64>) -> Result<()> {
        let mut selector = self.inner.selector.borrow_mut();
        let selector = selector.as_mut().ok_or_else(Error::loop_closed)?;
        let mut events = self.inner.events.borrow_mut();
        events.clear();
        selector.select(timeout, &mut events).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock => Error::Runtime(e.to_string()),
            _ => Error::os("select", e),
        })
    }

    /// Queues the reader/writer handles of the fds the selector reported.
    /// A cancelled handle is not run; its registration is removed instead
    /// (a stale readiness event never runs a callback twice). Then the
    /// callbacks of completed operations (proactor), in completion order.
    fn process_events(&self) {
        let events = std::mem::take(&mut *self.inner.events.borrow_mut());
        for ev in &events {
            for direction in [Interest::READ, Interest::WRITE] {
                if !ev.ready.contains(direction) {
                    continue;
                }
                let Some(handle) = self.io_handle(ev.fd, direction) else { continue };
                if handle.cancelled() {
                    self.remove_io(ev.fd, direction);
                } else {
                    self.inner.ready.borrow_mut().push_back(Ready::Local(handle));
                }
            }
        }
        *self.inner.events.borrow_mut() = events;
        // A completion back end's finished operations are I/O events too.
        let mut completions = Vec::new();
        if let Some(selector) = self.inner.selector.borrow_mut().as_mut() {
            selector.take_completions(&mut completions);
        }
        if !completions.is_empty() {
            let mut ready = self.inner.ready.borrow_mut();
            for c in completions {
                ready.push_back(Ready::Local(Handle::once(c.callback, Cow::Borrowed(c.label))));
            }
        }
    }

    /// Moves timers due before `now + resolution` to the ready queue.
    fn move_due_timers(&self) {
        let end = self.time() + self.clock_resolution();
        let mut ready = self.inner.ready.borrow_mut();
        self.inner.timers.borrow_mut().pop_due(end, |t| ready.push_back(Ready::Local(t.handle().clone())));
    }

    /// Runs exactly the callbacks queued now; those they schedule wait for
    /// the next iteration. This is the only place callbacks are called.
    fn run_ready_batch(&self) -> Result<()> {
        let ntodo = self.inner.ready.borrow().len();
        for _ in 0..ntodo {
            let Some(entry) = self.inner.ready.borrow_mut().pop_front() else { break };
            match entry {
                Ready::Local(handle) => {
                    if !handle.cancelled() {
                        if let Some(hooks) = self.inner.hooks.get() {
                            (hooks.running)(handle.label());
                        }
                        self.run_handle(&handle);
                    }
                }
                Ready::Remote(handle) => {
                    if let Some(f) = handle.take() {
                        if let Some(hooks) = self.inner.hooks.get() {
                            (hooks.running)("call_soon_threadsafe callback");
                        }
                        let started = self.inner.debug.get().then(Instant::now);
                        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self)));
                        self.after_callback(result, || "call_soon_threadsafe callback".to_string(), started);
                    }
                }
            }
            if let Some(fatal) = self.inner.fatal.borrow_mut().take() {
                return Err(fatal);
            }
        }
        Ok(())
    }

    fn run_handle(&self, handle: &Handle) {
        let started = self.inner.debug.get().then(Instant::now);
        let result = handle.run();
        self.after_callback(result, || format!("{handle:?}"), started);
    }

    /// Reports a panic (or records a fatal error) and, in debug mode, a
    /// slow callback.
    /// `what` names the callback; it is only formatted when needed.
    fn after_callback(&self, result: std::thread::Result<()>, what: impl Fn() -> String, started: Option<Instant>) {
        if let Err(payload) = result {
            match payload.downcast::<Fatal>() {
                Ok(fatal) => self.raise_fatal(fatal.0),
                Err(payload) => {
                    let what = what();
                    self.call_exception_handler(
                        ExceptionContext::new(format!("Exception in callback {what}"))
                            .with_exception(panic_text(&*payload))
                            .with_handle(what),
                    )
                }
            }
        }
        if let Some(started) = started {
            let took = started.elapsed().as_secs_f64();
            if took >= self.inner.slow_callback_duration.get() {
                log::warn!(target: SLOW_CALLBACK_TARGET, "Executing {} took {took:.3} seconds", what());
            }
        }
    }

    /// Makes the running iteration stop after the current callback and
    /// `run_forever` return `err`: the analogue of `SystemExit` and
    /// `KeyboardInterrupt`, which escape the loop instead of reaching the
    /// exception handler. Callbacks left in the batch stay queued.
    pub fn raise_fatal(&self, err: Error) {
        *self.inner.fatal.borrow_mut() = Some(err);
    }
}
