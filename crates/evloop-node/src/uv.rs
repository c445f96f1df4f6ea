//! Just enough libuv to drive a loop from Node's own event loop: poll, timer,
//! idle and async handles, started, stopped and closed on the JS thread
//! (`uv_async_send` is the one call made from another thread).
//!
//! The `uv_*` symbols are exported by the `node` binary; the addon leaves them
//! undefined and `dlopen` resolves them, so no headers or link flags are
//! needed. Handles are opaque blocks of `uv_handle_size(kind)` bytes whose
//! first field is `void* data`; we keep an `Rc<T>` there, released by the
//! close callback together with the memory.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ffi::{c_int, c_void};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::rc::Rc;

use napi::sys;

/// `uv_handle_type` values from uv.h; the enum is stable across libuv 1.x.
const UV_ASYNC: c_int = 1;
const UV_IDLE: c_int = 6;
const UV_POLL: c_int = 8;
const UV_TIMER: c_int = 13;
/// `uv_poll_event::UV_READABLE`.
const UV_READABLE: c_int = 1;
/// libuv handles hold pointers and 64-bit counters; 16 covers every field.
const HANDLE_ALIGN: usize = 16;

/// Callback of a poll handle: `(handle, status, events)`.
pub type PollCb = unsafe extern "C" fn(*mut c_void, c_int, c_int);
/// Callback of a timer or idle handle: `(handle)`.
pub type HandleCb = unsafe extern "C" fn(*mut c_void);

extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_handle_get_type(h: *const c_void) -> c_int;
    fn uv_handle_get_loop(h: *const c_void) -> *mut c_void;
    fn uv_update_time(l: *mut c_void);
    fn uv_poll_init(l: *mut c_void, h: *mut c_void, fd: c_int) -> c_int;
    fn uv_poll_start(h: *mut c_void, events: c_int, cb: PollCb) -> c_int;
    fn uv_poll_stop(h: *mut c_void) -> c_int;
    fn uv_timer_init(l: *mut c_void, h: *mut c_void) -> c_int;
    fn uv_timer_start(h: *mut c_void, cb: HandleCb, timeout: u64, repeat: u64) -> c_int;
    fn uv_timer_stop(h: *mut c_void) -> c_int;
    fn uv_idle_init(l: *mut c_void, h: *mut c_void) -> c_int;
    fn uv_idle_start(h: *mut c_void, cb: HandleCb) -> c_int;
    fn uv_idle_stop(h: *mut c_void) -> c_int;
    fn uv_async_init(l: *mut c_void, h: *mut c_void, cb: HandleCb) -> c_int;
    fn uv_async_send(h: *mut c_void) -> c_int;
    fn uv_ref(h: *mut c_void);
    fn uv_unref(h: *mut c_void);
    fn uv_close(h: *mut c_void, cb: Option<HandleCb>);
}

/// Wakes the libuv loop that owns the async handle `h`; callable from any
/// thread (libuv coalesces several sends into one callback).
///
/// # Safety
/// `h` is an initialised async handle that is not closed before this returns.
pub unsafe fn async_send(h: *mut c_void) {
    // SAFETY: per the contract.
    unsafe { uv_async_send(h) };
}

/// Node's libuv loop for this env (the worker's own loop in a worker thread).
pub fn uv_loop_of(env: sys::napi_env) -> Option<NonNull<c_void>> {
    let mut l: *mut sys::uv_loop_s = std::ptr::null_mut();
    // SAFETY: env is the live env of the current call; `l` is a valid out pointer.
    let status = unsafe { sys::napi_get_uv_event_loop(env, &mut l) };
    if status != sys::Status::napi_ok {
        return None;
    }
    NonNull::new(l.cast())
}

/// One libuv handle whose `data` owns an `Rc<T>`. Dropping this value does
/// nothing: only [`UvHandle::close`] releases the handle, because libuv frees
/// it asynchronously.
pub struct UvHandle<T> {
    raw: NonNull<c_void>,
    _data: PhantomData<Rc<T>>,
}

fn layout_of(kind: c_int) -> Layout {
    // SAFETY: uv_handle_size only reads a static table.
    let size = unsafe { uv_handle_size(kind) };
    Layout::from_size_align(size, HANDLE_ALIGN).expect("libuv handle size fits a Layout")
}

impl<T> UvHandle<T> {
    /// Allocates zeroed memory for a handle and stores `data` in its first field.
    fn alloc(kind: c_int, data: Rc<T>) -> NonNull<c_void> {
        let layout = layout_of(kind);
        // SAFETY: the layout has a non-zero size (every uv handle does).
        let raw = unsafe { alloc_zeroed(layout) };
        let Some(raw) = NonNull::new(raw.cast::<c_void>()) else {
            std::alloc::handle_alloc_error(layout)
        };
        // SAFETY: uv_handle_t starts with `void* data`; the block is large and
        // aligned enough for a pointer.
        unsafe { *raw.as_ptr().cast::<*const T>() = Rc::into_raw(data) };
        raw
    }

    /// Undoes `alloc` for a handle libuv never initialised.
    ///
    /// # Safety
    /// `raw` comes from `alloc(kind, ..)` and was never passed to libuv successfully.
    unsafe fn free_uninit(raw: NonNull<c_void>, kind: c_int) {
        // SAFETY: per the contract, data holds the Rc from alloc and the block
        // has the layout of `kind`.
        unsafe {
            drop(Rc::from_raw(*raw.as_ptr().cast::<*const T>()));
            dealloc(raw.as_ptr().cast(), layout_of(kind));
        }
    }

    /// A poll handle watching `fd` (not started).
    pub fn poll(uv_loop: NonNull<c_void>, fd: i32, data: Rc<T>) -> Result<Self, c_int> {
        let raw = Self::alloc(UV_POLL, data);
        // SAFETY: uv_loop is Node's live loop, raw a fresh handle block.
        let rc = unsafe { uv_poll_init(uv_loop.as_ptr(), raw.as_ptr(), fd) };
        if rc != 0 {
            // SAFETY: init failed, so libuv holds no reference to the block.
            unsafe { Self::free_uninit(raw, UV_POLL) };
            return Err(rc);
        }
        Ok(UvHandle {
            raw,
            _data: PhantomData,
        })
    }

    /// A timer handle (not started).
    pub fn timer(uv_loop: NonNull<c_void>, data: Rc<T>) -> Self {
        let raw = Self::alloc(UV_TIMER, data);
        // SAFETY: as in `poll`; uv_timer_init cannot fail.
        unsafe { uv_timer_init(uv_loop.as_ptr(), raw.as_ptr()) };
        UvHandle {
            raw,
            _data: PhantomData,
        }
    }

    /// An idle handle (not started).
    pub fn idle(uv_loop: NonNull<c_void>, data: Rc<T>) -> Self {
        let raw = Self::alloc(UV_IDLE, data);
        // SAFETY: as in `poll`; uv_idle_init cannot fail.
        unsafe { uv_idle_init(uv_loop.as_ptr(), raw.as_ptr()) };
        UvHandle {
            raw,
            _data: PhantomData,
        }
    }

    /// An async handle: `cb` runs on the loop's thread after any thread
    /// calls [`async_send`]. Active (and referenced) from the start.
    pub fn async_handle(uv_loop: NonNull<c_void>, data: Rc<T>, cb: HandleCb) -> Result<Self, c_int> {
        let raw = Self::alloc(UV_ASYNC, data);
        // SAFETY: uv_loop is Node's live loop, raw a fresh handle block.
        let rc = unsafe { uv_async_init(uv_loop.as_ptr(), raw.as_ptr(), cb) };
        if rc != 0 {
            // SAFETY: init failed, so libuv holds no reference to the block.
            unsafe { Self::free_uninit(raw, UV_ASYNC) };
            return Err(rc);
        }
        Ok(UvHandle {
            raw,
            _data: PhantomData,
        })
    }

    /// The raw handle, for [`async_send`] from another thread.
    pub fn raw(&self) -> *mut c_void {
        self.raw.as_ptr()
    }

    /// Makes the handle keep the libuv loop (and so Node) alive while active.
    pub fn set_ref(&self, referenced: bool) {
        // SAFETY: self.raw is an initialised, unclosed handle.
        unsafe {
            if referenced {
                uv_ref(self.raw.as_ptr());
            } else {
                uv_unref(self.raw.as_ptr());
            }
        }
    }

    /// The `T` stored in a handle that libuv passed to a callback.
    ///
    /// # Safety
    /// `h` is a handle created by this type with the same `T` and not yet
    /// closed; the reference must not outlive the callback.
    pub unsafe fn data<'a>(h: *mut c_void) -> &'a T {
        // SAFETY: per the contract, the first field holds Rc::into_raw(Rc<T>).
        unsafe { &**h.cast::<*const T>() }
    }

    /// Starts watching for readability (a poll handle).
    pub fn poll_start(&self, cb: PollCb) -> c_int {
        // SAFETY: self.raw is an initialised, unclosed poll handle.
        unsafe { uv_poll_start(self.raw.as_ptr(), UV_READABLE, cb) }
    }

    /// Stops a poll handle; a no-op when it is not active.
    pub fn poll_stop(&self) {
        // SAFETY: self.raw is an initialised, unclosed poll handle.
        unsafe { uv_poll_stop(self.raw.as_ptr()) };
    }

    /// (Re)starts a one-shot timer `ms` milliseconds after now.
    pub fn timer_start(&self, cb: HandleCb, ms: u64) {
        // SAFETY: self.raw is an initialised, unclosed timer handle. The loop
        // clock is refreshed first: it is cached at the start of each libuv
        // turn, and callbacks may have run long since.
        unsafe {
            uv_update_time(uv_handle_get_loop(self.raw.as_ptr()));
            uv_timer_start(self.raw.as_ptr(), cb, ms, 0);
        }
    }

    /// Stops a timer handle; a no-op when it is not active.
    pub fn timer_stop(&self) {
        // SAFETY: self.raw is an initialised, unclosed timer handle.
        unsafe { uv_timer_stop(self.raw.as_ptr()) };
    }

    /// Starts an idle handle; a no-op when it is already active.
    pub fn idle_start(&self, cb: HandleCb) {
        // SAFETY: self.raw is an initialised, unclosed idle handle.
        unsafe { uv_idle_start(self.raw.as_ptr(), cb) };
    }

    /// Stops an idle handle; a no-op when it is not active.
    pub fn idle_stop(&self) {
        // SAFETY: self.raw is an initialised, unclosed idle handle.
        unsafe { uv_idle_stop(self.raw.as_ptr()) };
    }

    /// Closes the handle (this also stops it). libuv calls back on a later
    /// turn, and only then are the `Rc<T>` and the memory released.
    pub fn close(self) {
        // SAFETY: self.raw is initialised and, since `close` consumes self,
        // closed exactly once.
        unsafe { uv_close(self.raw.as_ptr(), Some(on_closed::<T>)) };
    }
}

/// Releases what `alloc` set up, once libuv is done with the handle.
unsafe extern "C" fn on_closed<T>(h: *mut c_void) {
    // SAFETY: libuv passes the handle given to uv_close; it came from
    // `UvHandle::<T>::alloc`, so data holds an Rc<T> and the block has the
    // layout of its handle type. libuv no longer touches it after this call.
    unsafe {
        let kind = uv_handle_get_type(h);
        drop(Rc::from_raw(*h.cast::<*const T>()));
        dealloc(h.cast(), layout_of(kind));
    }
}
