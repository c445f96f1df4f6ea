//! The default executor: `run_in_executor(None, f)` runs blocking work on a
//! small thread pool and delivers the result to the loop as a `Future`.
//!
//! Workers are started lazily, up to `min(32, cpus + 4)` as asyncio's
//! `ThreadPoolExecutor`. Results come back through the loop's `LoopRemote`
//! (a threadsafe call), so the loop's state is only touched on its thread.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

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

impl ThreadPool {
    pub(crate) fn new() -> ThreadPool {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        ThreadPool { queue: Default::default(), workers: Vec::new(), max_workers: (cpus + 4).min(32) }
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
