//! `run_in_executor`, `set_default_executor` and `shutdown_default_executor`
//! (reference §2.10).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::EventLoop;
use crate::error::{Error, Result};
use crate::executor::{JobResult, ThreadPoolExecutor};
use crate::future::Future;
use crate::task::Panicked;

/// Completes the future of one executor job with its boxed result.
pub(crate) type Completer = Box<dyn FnOnce(JobResult)>;

/// The loop's executor state.
#[derive(Default)]
pub(crate) struct ExecutorState {
    default: Option<ThreadPoolExecutor>,
    shutdown_called: bool,
    next_job: u64,
    pending: std::collections::HashMap<u64, Completer>,
}

impl EventLoop {
    /// Runs `f` on the default executor's threads (made on first use); the
    /// returned future completes on the loop with its value (or its panic as
    /// the error).
    ///
    /// # Errors
    /// `RuntimeError('Executor shutdown has been called')` after
    /// [`shutdown_default_executor`](Self::shutdown_default_executor);
    /// `RuntimeError('Event loop is closed')`.
    pub fn run_in_executor<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<Future<T>> {
        self.check_closed()?;
        let executor = {
            let mut state = self.inner.executor.borrow_mut();
            if state.shutdown_called {
                return Err(Error::Runtime("Executor shutdown has been called".into()));
            }
            match &state.default {
                Some(e) => e.clone(),
                None => state.default.insert(ThreadPoolExecutor::new(None)?).clone(),
            }
        };
        self.run_in_executor_on(&executor, f)
    }

    /// [`run_in_executor`](Self::run_in_executor) on `executor` instead of
    /// the default one.
    ///
    /// # Errors
    /// `RuntimeError('cannot schedule new futures after shutdown')` once the
    /// executor is shut down; `RuntimeError('Event loop is closed')`.
    pub fn run_in_executor_on<T: Send + 'static>(
        &self,
        executor: &ThreadPoolExecutor,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Future<T>> {
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
        let id = self.add_pending(completer);
        let submitted = executor.submit(Box::new(move || {
            let result = catch_unwind(AssertUnwindSafe(|| Box::new(f()) as Box<dyn Any + Send>));
            // A closed loop no longer wants the result.
            let _ = remote.call_soon_threadsafe(move |lp| lp.finish_job(id, result));
        }));
        if let Err(e) = submitted {
            self.inner.executor.borrow_mut().pending.remove(&id);
            return Err(e);
        }
        Ok(fut)
    }

    /// Makes `executor` the one `run_in_executor` uses. The previous default
    /// is not shut down (as in asyncio).
    pub fn set_default_executor(&self, executor: ThreadPoolExecutor) {
        self.inner.executor.borrow_mut().default = Some(executor);
    }

    fn add_pending(&self, completer: Completer) -> u64 {
        let mut state = self.inner.executor.borrow_mut();
        let id = state.next_job;
        state.next_job += 1;
        state.pending.insert(id, completer);
        id
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
        self.shutdown_default_executor_timeout(None)
    }

    /// [`shutdown_default_executor`](Self::shutdown_default_executor) that
    /// waits at most `timeout` seconds for the threads: then it warns (log
    /// target `evloop`: `The executor did not finishing joining its threads
    /// within N seconds.`, asyncio's words) and completes anyway.
    ///
    /// # Errors
    /// `RuntimeError('Event loop is closed')`; `ValueError` for a negative
    /// or NaN timeout.
    pub fn shutdown_default_executor_timeout(&self, timeout: Option<f64>) -> Result<Future<()>> {
        self.check_closed()?;
        if let Some(t) = timeout {
            if t.is_nan() || t < 0.0 {
                return Err(Error::Value(format!("timeout must be a non-negative number, got {t}")));
            }
        }
        let fut = self.create_future::<()>();
        let workers = {
            let mut state = self.inner.executor.borrow_mut();
            state.shutdown_called = true;
            state.default.as_ref().map(ThreadPoolExecutor::shutdown_workers).unwrap_or_default()
        };
        if workers.is_empty() {
            fut.set_result(())?;
            return Ok(fut);
        }
        let done = fut.clone();
        let id = self.add_pending(Box::new(move |_| {
            if !done.done() {
                let _ = done.set_result(());
            }
        }));
        if let Some(t) = timeout {
            let (done, lp) = (fut.clone(), self.clone());
            self.call_later(t, move || {
                if !done.done() {
                    log::warn!(target: "evloop", "The executor did not finishing joining its threads within {t} seconds.");
                    lp.inner.executor.borrow_mut().pending.remove(&id);
                    let _ = done.set_result(());
                }
            })?;
        }
        // Join on a helper thread so the loop keeps running meanwhile.
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
        if let Some(executor) = state.default.as_ref() {
            executor.shutdown(false);
        }
        state.pending.clear();
    }
}
