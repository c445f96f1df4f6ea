//! `Handle` and `TimerHandle`: a scheduled callback that can be cancelled.
//!
//! As in asyncio, cancelling drops the callback at once (so whatever it
//! captured is freed), is idempotent, and is allowed after the handle ran.
//!
//! A handle is one allocation: the callback lives inline next to the
//! handle's state, behind `Rc<dyn Callable>`, since `call_soon` is the
//! loop's hottest path.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

/// State every handle has, whatever its callback.
struct Core {
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

/// The callback side of a handle: run once, or on every readiness.
trait Callable {
    fn core(&self) -> &Core;
    /// Runs the callback (a one-shot one is consumed).
    fn run(&self) -> std::thread::Result<()>;
    /// Drops the callback and what it captured.
    fn drop_callback(&self);
}

/// `call_soon`, `call_later`, `call_at`: runs once.
struct Once<F> {
    core: Core,
    f: Cell<Option<F>>,
}

impl<F: FnOnce()> Callable for Once<F> {
    fn core(&self) -> &Core {
        &self.core
    }
    fn run(&self) -> std::thread::Result<()> {
        match self.f.take() {
            Some(f) => catch_unwind(AssertUnwindSafe(f)),
            None => Ok(()),
        }
    }
    fn drop_callback(&self) {
        // Take it out before dropping: its destructor may call into the loop.
        drop(self.f.take());
    }
}

/// `add_reader`/`add_writer`: runs on every readiness until removed.
struct Repeat<F> {
    core: Core,
    f: RefCell<Option<F>>,
}

impl<F: FnMut()> Callable for Repeat<F> {
    fn core(&self) -> &Core {
        &self.core
    }
    fn run(&self) -> std::thread::Result<()> {
        let Some(mut f) = self.f.borrow_mut().take() else { return Ok(()) };
        let result = catch_unwind(AssertUnwindSafe(&mut f));
        if !self.core.cancelled.get() {
            let mut slot = self.f.borrow_mut();
            // The callback may have replaced itself meanwhile; keep the new one.
            if slot.is_none() {
                *slot = Some(f);
            }
        }
        result
    }
    fn drop_callback(&self) {
        let f = self.f.borrow_mut().take();
        drop(f);
    }
}

/// A callback scheduled with `call_soon`, or registered with `add_reader`.
#[derive(Clone)]
pub struct Handle(Rc<dyn Callable>);

/// A callback scheduled for a point in loop time (`call_later`, `call_at`).
#[derive(Clone)]
pub struct TimerHandle(Handle);

fn core(label: Cow<'static, str>, timer: Option<TimerState>) -> Core {
    Core { cancelled: Cell::new(false), label, timer }
}

impl Handle {
    /// A handle that runs `f` once.
    pub(crate) fn once(f: impl FnOnce() + 'static, label: Cow<'static, str>) -> Handle {
        Handle(Rc::new(Once { core: core(label, None), f: Cell::new(Some(f)) }))
    }

    /// A handle that runs `f` each time it is queued, for a binding that
    /// queues one callback many times with
    /// [`EventLoop::call_soon_again`](crate::EventLoop::call_soon_again)
    /// (the Node package's `callSoon`: one handle stands for "run the
    /// package's next callback", which spares an allocation per call).
    pub fn repeating(f: impl FnMut() + 'static, label: Cow<'static, str>) -> Handle {
        Handle::repeat(f, label)
    }

    /// A handle that runs `f` every time it is queued.
    pub(crate) fn repeat(f: impl FnMut() + 'static, label: Cow<'static, str>) -> Handle {
        Handle(Rc::new(Repeat { core: core(label, None), f: RefCell::new(Some(f)) }))
    }

    /// Cancels the callback: it will not run, and it is dropped now.
    /// Calling it again, or after the callback ran, changes nothing else.
    pub fn cancel(&self) {
        let core = self.0.core();
        if core.cancelled.replace(true) {
            return;
        }
        if let Some(t) = &core.timer {
            if t.scheduled.get() {
                t.cancelled_in_heap.set(t.cancelled_in_heap.get() + 1);
            }
        }
        self.0.drop_callback();
    }

    /// Whether `cancel()` was called.
    pub fn cancelled(&self) -> bool {
        self.0.core().cancelled.get()
    }

    /// The label that names the callback in reports.
    pub fn label(&self) -> &str {
        &self.0.core().label
    }

    /// Runs the callback, catching a panic so the loop can report it.
    pub(crate) fn run(&self) -> std::thread::Result<()> {
        self.0.run()
    }

    #[cfg(test)]
    pub(crate) fn ptr_eq(&self, other: &Handle) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl TimerHandle {
    pub(crate) fn new(
        f: impl FnOnce() + 'static,
        label: Cow<'static, str>,
        when: f64,
        cancelled_in_heap: Rc<Cell<usize>>,
    ) -> TimerHandle {
        let timer = TimerState { when, scheduled: Cell::new(true), cancelled_in_heap };
        TimerHandle(Handle(Rc::new(Once { core: core(label, Some(timer)), f: Cell::new(Some(f)) })))
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
        self.0 .0.core().timer.as_ref().expect("a TimerHandle always has timer state")
    }

    /// Marks the timer as out of the heap; returns whether it was cancelled
    /// while inside (so the heap's cancelled count must drop by one).
    pub(crate) fn unschedule(&self) -> bool {
        self.state().scheduled.set(false);
        self.cancelled()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let core = self.0.core();
        match &core.timer {
            Some(t) => write!(f, "<TimerHandle when={} ", t.when)?,
            None => write!(f, "<Handle ")?,
        }
        if core.cancelled.get() {
            write!(f, "cancelled ")?;
        }
        write!(f, "{}>", core.label)
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
        let h = Handle::once(move || drop(held), "cb".into());
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
        let t = TimerHandle::new(|| (), "t".into(), 1.0, count.clone());
        t.cancel();
        t.cancel();
        assert_eq!(count.get(), 1);
        let t2 = TimerHandle::new(|| (), "t".into(), 1.0, count.clone());
        assert!(!t2.unschedule());
        t2.cancel();
        assert_eq!(count.get(), 1, "a timer out of the heap does not count");
        assert_eq!(format!("{t:?}"), "<TimerHandle when=1 cancelled t>");
    }

    #[test]
    fn repeat_callbacks_survive_runs() {
        let n = Rc::new(Cell::new(0));
        let n2 = n.clone();
        let h = Handle::repeat(move || n2.set(n2.get() + 1), "r".into());
        h.run().unwrap();
        h.run().unwrap();
        assert_eq!(n.get(), 2);
    }
}
