//! `run_in_executor` and `shutdown_default_executor` (reference §2.10).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::EventLoop;
use crate::error::{Error, Result};
use crate::executor::{JobResult, ThreadPool};
use crate::future::Future;
use crate::task::Panicked;

/// Completes the future of one executor job with its boxed result.
pub(crate) type Completer = Box<dyn FnOnce(JobResult)>;

/// The loop's executor state.
#[derive(Default)]
pub(crate) struct ExecutorState {
    pool: Option<ThreadPool>,
    shutdown_called: bool,
    next_job: u64,
    pending: std::collections::HashMap<u64, Completer>,
}

impl EventLoop {
    /// Runs `f` on the default executor's threads; the returned future
    /// completes on the loop with its value (or its panic as the error).
    ///
    /// # Errors
    /// `RuntimeError('Executor shutdown has been called')` after
    /// [`shutdown_default_executor`](Self::shutdown_default_executor);
    /// `RuntimeError('Event loop is closed')`.
    pub fn run_in_executor<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<Future<T>> {
        self.check_closed()?;
        let fut = self.create_future::<T>();
        let done = fut.clone();
        let completer: Completer = Box::new(move |result: JobResult| {
            if done.done() {
                return;
            }
            let _ = match result {
                Ok(value) => match value.downcast::<T>() {
                    Ok(v) => done.set_result(*v),
                    Err(_) => done.set_exception(Error::Runtime("executor result of the wrong type".into())),
                },
                Err(payload) => {
                    done.set_exception(Error::user(Panicked(crate::exception::panic_text(&*payload))))
                }
            };
        });
        let remote = self.remote();
        let mut state = self.inner.executor.borrow_mut();
        if state.shutdown_called {
            return Err(Error::Runtime("Executor shutdown has been called".into()));
        }
        let id = state.next_job;
        state.next_job += 1;
        state.pending.insert(id, completer);
        state.pool.get_or_insert_with(ThreadPool::new).submit(Box::new(move || {
            let result = catch_unwind(AssertUnwindSafe(|| Box::new(f()) as Box<dyn Any + Send>));
            // A closed loop no longer wants the result.
            let _ = remote.call_soon_threadsafe(move |lp| lp.finish_job(id, result));
        }));
        Ok(fut)
    }

    fn finish_job(&self, id: u64, result: JobResult) {
        let completer = self.inner.executor.borrow_mut().pending.remove(&id);
        if let Some(complete) = completer {
            complete(result);
        }
    }

    /// Stops the default executor: queued jobs still run, new ones are
    /// refused. The future completes once every worker thread has exited.
    ///
    /// # Errors
    /// `RuntimeError('Event loop is closed')`.
    pub fn shutdown_default_executor(&self) -> Result<Future<()>> {
        self.check_closed()?;
        let fut = self.create_future::<()>();
        let workers = {
            let mut state = self.inner.executor.borrow_mut();
            state.shutdown_called = true;
            state.pool.as_mut().map(ThreadPool::shutdown).unwrap_or_default()
        };
        if workers.is_empty() {
            fut.set_result(())?;
            return Ok(fut);
        }
        // Join on a helper thread so the loop keeps running meanwhile.
        let id = {
            let mut state = self.inner.executor.borrow_mut();
            let id = state.next_job;
            state.next_job += 1;
            let done = fut.clone();
            state.pending.insert(id, Box::new(move |_| {
                let _ = done.set_result(());
            }));
            id
        };
        let remote = self.remote();
        std::thread::spawn(move || {
            for w in workers {
                let _ = w.join();
            }
            let _ = remote.call_soon_threadsafe(move |lp| lp.finish_job(id, Ok(Box::new(()))));
        });
        Ok(fut)
    }

    /// At `close()`: refuse new jobs and let the workers exit without
    /// waiting for them (`shutdown(wait=False)`).
    pub(crate) fn shutdown_executor_nowait(&self) {
        let mut state = self.inner.executor.borrow_mut();
        state.shutdown_called = true;
        if let Some(pool) = state.pool.as_mut() {
            drop(pool.shutdown());
        }
        state.pending.clear();
    }
}
