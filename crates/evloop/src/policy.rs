//! Event loop policies and the current-loop accessors (reference §3.4).
//!
//! The policy is process-wide; the current loop is per thread, as in
//! asyncio's `DefaultEventLoopPolicy`. `get_event_loop()` without a loop
//! raises, as 3.14 does (3.12/3.13 create one with a DeprecationWarning;
//! reference §11 picks 3.14's behaviour, which the docs record).

use std::cell::RefCell;
use std::sync::{Arc, RwLock};

use crate::error::{Error, Result};
use crate::event_loop::get_running_loop;
use crate::EventLoop;

/// Decides what `new_event_loop()` builds and keeps each thread's loop.
/// Override `new_event_loop` to make every new loop of a kind (the seed's
/// example: a policy whose loops are select-based `SelectorEventLoop`s).
pub trait EventLoopPolicy: Send + Sync {
    /// A new loop of the policy's kind.
    ///
    /// # Errors
    /// The loop's construction error.
    fn new_event_loop(&self) -> Result<EventLoop>;

    /// This thread's current loop.
    ///
    /// # Errors
    /// `RuntimeError("There is no current event loop in thread '<name>'.")`.
    fn get_event_loop(&self) -> Result<EventLoop> {
        CURRENT.with(|c| c.borrow().clone()).ok_or_else(|| {
            Error::Runtime(format!("There is no current event loop in thread '{}'.", thread_name()))
        })
    }

    /// Sets (or clears) this thread's current loop.
    fn set_event_loop(&self, lp: Option<EventLoop>) {
        CURRENT.with(|c| *c.borrow_mut() = lp);
    }
}

/// The platform default: `new_event_loop()` is a `SelectorEventLoop` on the
/// default selector (mio) on Unix.
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultEventLoopPolicy;

impl EventLoopPolicy for DefaultEventLoopPolicy {
    #[cfg(not(target_arch = "wasm32"))]
    fn new_event_loop(&self) -> Result<EventLoop> {
        EventLoop::new()
    }

    #[cfg(target_arch = "wasm32")]
    fn new_event_loop(&self) -> Result<EventLoop> {
        Ok(EventLoop::virtual_time())
    }
}

thread_local! {
    static CURRENT: RefCell<Option<EventLoop>> = const { RefCell::new(None) };
}

static POLICY: RwLock<Option<Arc<dyn EventLoopPolicy>>> = RwLock::new(None);

/// Python's name for the thread, used in messages.
fn thread_name() -> String {
    match std::thread::current().name() {
        Some("main") => "MainThread".to_string(),
        Some(name) => name.to_string(),
        None => format!("{:?}", std::thread::current().id()),
    }
}

/// The process-wide policy (the default one until set).
pub fn get_event_loop_policy() -> Arc<dyn EventLoopPolicy> {
    POLICY
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .unwrap_or_else(|| Arc::new(DefaultEventLoopPolicy))
}

/// Sets the process-wide policy; `None` restores the default.
pub fn set_event_loop_policy(policy: Option<Arc<dyn EventLoopPolicy>>) {
    *POLICY.write().unwrap_or_else(|p| p.into_inner()) = policy;
}

/// `asyncio.new_event_loop()`: the policy's new loop.
///
/// # Errors
/// The loop's construction error.
pub fn new_event_loop() -> Result<EventLoop> {
    get_event_loop_policy().new_event_loop()
}

/// `asyncio.get_event_loop()`: the running loop, else the policy's current
/// loop for this thread.
///
/// # Errors
/// As [`EventLoopPolicy::get_event_loop`].
pub fn get_event_loop() -> Result<EventLoop> {
    get_running_loop().or_else(|_| get_event_loop_policy().get_event_loop())
}

/// `asyncio.set_event_loop(loop)`: through the policy.
pub fn set_event_loop(lp: Option<EventLoop>) {
    get_event_loop_policy().set_event_loop(lp)
}
