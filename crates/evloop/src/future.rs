//! `Future`: asyncio's one-shot result holder, bound to a loop.
//!
//! Done callbacks are scheduled with `call_soon` when the future completes
//! (never called synchronously), as in asyncio. A `Future` is also a Rust
//! `std::future::Future`, so tasks can `.await` it.

use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::error::{Error, Result};
use crate::EventLoop;

enum State<T> {
    Pending,
    Done(Result<T>),
    Cancelled(String),
}

type DoneCallback<T> = Box<dyn FnOnce(&Future<T>)>;

struct FutureInner<T> {
    loop_id: u64,
    _live: crate::live::Counted,
    state: RefCell<State<T>>,
    callbacks: RefCell<Vec<(u64, DoneCallback<T>)>>,
    next_callback: Cell<u64>,
    /// Rust tasks awaiting this future.
    wakers: RefCell<Vec<Waker>>,
    /// Makes `cancel()` a request, as on an asyncio `Task`: the hook starts
    /// the cancellation and the future completes when it is done.
    cancel_hook: RefCell<Option<Box<dyn FnOnce()>>>,
}

/// A result that will be set later, by a callback or a task.
pub struct Future<T> {
    inner: Rc<FutureInner<T>>,
}

impl<T> Clone for Future<T> {
    fn clone(&self) -> Self {
        Future { inner: self.inner.clone() }
    }
}

/// Identifies a done callback for [`Future::remove_done_callback`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackId(u64);

impl EventLoop {
    /// A new pending future bound to this loop. Allowed on a closed loop,
    /// as in asyncio.
    pub fn create_future<T: 'static>(&self) -> Future<T> {
        Future {
            inner: Rc::new(FutureInner {
                loop_id: self.id(),
                _live: crate::live::Counted::new(crate::live::Kind::Future),
                state: RefCell::new(State::Pending),
                callbacks: RefCell::new(Vec::new()),
                next_callback: Cell::new(0),
                wakers: RefCell::new(Vec::new()),
                cancel_hook: RefCell::new(None),
            }),
        }
    }

    /// A future that completes after `delay` seconds (`asyncio.sleep`).
    ///
    /// # Errors
    /// As [`call_later`](Self::call_later).
    pub fn sleep(&self, delay: f64) -> Result<Future<()>> {
        let fut = self.create_future();
        let done = fut.clone();
        self.call_later(delay, move || {
            if !done.done() {
                let _ = done.set_result(());
            }
        })?;
        Ok(fut)
    }
}

impl<T: 'static> Future<T> {
    /// The id of the loop the future belongs to.
    pub fn loop_id(&self) -> u64 {
        self.inner.loop_id
    }

    /// Whether a result, an error or a cancellation was set.
    pub fn done(&self) -> bool {
        !matches!(*self.inner.state.borrow(), State::Pending)
    }

    /// Whether the future was cancelled.
    pub fn cancelled(&self) -> bool {
        matches!(*self.inner.state.borrow(), State::Cancelled(_))
    }

    /// Completes the future with a value.
    ///
    /// # Errors
    /// `InvalidStateError('invalid state')` if already done;
    /// `RuntimeError('Event loop is closed')` if its callbacks cannot be scheduled.
    pub fn set_result(&self, value: T) -> Result<()> {
        self.complete(State::Done(Ok(value)))
    }

    /// Completes the future with an error.
    ///
    /// # Errors
    /// As [`set_result`](Self::set_result).
    pub fn set_exception(&self, error: Error) -> Result<()> {
        self.complete(State::Done(Err(error)))
    }

    /// Cancels the future. Returns `false` if it was already done. A future
    /// that stands for ongoing work (`serve_forever()`) may stay pending
    /// until that work has wound down, as an asyncio task does.
    pub fn cancel(&self, message: Option<&str>) -> bool {
        if self.done() {
            return false;
        }
        let hook = self.inner.cancel_hook.borrow_mut().take();
        match hook {
            Some(hook) => {
                hook();
                true
            }
            None => self.cancel_now(message),
        }
    }

    /// Cancels at once, bypassing a cancel hook.
    pub(crate) fn cancel_now(&self, message: Option<&str>) -> bool {
        self.complete(State::Cancelled(message.unwrap_or("").to_string())).is_ok()
    }

    /// Makes `cancel()` call `hook` instead of completing the future.
    pub(crate) fn set_cancel_hook(&self, hook: Box<dyn FnOnce()>) {
        *self.inner.cancel_hook.borrow_mut() = Some(hook);
    }

    fn complete(&self, state: State<T>) -> Result<()> {
        {
            let mut current = self.inner.state.borrow_mut();
            if !matches!(*current, State::Pending) {
                return Err(Error::InvalidState("invalid state".into()));
            }
            *current = state;
        }
        for waker in std::mem::take(&mut *self.inner.wakers.borrow_mut()) {
            waker.wake();
        }
        let callbacks = std::mem::take(&mut *self.inner.callbacks.borrow_mut());
        if callbacks.is_empty() {
            return Ok(());
        }
        let lp = EventLoop::by_id(self.inner.loop_id).ok_or_else(Error::loop_closed)?;
        for (_, callback) in callbacks {
            let fut = self.clone();
            lp.call_soon(move || callback(&fut))?;
        }
        Ok(())
    }

    /// Adds a callback run (through `call_soon`) once the future is done;
    /// if it is done already, it is scheduled now.
    pub fn add_done_callback(&self, callback: impl FnOnce(&Future<T>) + 'static) -> CallbackId {
        let id = self.inner.next_callback.get();
        self.inner.next_callback.set(id + 1);
        if self.done() {
            if let Some(lp) = EventLoop::by_id(self.inner.loop_id) {
                let fut = self.clone();
                let _ = lp.call_soon(move || callback(&fut));
            }
        } else {
            self.inner.callbacks.borrow_mut().push((id, Box::new(callback)));
        }
        CallbackId(id)
    }

    /// Removes a done callback; returns how many were removed.
    pub fn remove_done_callback(&self, id: CallbackId) -> usize {
        let mut callbacks = self.inner.callbacks.borrow_mut();
        let before = callbacks.len();
        callbacks.retain(|(i, _)| *i != id.0);
        before - callbacks.len()
    }

    /// The error the future completed with, `None` for a value.
    ///
    /// # Errors
    /// `InvalidStateError('Exception is not set.')` while pending;
    /// `CancelledError` if cancelled.
    pub fn exception(&self) -> Result<Option<Error>> {
        match &*self.inner.state.borrow() {
            State::Pending => Err(Error::InvalidState("Exception is not set.".into())),
            State::Cancelled(m) => Err(Error::Cancelled(m.clone())),
            State::Done(Ok(_)) => Ok(None),
            State::Done(Err(e)) => Ok(Some(e.clone())),
        }
    }
}

impl<T: Clone + 'static> Future<T> {
    /// The value, or the error the future completed with.
    ///
    /// # Errors
    /// `InvalidStateError('Result is not set.')` while pending;
    /// `CancelledError` if cancelled; the error it was completed with.
    pub fn result(&self) -> Result<T> {
        match &*self.inner.state.borrow() {
            State::Pending => Err(Error::InvalidState("Result is not set.".into())),
            State::Cancelled(m) => Err(Error::Cancelled(m.clone())),
            State::Done(r) => r.clone(),
        }
    }
}

impl<T: Clone + 'static> std::future::Future for Future<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        if self.done() {
            return Poll::Ready(self.result());
        }
        let mut wakers = self.inner.wakers.borrow_mut();
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl<T> std::fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &*self.inner.state.borrow() {
            State::Pending => "pending",
            State::Cancelled(_) => "cancelled",
            State::Done(_) => "finished",
        };
        write!(f, "<Future {state}>")
    }
}
