//! Where received bytes go for `dataReceived`: slices of a shared
//! pool `Buffer`, as Node's own sockets hand out reads.
//!
//! A fresh `Buffer` per read cost a `malloc` here and a `free` on V8's
//! sweeper thread, and the two threads then fought over the allocator's
//! lock (futex waits in the 1 KiB echo profile). Small reads are instead
//! copied one after the other into a 64 KiB `Buffer`, and JS gets a
//! `Buffer` view of its part; a part is never written again (the next read
//! takes the next part, and a full pool is replaced, not reused), so a
//! protocol may keep what it was given. As with Node's pooled reads, a kept
//! slice keeps its whole pool alive. Reads larger than a quarter of a pool
//! get a `Buffer` of their own. (Handing a large read's buffer to JS
//! whole, to spare that copy, was tried and lost: a new 256 KiB read buffer
//! per read costs more in zeroing and in GC than the copy.)

use std::cell::RefCell;
use std::ptr::null_mut;
use std::rc::Rc;

use napi::sys;

use crate::js_callback::{self, JsEnv, JsRef};

const POOL_SIZE: usize = 64 * 1024;
const MAX_POOLED: usize = POOL_SIZE / 4;

/// The current pool of one env.
pub struct ReadPool {
    env: Rc<JsEnv>,
    current: RefCell<Option<Pool>>,
}

struct Pool {
    buffer: JsRef,
    base: *mut u8,
    used: usize,
}

impl ReadPool {
    pub fn new(env: &Rc<JsEnv>) -> ReadPool {
        ReadPool { env: env.clone(), current: RefCell::new(None) }
    }

    /// A copy of `data` for JS: `(pool, offset, length)` for a slice of a
    /// pool, `(buffer, 0, -1)` for a `Buffer` of its own. Needs an open
    /// handle scope.
    pub fn place(&self, env: sys::napi_env, data: &[u8]) -> (sys::napi_value, f64, f64) {
        let n = data.len();
        if n > MAX_POOLED {
            return (js_callback::buffer_copy(env, data), 0.0, -1.0);
        }
        let mut current = self.current.borrow_mut();
        if current.as_ref().is_none_or(|p| POOL_SIZE - p.used < n) {
            *current = self.new_pool(env);
        }
        let Some(pool) = current.as_mut() else {
            return (js_callback::buffer_copy(env, data), 0.0, -1.0);
        };
        let offset = pool.used;
        // SAFETY: the pool's backing store is POOL_SIZE bytes, kept alive by
        // `pool.buffer`; offset + n <= POOL_SIZE (checked above); the part is
        // not yet visible to JS, so nothing else reads or writes it.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), pool.base.add(offset), n) };
        // Keep parts 8-byte aligned, so typed-array views over them work.
        pool.used = (offset + n + 7) & !7;
        (pool.buffer.get(), offset as f64, n as f64)
    }

    fn new_pool(&self, env: sys::napi_env) -> Option<Pool> {
        let (mut data, mut value) = (null_mut(), null_mut());
        // A Buffer rather than an ArrayBuffer: Node allocates a Buffer's
        // memory without zeroing it (an ArrayBuffer's zeroing showed in the
        // profile). A protocol gets only the parts written below, but the
        // rest is reachable through `data.buffer`, as with Node's own socket
        // reads and `Buffer.allocUnsafe`.
        // SAFETY: env live inside the caller's scope; V8 owns the memory, which
        // stays where it is while the Buffer (referenced below) lives.
        let status = unsafe { sys::napi_create_buffer(env, POOL_SIZE, &mut data, &mut value) };
        if status != sys::Status::napi_ok || data.is_null() {
            return None;
        }
        let buffer = JsRef::new(&self.env, value)?;
        Some(Pool { buffer, base: data.cast(), used: 0 })
    }
}
