//! Where received bytes go for `dataReceived`: straight into JavaScript
//! memory, slices of a shared slab `Buffer`, as Node's own sockets read
//! into a pooled `ArrayBuffer`.
//!
//! The pool is a JS protocol's read supplier (`evloop::ReadSupplier`):
//! the transport `recv`s into the free part of the current slab
//! (`lend`), the filled part is counted as used (`settle`), and
//! `dataReceived` gets a `Buffer` view of exactly those bytes (`place`):
//! no copy between the socket and the protocol. A part is never written
//! again (the next read takes the next part, and a slab with less than
//! `MIN_ROOM` left is replaced, not reused), so a protocol may keep what
//! it was given; a kept view keeps its whole slab alive, as with Node's
//! pooled reads, and the pool lets go of a replaced slab at once.
//!
//! On the proactor the kernel writes into JavaScript memory itself: the
//! loop's receive blocks are `Buffer`s of the same kind ([`JsRecvMemory`],
//! handed to `EventLoop::proactor_with`), the pool takes each piece where
//! it lies (`adopt`) and `dataReceived` gets a view of it. The ring lets go
//! of a block once the kernel has moved past it and never reuses it, so
//! such a view is the protocol's to keep as well. (Blocks are let go 4 to
//! 16 MiB of traffic after they were made, as the ring has grown: under
//! load that is milliseconds, so V8 frees them in scavenges as it does
//! slabs.)
//!
//! Bytes that did not come through a lease (a TLS layer's plaintext, a
//! read on a loop with another pool) are copied into the slab the same
//! way (a fresh `Buffer` per read cost a `malloc` here and a `free` on
//! V8's sweeper thread, which fought over the allocator's lock); copies
//! larger than a quarter of a slab get a `Buffer` of their own.

use std::any::Any;
use std::cell::RefCell;
use std::ptr::{null_mut, NonNull};
use std::rc::Rc;

use evloop::{HeapReads, ReadLease, ReadSupplier, RecvBlock, RecvMemory};
use napi::sys;

use crate::js_callback::{self, HandleScope, JsEnv, JsRef};

/// Bytes per slab: a 100 KiB message fits, 1 KiB ones ~56 times before
/// the rest is less than `MIN_ROOM`. Kept under glibc's default
/// `M_MMAP_THRESHOLD` (128 KiB) so that slabs come from the heap, whose
/// pages stay mapped: a 256 KiB slab was a fresh `mmap` each time, and the
/// page faults of writing into it cost more than the copy it spared (9%
/// of the CPU at 100 KiB).
const SLAB_SIZE: usize = 120 * 1024;
/// A read is lent at least this much (Node's own read size), or the rest
/// of the request when that is less; a slab with less left is replaced.
const MIN_ROOM: usize = 64 * 1024;
/// Copies larger than this get a `Buffer` of their own.
const MAX_POOLED: usize = SLAB_SIZE / 4;

/// The slabs of one env.
pub struct ReadPool {
    env: Rc<JsEnv>,
    current: RefCell<Option<Current>>,
    /// The part the last read filled (`settle`) or the kernel wrote into a
    /// block (`adopt`), until `place` hands it on.
    settled: RefCell<Option<Settled>>,
}

/// One slab: a `Buffer` whose memory V8 keeps where it is while it lives.
struct Slab {
    buffer: JsRef,
    base: NonNull<u8>,
}

struct Current {
    slab: Rc<Slab>,
    used: usize,
}

struct Settled {
    from: Part,
    offset: usize,
    len: usize,
}

/// Where a settled part lies.
enum Part {
    Slab(Rc<Slab>),
    Block(Rc<RecvBlock>),
}

impl Part {
    fn slab(&self) -> Option<&Slab> {
        match self {
            Part::Slab(slab) => Some(slab),
            Part::Block(block) => block.keep().downcast_ref::<Slab>(),
        }
    }
}

impl ReadPool {
    pub fn new(env: &Rc<JsEnv>) -> ReadPool {
        ReadPool { env: env.clone(), current: RefCell::new(None), settled: RefCell::new(None) }
    }

    /// `data` for JS: `(slab, offset, length)` for a part of a slab (the
    /// very bytes the last read wrote, or a copy), `(buffer, 0, -1)` for a
    /// `Buffer` of its own. Needs an open handle scope.
    pub fn place(&self, env: sys::napi_env, data: &[u8]) -> (sys::napi_value, f64, f64) {
        let settled = self.settled.borrow_mut().take();
        if let Some((s, slab)) = settled.as_ref().and_then(|s| Some((s, s.from.slab()?))) {
            // SAFETY: offset + len lies inside the slab or block (`settle`, `adopt`).
            if std::ptr::eq(unsafe { slab.base.as_ptr().add(s.offset) }.cast_const(), data.as_ptr()) && s.len == data.len() {
                return (slab.buffer.get(), s.offset as f64, s.len as f64);
            }
        }
        let n = data.len();
        if n > MAX_POOLED {
            return (js_callback::buffer_copy(env, data), 0.0, -1.0);
        }
        let Some((slab, offset)) = self.room(env, n) else {
            return (js_callback::buffer_copy(env, data), 0.0, -1.0);
        };
        // SAFETY: the slab's memory is SLAB_SIZE bytes, kept alive by
        // `slab.buffer`; offset + n <= SLAB_SIZE (`room`); the part is not
        // yet visible to JS, so nothing else reads or writes it.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), slab.base.as_ptr().add(offset), n) };
        self.advance(n);
        (slab.buffer.get(), offset as f64, n as f64)
    }

    /// The current slab and where its free part starts, with at least
    /// `need` bytes free (a new slab when it has not).
    fn room(&self, env: sys::napi_env, need: usize) -> Option<(Rc<Slab>, usize)> {
        let mut current = self.current.borrow_mut();
        if current.as_ref().is_none_or(|c| SLAB_SIZE - c.used < need) {
            *current = self.new_slab(env).map(|slab| Current { slab, used: 0 });
        }
        current.as_ref().map(|c| (c.slab.clone(), c.used))
    }

    /// Counts `n` more bytes of the current slab as used; parts stay
    /// 8-byte aligned, so typed-array views over them work.
    fn advance(&self, n: usize) {
        if let Some(c) = self.current.borrow_mut().as_mut() {
            c.used = (c.used + n + 7).min(SLAB_SIZE) & !7;
        }
    }

    fn new_slab(&self, env: sys::napi_env) -> Option<Rc<Slab>> {
        new_buffer(&self.env, env, SLAB_SIZE).map(Rc::new)
    }
}

/// A `Buffer` of `len` bytes for reads to land in. Needs an open handle
/// scope.
fn new_buffer(js_env: &Rc<JsEnv>, env: sys::napi_env, len: usize) -> Option<Slab> {
    let (mut data, mut value) = (null_mut(), null_mut());
    // A Buffer rather than an ArrayBuffer: Node allocates a Buffer's
    // memory without zeroing it (an ArrayBuffer's zeroing showed in the
    // profile). A protocol gets only parts a read or a copy wrote, but
    // the rest is reachable through `data.buffer`, as with Node's own
    // pooled reads and `Buffer.allocUnsafe`.
    // SAFETY: env live inside the caller's scope; V8 owns the memory, which
    // stays where it is while the Buffer (referenced below) lives.
    let status = unsafe { sys::napi_create_buffer(env, len, &mut data, &mut value) };
    if status != sys::Status::napi_ok {
        return None;
    }
    let base = NonNull::new(data.cast::<u8>())?;
    let buffer = JsRef::new(js_env, value)?;
    Some(Slab { buffer, base })
}

/// The blocks a proactor loop receives into: `Buffer`s, as slabs are (see
/// the module docs). Made with the loop's env, which its driver marks dead
/// at teardown after the loop stopped using them (`release_recv_memory`).
pub struct JsRecvMemory {
    env: Rc<JsEnv>,
}

impl JsRecvMemory {
    pub fn new(env: &Rc<JsEnv>) -> JsRecvMemory {
        JsRecvMemory { env: env.clone() }
    }
}

impl RecvMemory for JsRecvMemory {
    fn block(&self, len: usize) -> Option<RecvBlock> {
        if !self.env.is_alive() {
            return None;
        }
        let env = self.env.raw;
        let _scope = HandleScope::open(env);
        let slab = new_buffer(&self.env, env, len)?;
        let base = slab.base;
        // SAFETY: `len` bytes at `base`, V8's memory held in place by the
        // Buffer `slab` references; JS has no view of it until a piece is
        // delivered (`adopt`, `place`).
        Some(unsafe { RecvBlock::from_raw(base, len, Box::new(slab)) })
    }
}

impl ReadSupplier for ReadPool {
    /// The free part of the current slab (at most `max` bytes), or of a
    /// new one when less than `min(max, MIN_ROOM)` is left; the loop's own
    /// buffer if JS memory cannot be had (the env is going away).
    fn lend(&self, max: usize) -> ReadLease {
        if !self.env.is_alive() {
            return HeapReads.lend(max);
        }
        let env = self.env.raw;
        let room = {
            let _scope = HandleScope::open(env);
            self.room(env, max.min(MIN_ROOM))
        };
        let Some((slab, offset)) = room else { return HeapReads.lend(max) };
        let capacity = max.min(SLAB_SIZE - offset);
        // SAFETY: offset < SLAB_SIZE, inside the slab.
        let base = unsafe { NonNull::new_unchecked(slab.base.as_ptr().add(offset)) };
        // SAFETY: bytes offset..offset+capacity of the slab, whose Buffer the
        // lease keeps alive (through `slab`); no earlier part overlaps them
        // (`settle` moves past what a read filled before anything is lent
        // again), and JS gets no view of them before `place`.
        unsafe { ReadLease::from_raw(base, capacity, slab as Rc<dyn Any>) }
    }

    fn settle(&self, lease: &ReadLease) {
        let len = lease.filled().len();
        let mut current = self.current.borrow_mut();
        let Some(c) = current.as_mut() else { return };
        // SAFETY: used <= SLAB_SIZE, inside the slab (or one past its end).
        if !std::ptr::eq(unsafe { c.slab.base.as_ptr().add(c.used) }.cast_const(), lease.base()) {
            return; // the loop's own buffer (`lend` fell back)
        }
        *self.settled.borrow_mut() = Some(Settled { from: Part::Slab(c.slab.clone()), offset: c.used, len });
        drop(current);
        self.advance(len);
    }

    fn release(&self, lease: ReadLease) {
        HeapReads.release(lease);
    }

    /// Bytes the kernel wrote into one of a [`JsRecvMemory`]'s blocks: handed
    /// on where they are (`place`).
    fn adopt(&self, bytes: &[u8], block: &Rc<RecvBlock>) -> bool {
        if !self.env.is_alive() || block.keep().downcast_ref::<Slab>().is_none() {
            return false;
        }
        let Some(offset) = block.offset_of(bytes) else { return false };
        *self.settled.borrow_mut() = Some(Settled { from: Part::Block(block.clone()), offset, len: bytes.len() });
        true
    }
}
