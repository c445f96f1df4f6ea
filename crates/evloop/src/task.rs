//! Tasks: Rust `async` code driven by the loop, as asyncio's `Task` drives
//! a coroutine. A task steps through `call_soon`, so a task woken during
//! iteration N resumes in iteration N+1, like asyncio.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::error::{Error, Result};
use crate::future::Future;
use crate::remote::{RemoteItem, Shared};
use crate::EventLoop;

type Step = Box<dyn FnMut(&mut Context<'_>) -> Poll<()>>;

struct TaskSlot {
    /// Taken out while the task runs, so the task may call into the loop.
    step: Option<Step>,
    /// A step is already queued; further wake-ups add nothing.
    scheduled: bool,
    /// Completes the task's future with an error (`None`: cancelled).
    settle: Box<dyn Fn(Option<Error>)>,
    _live: crate::live::Counted,
}

/// The loop's live tasks by id.
#[derive(Default)]
pub(crate) struct TaskTable {
    slots: HashMap<u64, TaskSlot>,
    next_id: u64,
}

/// A running `async` computation; derefs to the [`Future`] of its result.
pub struct Task<T> {
    future: Future<T>,
    id: u64,
}

impl<T> std::ops::Deref for Task<T> {
    type Target = Future<T>;
    fn deref(&self) -> &Future<T> {
        &self.future
    }
}

/// A panic in a task, an executor job or a protocol callback, kept as
/// the error it stands for.
#[derive(Debug)]
pub struct Panicked(pub String);

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Panicked {}

impl<T: 'static> Task<T> {
    /// Cancels the task: its Rust future is dropped (which is how Rust
    /// code is cancelled) and its result becomes `CancelledError`.
    /// Returns `false` if it was already done.
    pub fn cancel(&self) -> bool {
        if self.future.done() {
            return false;
        }
        if let Some(lp) = EventLoop::by_id(self.future.loop_id()) {
            let slot = lp.inner.tasks.borrow_mut().slots.remove(&self.id);
            drop(slot);
        }
        self.future.cancel(None)
    }
}

impl EventLoop {
    /// Starts `fut` as a task; its first step runs in the next iteration.
    ///
    /// # Errors
    /// `RuntimeError('Event loop is closed')`.
    pub fn create_task<T: 'static>(&self, fut: impl std::future::Future<Output = T> + 'static) -> Result<Task<T>> {
        if self.is_closed() {
            return Err(Error::loop_closed());
        }
        let future = self.create_future::<T>();
        let out = future.clone();
        let mut body = Box::pin(fut);
        let step: Step = Box::new(move |cx| {
            if out.done() {
                return Poll::Ready(());
            }
            match body.as_mut().poll(cx) {
                Poll::Ready(value) => {
                    let _ = out.set_result(value);
                    Poll::Ready(())
                }
                Poll::Pending => Poll::Pending,
            }
        });
        let settled = future.clone();
        let settle = Box::new(move |e: Option<Error>| match e {
            Some(e) => {
                let _ = settled.set_exception(e);
            }
            None => {
                settled.cancel(None);
            }
        });
        let id = {
            let mut tasks = self.inner.tasks.borrow_mut();
            let id = tasks.next_id;
            tasks.next_id += 1;
            tasks.slots.insert(id, TaskSlot { step: Some(step), scheduled: false, settle, _live: crate::live::Counted::new(crate::live::Kind::Task) });
            id
        };
        schedule_step(self, id);
        Ok(Task { future, id })
    }

    /// Number of tasks not yet done.
    pub fn task_count(&self) -> usize {
        self.inner.tasks.borrow().slots.len()
    }

    /// Cancels every task not yet done (what `asyncio.run` does before it
    /// closes the loop); returns how many there were.
    pub fn cancel_all_tasks(&self) -> usize {
        let slots = std::mem::take(&mut self.inner.tasks.borrow_mut().slots);
        let n = slots.len();
        for (_, slot) in slots {
            drop(slot.step);
            (slot.settle)(None);
        }
        n
    }
}

/// Queues one step of task `id` unless one is queued already.
pub(crate) fn schedule_step(lp: &EventLoop, id: u64) {
    {
        let mut tasks = lp.inner.tasks.borrow_mut();
        let Some(slot) = tasks.slots.get_mut(&id) else { return };
        if slot.scheduled {
            return;
        }
        slot.scheduled = true;
    }
    let loop_id = lp.id();
    // By id, not by clone: a queued step must not keep the loop alive.
    let _ = lp.call_soon_labelled(Cow::Borrowed("Task.__step"), move || {
        if let Some(lp) = EventLoop::by_id(loop_id) {
            run_step(&lp, id);
        }
    });
}

fn run_step(lp: &EventLoop, id: u64) {
    let step = {
        let mut tasks = lp.inner.tasks.borrow_mut();
        let Some(slot) = tasks.slots.get_mut(&id) else { return };
        slot.scheduled = false;
        slot.step.take()
    };
    let Some(mut step) = step else { return };
    let waker = Waker::from(Arc::new(TaskWaker { loop_id: lp.id(), task_id: id, shared: lp.inner.shared.clone() }));
    let mut cx = Context::from_waker(&waker);
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| step(&mut cx)));
    let mut tasks = lp.inner.tasks.borrow_mut();
    match polled {
        Ok(Poll::Pending) => {
            if let Some(slot) = tasks.slots.get_mut(&id) {
                slot.step = Some(step);
            }
        }
        Ok(Poll::Ready(())) => {
            tasks.slots.remove(&id);
        }
        Err(payload) => {
            let slot = tasks.slots.remove(&id);
            drop(tasks);
            // A panic is the task's exception, as a raise in a coroutine is.
            if let Some(slot) = slot {
                (slot.settle)(Some(Error::user(Panicked(crate::exception::panic_text(&*payload)))));
            }
        }
    }
}

struct TaskWaker {
    loop_id: u64,
    task_id: u64,
    shared: Arc<Shared>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if std::thread::current().id() == self.shared.owner {
            if let Some(lp) = EventLoop::by_id(self.loop_id) {
                schedule_step(&lp, self.task_id);
                return;
            }
        }
        // Closed loops reject the wake-up; nothing is left to run anyway.
        let _ = self.shared.push(RemoteItem::WakeTask(self.task_id));
    }
}
