//! `Handle` and `TimerHandle`: a scheduled callback that can be cancelled.
//!
//! As in asyncio, cancelling drops the callback at once (so whatever it
//! captured is freed), is idempotent, and is allowed after the handle ran.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

/// What a handle runs: once (`call_soon`, timers) or on every readiness
/// (`add_reader`/`add_writer`).
pub(crate) enum Callback {
    Once(Box<dyn FnOnce()>),
    Repeat(Box<dyn FnMut()>),
}

struct HandleInner {
    /// `None` once cancelled or once a one-shot callback ran.
    callback: RefCell<Option<Callback>>,
    cancelled: Cell<bool>,
    /// Names the callback in reports (`Exception in callback <label>`).
    label: Cow<'static, str>,
    /// Present for `TimerHandle`s.
    timer: Option<TimerState>,
}

struct TimerState {
    when: f64,
    /// Still inside the loop's timer heap.
    scheduled: Cell<bool>,
    /// The loop's count of cancelled timers still in the heap, which drives
    /// the purge heuristic; a cancel while scheduled increments it.
    cancelled_in_heap: Rc<Cell<usize>>,
}

/// A callback scheduled with `call_soon`, or registered with `add_reader`.
#[derive(Clone)]
pub struct Handle(Rc<HandleInner>);

/// A callback scheduled for a point in loop time (`call_later`, `call_at`).
#[derive(Clone)]
pub struct TimerHandle(Handle);

impl Handle {
    pub(crate) fn new(callback: Callback, label: Cow<'static, str>) -> Handle {
        Handle(Rc::new(HandleInner {
            callback: RefCell::new(Some(callback)),
            cancelled: Cell::new(false),
            label,
            timer: None,
        }))
    }

    /// Cancels the callback: it will not run, and it is dropped now.
    /// Calling it again, or after the callback ran, changes nothing else.
    pub fn cancel(&self) {
        if self.0.cancelled.replace(true) {
            return;
        }
        if let Some(t) = &self.0.timer {
            if t.scheduled.get() {
                t.cancelled_in_heap.set(t.cancelled_in_heap.get() + 1);
            }
        }
        // Take it out before dropping: its destructor may call into the loop.
        let callback = self.0.callback.borrow_mut().take();
        drop(callback);
    }

    /// Whether `cancel()` was called.
    pub fn cancelled(&self) -> bool {
        self.0.cancelled.get()
    }

    /// The label that names the callback in reports.
    pub fn label(&self) -> &str {
        &self.0.label
    }

    /// Runs the callback, catching a panic so the loop can report it.
    pub(crate) fn run(&self) -> std::thread::Result<()> {
        let callback = self.0.callback.borrow_mut().take();
        match callback {
            None => Ok(()),
            Some(Callback::Once(f)) => catch_unwind(AssertUnwindSafe(f)),
            Some(Callback::Repeat(mut f)) => {
                let result = catch_unwind(AssertUnwindSafe(&mut f));
                if !self.cancelled() {
                    let mut slot = self.0.callback.borrow_mut();
                    // The callback may have replaced itself meanwhile; keep the new one.
                    if slot.is_none() {
                        *slot = Some(Callback::Repeat(f));
                    }
                }
                result
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn ptr_eq(&self, other: &Handle) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl TimerHandle {
    pub(crate) fn new(
        callback: Callback,
        label: Cow<'static, str>,
        when: f64,
        cancelled_in_heap: Rc<Cell<usize>>,
    ) -> TimerHandle {
        TimerHandle(Handle(Rc::new(HandleInner {
            callback: RefCell::new(Some(callback)),
            cancelled: Cell::new(false),
            label,
            timer: Some(TimerState { when, scheduled: Cell::new(true), cancelled_in_heap }),
        })))
    }

    /// The absolute loop time the callback is scheduled for.
    pub fn when(&self) -> f64 {
        self.state().when
    }

    /// Cancels the timer (see [`Handle::cancel`]).
    pub fn cancel(&self) {
        self.0.cancel()
    }

    /// Whether `cancel()` was called.
    pub fn cancelled(&self) -> bool {
        self.0.cancelled()
    }

    /// The plain handle inside, as the ready queue holds it.
    pub fn handle(&self) -> &Handle {
        &self.0
    }

    fn state(&self) -> &TimerState {
        self.0 .0.timer.as_ref().expect("a TimerHandle always has timer state")
    }

    /// Marks the timer as out of the heap; returns whether it was cancelled
    /// while inside (so the heap's cancelled count must drop by one).
    pub(crate) fn unschedule(&self) -> bool {
        let state = self.state();
        state.scheduled.set(false);
        self.cancelled()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.timer {
            Some(t) => write!(f, "<TimerHandle when={} ", t.when)?,
            None => write!(f, "<Handle ")?,
        }
        if self.cancelled() {
            write!(f, "cancelled ")?;
        }
        write!(f, "{}>", self.0.label)
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_drops_the_callback_and_is_idempotent() {
        let token = Rc::new(());
        let held = token.clone();
        let h = Handle::new(Callback::Once(Box::new(move || drop(held))), "cb".into());
        assert_eq!(Rc::strong_count(&token), 2);
        h.cancel();
        h.cancel();
        assert!(h.cancelled());
        assert_eq!(Rc::strong_count(&token), 1, "cancel frees what the callback captured");
        assert!(h.run().is_ok());
    }

    #[test]
    fn timer_cancel_counts_only_while_scheduled() {
        let count = Rc::new(Cell::new(0));
        let t = TimerHandle::new(Callback::Once(Box::new(|| ())), "t".into(), 1.0, count.clone());
        t.cancel();
        t.cancel();
        assert_eq!(count.get(), 1);
        let t2 = TimerHandle::new(Callback::Once(Box::new(|| ())), "t".into(), 1.0, count.clone());
        assert!(!t2.unschedule());
        t2.cancel();
        assert_eq!(count.get(), 1, "a timer out of the heap does not count");
        assert_eq!(format!("{t:?}"), "<TimerHandle when=1 cancelled t>");
    }

    #[test]
    fn repeat_callbacks_survive_runs() {
        let n = Rc::new(Cell::new(0));
        let n2 = n.clone();
        let h = Handle::new(Callback::Repeat(Box::new(move || n2.set(n2.get() + 1))), "r".into());
        h.run().unwrap();
        h.run().unwrap();
        assert_eq!(n.get(), 2);
    }
}
