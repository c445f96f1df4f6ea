//! Executors: `run_in_executor` runs blocking work on a [`ThreadPoolExecutor`]
//! (the loop's default one, or one the caller passes) and delivers the
//! result to the loop as a `Future`.
//!
//! Workers are started lazily, up to `min(32, cpus + 4)` by default as
//! asyncio's `ThreadPoolExecutor`. Results come back through the loop's
//! `LoopRemote` (a threadsafe call), so the loop's state is only touched on
//! its thread.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use crate::error::{Error, Result};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    shutdown: bool,
    idle_workers: usize,
}

/// A lazily grown pool of worker threads.
pub(crate) struct ThreadPool {
    queue: Arc<(Mutex<Queue>, Condvar)>,
    workers: Vec<JoinHandle<()>>,
    max_workers: usize,
}

/// The boxed result of a job: its value, or the panic it raised.
pub(crate) type JobResult = std::thread::Result<Box<dyn Any + Send>>;

/// asyncio's default pool size: `min(32, cpus + 4)`.
fn default_workers() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cpus + 4).min(32)
}

impl ThreadPool {
    pub(crate) fn new(max_workers: usize) -> ThreadPool {
        ThreadPool { queue: Default::default(), workers: Vec::new(), max_workers }
    }

    fn is_shutdown(&self) -> bool {
        self.queue.0.lock().unwrap_or_else(|p| p.into_inner()).shutdown
    }

    /// Queues `job`, starting a worker if none is idle and the pool may grow.
    pub(crate) fn submit(&mut self, job: Job) {
        let (lock, cvar) = &*self.queue;
        let mut q = lock.lock().unwrap_or_else(|p| p.into_inner());
        q.jobs.push_back(job);
        let spawn = q.idle_workers == 0 && self.workers.len() < self.max_workers;
        drop(q);
        cvar.notify_one();
        if spawn {
            let queue = self.queue.clone();
            let n = self.workers.len();
            let worker = std::thread::Builder::new()
                .name(format!("evloop_{n}"))
                .spawn(move || work(&queue))
                .expect("spawning an executor thread");
            self.workers.push(worker);
        }
    }

    /// Lets the workers finish the queued jobs and exit; returns them so
    /// the caller decides whether to join.
    pub(crate) fn shutdown(&mut self) -> Vec<JoinHandle<()>> {
        let (lock, cvar) = &*self.queue;
        lock.lock().unwrap_or_else(|p| p.into_inner()).shutdown = true;
        cvar.notify_all();
        std::mem::take(&mut self.workers)
    }
}

fn work(queue: &(Mutex<Queue>, Condvar)) {
    let (lock, cvar) = queue;
    loop {
        let mut q = lock.lock().unwrap_or_else(|p| p.into_inner());
        let job = loop {
            if let Some(job) = q.jobs.pop_front() {
                break job;
            }
            if q.shutdown {
                return;
            }
            q.idle_workers += 1;
            q = cvar.wait(q).unwrap_or_else(|p| p.into_inner());
            q.idle_workers -= 1;
        };
        drop(q);
        job();
    }
}

/// A pool of worker threads for blocking work (`concurrent.futures`'
/// `ThreadPoolExecutor`): pass it to
/// [`EventLoop::run_in_executor_on`](crate::EventLoop::run_in_executor_on) or
/// make it the loop's default with
/// [`set_default_executor`](crate::EventLoop::set_default_executor). Clones
/// are the same pool; threads start on demand.
#[derive(Clone)]
pub struct ThreadPoolExecutor(Arc<Mutex<ThreadPool>>);

impl ThreadPoolExecutor {
    /// A pool of at most `max_workers` threads (`None`: `min(32, cpus + 4)`).
    ///
    /// # Errors
    /// `ValueError('max_workers must be greater than 0')`.
    pub fn new(max_workers: Option<usize>) -> Result<ThreadPoolExecutor> {
        let n = max_workers.unwrap_or_else(default_workers);
        if n == 0 {
            return Err(Error::Value("max_workers must be greater than 0".into()));
        }
        Ok(ThreadPoolExecutor(Arc::new(Mutex::new(ThreadPool::new(n)))))
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, ThreadPool> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `job`.
    ///
    /// # Errors
    /// `RuntimeError('cannot schedule new futures after shutdown')`.
    pub(crate) fn submit(&self, job: Job) -> Result<()> {
        let mut pool = self.pool();
        if pool.is_shutdown() {
            return Err(Error::Runtime("cannot schedule new futures after shutdown".into()));
        }
        pool.submit(job);
        Ok(())
    }

    /// Refuses new work; queued work still runs. With `wait`, blocks until
    /// every worker has exited (never call that on a loop's thread while the
    /// loop has work: use `shutdown_default_executor`).
    pub fn shutdown(&self, wait: bool) {
        let workers = self.pool().shutdown();
        if wait {
            for w in workers {
                let _ = w.join();
            }
        }
    }

    /// Takes the worker threads to join, refusing new work.
    pub(crate) fn shutdown_workers(&self) -> Vec<JoinHandle<()>> {
        self.pool().shutdown()
    }

    /// The most threads the pool starts.
    pub fn max_workers(&self) -> usize {
        self.pool().max_workers
    }
}
