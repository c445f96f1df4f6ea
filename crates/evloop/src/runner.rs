//! `Runner` and `run`: create a loop, run a main future to completion,
//! cancel what is left, shut the executor down and close the loop
//! (reference §2.10).

use crate::error::{Error, Result};
use crate::event_loop::get_running_loop;
use crate::policy::{get_event_loop_policy, set_event_loop};
use crate::EventLoop;

type LoopFactory = Box<dyn Fn() -> Result<EventLoop>>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Created,
    Initialized,
    Closed,
}

/// asyncio's `Runner`: one loop, several `run` calls, then `close`.
pub struct Runner {
    loop_factory: Option<LoopFactory>,
    debug: Option<bool>,
    lp: Option<EventLoop>,
    /// Whether this runner set the thread's current loop (it then unsets it).
    set_loop: bool,
    state: State,
}

impl Default for Runner {
    fn default() -> Self {
        Runner::new()
    }
}

impl Runner {
    /// A runner whose loop comes from the policy's `new_event_loop()`.
    pub fn new() -> Runner {
        Runner { loop_factory: None, debug: None, lp: None, set_loop: false, state: State::Created }
    }

    /// A runner whose loop comes from `factory` (not set as current).
    pub fn with_loop_factory(factory: impl Fn() -> Result<EventLoop> + 'static) -> Runner {
        Runner { loop_factory: Some(Box::new(factory)), debug: None, lp: None, set_loop: false, state: State::Created }
    }

    /// Sets the loop's debug mode.
    pub fn debug(mut self, debug: bool) -> Runner {
        self.debug = Some(debug);
        self
    }

    /// The loop, created on first use.
    ///
    /// # Errors
    /// `RuntimeError('Runner is closed')`; the loop's construction error.
    pub fn get_loop(&mut self) -> Result<EventLoop> {
        self.lazy_init()?;
        Ok(self.lp.clone().expect("initialized"))
    }

    fn lazy_init(&mut self) -> Result<()> {
        match self.state {
            State::Closed => return Err(Error::Runtime("Runner is closed".into())),
            State::Initialized => return Ok(()),
            State::Created => {}
        }
        let lp = match &self.loop_factory {
            Some(factory) => factory()?,
            None => {
                let lp = get_event_loop_policy().new_event_loop()?;
                set_event_loop(Some(lp.clone()));
                self.set_loop = true;
                lp
            }
        };
        if let Some(debug) = self.debug {
            lp.set_debug(debug);
        }
        self.lp = Some(lp);
        self.state = State::Initialized;
        Ok(())
    }

    /// Runs `main(loop)` as a task until it completes and returns its output.
    ///
    /// # Errors
    /// `RuntimeError('Runner.run() cannot be called from a running event
    /// loop')`; `RuntimeError('Runner is closed')`; the task's own error.
    pub fn run<T: Clone + 'static, F: std::future::Future<Output = T> + 'static>(
        &mut self,
        main: impl FnOnce(EventLoop) -> F,
    ) -> Result<T> {
        if get_running_loop().is_ok() {
            return Err(Error::Runtime("Runner.run() cannot be called from a running event loop".into()));
        }
        let lp = self.get_loop()?;
        let task = lp.create_task(main(lp.clone()))?;
        lp.run_until_complete(&task)
    }

    /// Cancels the remaining tasks, shuts the default executor down and
    /// closes the loop. Closing twice is fine.
    ///
    /// # Errors
    /// A failure of the final iterations (for example a fatal error).
    pub fn close(&mut self) -> Result<()> {
        if self.state != State::Initialized {
            self.state = State::Closed;
            return Ok(());
        }
        let lp = self.lp.take().expect("initialized");
        let result = (|| {
            if lp.cancel_all_tasks() > 0 {
                // One iteration lets the cancelled tasks' done callbacks run.
                let stopper = lp.clone();
                lp.call_soon(move || stopper.stop())?;
                lp.run_forever()?;
            }
            let executor = lp.shutdown_default_executor()?;
            lp.run_until_complete(&executor)
        })();
        if self.set_loop {
            set_event_loop(None);
        }
        let closed = lp.close();
        self.state = State::Closed;
        result.and(closed)
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// `asyncio.run(main)`: a fresh loop from the policy, `main(loop)` run to
/// completion, then everything cleaned up and the loop closed.
///
/// # Errors
/// `RuntimeError('asyncio.run() cannot be called from a running event
/// loop')`; the main task's own error.
pub fn run<T: Clone + 'static, F: std::future::Future<Output = T> + 'static>(
    main: impl FnOnce(EventLoop) -> F,
) -> Result<T> {
    run_with(Runner::new(), main)
}

/// [`run`] with a configured [`Runner`] (a loop factory, debug mode).
///
/// # Errors
/// As [`run`].
pub fn run_with<T: Clone + 'static, F: std::future::Future<Output = T> + 'static>(
    mut runner: Runner,
    main: impl FnOnce(EventLoop) -> F,
) -> Result<T> {
    if get_running_loop().is_ok() {
        return Err(Error::Runtime("asyncio.run() cannot be called from a running event loop".into()));
    }
    let result = runner.run(main);
    let closed = runner.close();
    let value = result?;
    closed?;
    Ok(value)
}
