//! `callSoonThreadsafe` from other threads (Node workers).
//!
//! A JS function cannot cross to another thread, and neither can the loop
//! object: a worker has its own JS heap. What can cross is a number and
//! bytes. So a loop hands out a *token* (`createRemote(callback)`); any
//! thread of the process turns it into a `NativeLoopRemote`, whose `send`
//! queues the bytes (the package serialises the arguments with `node:v8`)
//! through the core's `LoopRemote` (its inbox plus a selector wake-up), and
//! the loop's thread delivers them to `callback` in a coming iteration.
//! `stop` queues `loop.stop()` the same way.
//!
//! The wake-up reaches Node's libuv loop as for any I/O: the selector's
//! waker is in the epoll set that libuv watches, and for poll/select loops
//! the watcher thread waits on the self-pipe too (`watcher.rs`).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use evloop::{EventLoop, LoopRemote};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::driver::{self, DriverCore};
use crate::errors::{self, ErrCode, JsResult};
use crate::js_callback::JsRef;

/// Tokens of live remotes, process-wide (workers share the addon).
static REMOTES: Mutex<BTreeMap<u64, Target>> = Mutex::new(BTreeMap::new());
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

#[derive(Clone)]
struct Target {
    remote: LoopRemote,
    has_callback: bool,
}

/// The loop's side of a token, on the loop's own thread.
struct Local {
    /// The loop that created the token.
    loop_id: u64,
    /// Where its messages go (`None`: a remote for `stop` only).
    callback: Option<Rc<JsRef>>,
}

thread_local! {
    /// The tokens the loops of this thread created.
    static LOCAL: RefCell<HashMap<u64, Local>> = RefCell::new(HashMap::new());
}

fn registry() -> std::sync::MutexGuard<'static, BTreeMap<u64, Target>> {
    REMOTES.lock().unwrap_or_else(|p| p.into_inner())
}

/// A new token for the loop `driver` drives, delivering to `callback`; it
/// is invalidated when the driver is disposed.
///
/// # Errors
/// `RuntimeError('Event loop is closed')`.
pub fn register(driver: &DriverCore, callback: Option<JsRef>) -> evloop::Result<u64> {
    let lp = driver.event_loop();
    if lp.is_closed() {
        return Err(evloop::Error::loop_closed());
    }
    let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    let has_callback = callback.is_some();
    registry().insert(token, Target { remote: lp.remote(), has_callback });
    let local = Local { loop_id: lp.id(), callback: callback.map(Rc::new) };
    LOCAL.with(|l| l.borrow_mut().insert(token, local));
    driver.on_dispose(Box::new(move || forget(token)));
    Ok(token)
}

/// Invalidates `token` if the loop `lp` created it; whether it did.
pub fn close(lp: &EventLoop, token: u64) -> bool {
    let ours = LOCAL
        .try_with(|l| l.borrow().get(&token).is_some_and(|local| local.loop_id == lp.id()))
        .unwrap_or(false);
    if ours {
        forget(token);
    }
    ours
}

/// Invalidates a token (its loop closed or went away, or `close()`).
fn forget(token: u64) {
    registry().remove(&token);
    // Dropped outside the borrow: dropping a reference may run a finalizer.
    let local = LOCAL.try_with(|l| l.borrow_mut().remove(&token)).ok().flatten();
    drop(local);
}

fn lookup(token: u64) -> JsResult<Target> {
    registry().get(&token).cloned().ok_or_else(|| {
        errors::runtime_error(format!(
            "LoopRemote: token {token} is not open (its loop closed, or close() was called)"
        ))
    })
}

/// Runs on the loop's thread, in an iteration: hands the message to the
/// token's callback (dropped if the token was closed meanwhile).
fn deliver(lp: &EventLoop, token: u64, bytes: &[u8]) {
    let callback = LOCAL.try_with(|l| l.borrow().get(&token).and_then(|local| local.callback.clone()));
    let Ok(Some(callback)) = callback else { return };
    if let Some(driver) = driver::driver_of(lp) {
        driver.entry().deliver_remote(&callback, bytes);
    }
}

/// A loop seen from any thread, by token.
#[napi(js_name = "NativeLoopRemote")]
pub struct JsLoopRemote {
    token: u64,
}

#[napi]
impl JsLoopRemote {
    /// The remote of an open token.
    #[napi(factory, catch_unwind)]
    pub fn from_token(token: f64) -> napi::Result<JsLoopRemote, ErrCode> {
        if !(token.is_finite() && token >= 1.0 && token.fract() == 0.0) {
            return Err(errors::type_error(format!(
                "LoopRemote.fromToken(): token must be a positive integer, got {token}"
            )));
        }
        let token = token as u64;
        lookup(token)?;
        Ok(JsLoopRemote { token })
    }

    #[napi(getter, catch_unwind)]
    pub fn token(&self) -> f64 {
        self.token as f64
    }

    /// Queues `bytes` for the loop's callback; wakes the loop.
    #[napi(catch_unwind)]
    pub fn send(&self, bytes: Buffer) -> napi::Result<JsThreadsafeHandle, ErrCode> {
        let target = lookup(self.token)?;
        if !target.has_callback {
            return Err(errors::runtime_error(
                "callSoonThreadsafe(): this LoopRemote was created without a callback",
            ));
        }
        let token = self.token;
        let bytes: Vec<u8> = bytes.to_vec();
        let inner = target
            .remote
            .call_soon_threadsafe(move |lp| deliver(lp, token, &bytes))
            .map_err(errors::from_core)?;
        Ok(JsThreadsafeHandle { inner })
    }

    /// Queues `loop.stop()`; wakes the loop.
    #[napi(catch_unwind)]
    pub fn stop(&self) -> napi::Result<JsThreadsafeHandle, ErrCode> {
        let target = lookup(self.token)?;
        let inner = target
            .remote
            .call_soon_threadsafe(|lp| lp.stop())
            .map_err(errors::from_core)?;
        Ok(JsThreadsafeHandle { inner })
    }
}

/// A call queued from another thread; cancelling is safe from any thread
/// (asyncio 3.14's `_ThreadSafeHandle`).
#[napi(js_name = "ThreadsafeHandle")]
pub struct JsThreadsafeHandle {
    inner: evloop::ThreadsafeHandle,
}

#[napi]
impl JsThreadsafeHandle {
    /// Cancels the call if it has not run yet.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    #[napi(catch_unwind)]
    pub fn cancelled(&self) -> bool {
        self.inner.cancelled()
    }
}
