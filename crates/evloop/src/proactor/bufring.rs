//! The provided-buffer ring of one proactor (`IORING_REGISTER_PBUF_RING`):
//! receive buffers the kernel picks from only when data arrives, so an
//! idle connection holds no receive memory and a multishot receive needs
//! no buffer per submission.
//!
//! The ring (`ENTRIES` descriptors) and the loop's own buffers (`OWN` x
//! `BUF_SIZE` bytes) are two anonymous mappings: page-aligned as the kernel requires,
//! and only the pages data was written to become resident. A completion
//! names the buffer it filled (`IORING_CQE_F_BUFFER`); the loop holds it as
//! a [`ProvidedBuf`] while the transport reads it, and dropping that gives
//! the buffer back to the kernel (a descriptor at the tail, then the tail
//! published with a release store the kernel's acquire load pairs with).
//!
//! **Incremental consumption** (`IOU_PBUF_RING_INC`, Linux 6.12): a receive
//! takes only the bytes it needs from the buffer at the ring's head, so one
//! 64 KiB buffer holds the next sixty-four 1 KiB receives of any connection
//! instead of one. Without it, 100 busy connections emptied the 64 buffers
//! between two reaps and a fifth of the multishot receives ended with
//! `ENOBUFS` (each costing a single receive and a new multishot). A buffer
//! then goes back to the kernel when the kernel has moved past it (a
//! completion without `IORING_CQE_F_BUF_MORE`) **and** every piece of it
//! lent to the loop has been dropped; we track where the kernel writes next
//! in each buffer because the completion names only the buffer. On older
//! kernels the ring is registered without the flag and every completion
//! takes a whole buffer, as before.
//!
//! **Supplied blocks** (`recv_memory.rs`): a loop made with a
//! [`RecvMemory`] hands the kernel the supplier's blocks instead of its own
//! mapping (incremental rings only: with whole buffers every small receive
//! would use up a block), so the kernel writes into the runtime's memory
//! and the protocol's supplier takes the pieces where they lie. A supplied
//! block is never handed to the kernel twice: where an own buffer would go
//! back, its slot gets a new block and the old one is let go (whoever kept
//! views of it keeps it alive). A binding whose runtime frees that memory
//! at its own teardown calls [`BufRing::unregister`] first.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::cqueue;
use io_uring::types::BufRingEntry;
use io_uring::IoUring;

use crate::transport::{RecvBlock, RecvMemory};

/// Buffer group id of the stream receives.
pub(crate) const GROUP: u16 = 0;
/// Descriptors in the ring (a power of two, as the kernel requires): the
/// most buffers it can have.
const ENTRIES: u16 = 256;
/// The loop's own buffers. Supplied blocks start as many, and double each
/// time the kernel finds none free, up to `ENTRIES` ([`BufRing::grow`]): a
/// receive that finds none goes into the transport's own buffer, and a
/// protocol with supplied memory then gets a copy. 100 connections echoing
/// 100 KiB each sent a quarter of their bytes that way with 64.
const OWN: u16 = 64;

/// Bytes per buffer: asyncio's proactor `buffer_size`.
pub(crate) const BUF_SIZE: usize = 64 * 1024;
/// `IOU_PBUF_RING_INC` (not exported by the io-uring crate).
const IOU_PBUF_RING_INC: u16 = 2;

/// An anonymous mapping, unmapped on drop.
struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Mapping {
    fn new(len: usize) -> io::Result<Mapping> {
        // SAFETY: a fresh private anonymous mapping; checked below.
        let ptr = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping { ptr: ptr.cast(), len })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: our own mapping, unmapped once.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// The registered ring and its buffers. Kept (`Rc`) by the ring's state
/// and by every buffer lent out; the mappings outlive the registration
/// because the state drops its `Rc` only after the io_uring is closed.
pub(crate) struct BufRing {
    ring: Mapping,
    bufs: Mapping,
    /// Our copy of the tail: descriptors up to here are the kernel's.
    tail: Cell<u16>,
    /// Registered with `IOU_PBUF_RING_INC`.
    incremental: bool,
    /// Supplies the blocks (incremental rings only), instead of `bufs`.
    memory: Option<Rc<dyn RecvMemory>>,
    /// Still registered: `unregister` was not called.
    registered: Cell<bool>,
    /// Buffers made so far (ids `0..count`; past `OWN`, supplied only).
    count: Cell<u16>,
    /// A completion took a buffer since the ring last grew.
    taken_since_growth: Cell<bool>,
    /// Per buffer, what it takes to give it back.
    slots: Box<[Slot]>,
}

/// One buffer's state while the kernel or the loop has it.
#[derive(Default)]
struct Slot {
    /// The supplied block this buffer is, or `None` for its part of `bufs`.
    block: RefCell<Option<Rc<RecvBlock>>>,
    /// Bytes the kernel has filled so far (its next receive writes here).
    filled: Cell<u32>,
    /// Pieces lent to the loop and not yet dropped.
    lent: Cell<u32>,
    /// The kernel has moved past this buffer.
    released: Cell<bool>,
}

impl BufRing {
    /// Maps the ring and the buffers, registers the ring with `uring` as
    /// group [`GROUP`], consumed incrementally where the kernel can, and
    /// hands every buffer to the kernel (`memory`'s blocks when incremental).
    ///
    /// # Errors
    /// The mapping or the registration failed (a kernel before 5.19).
    pub(crate) fn register(uring: &IoUring, memory: Option<Rc<dyn RecvMemory>>) -> io::Result<Rc<BufRing>> {
        let ring = Mapping::new(ENTRIES as usize * std::mem::size_of::<BufRingEntry>())?;
        let bufs = Mapping::new(OWN as usize * BUF_SIZE)?;
        let slots = (0..ENTRIES).map(|_| Slot::default()).collect();
        let mut br = BufRing {
            ring,
            bufs,
            tail: Cell::new(0),
            incremental: true,
            memory,
            registered: Cell::new(true),
            count: Cell::new(OWN),
            taken_since_growth: Cell::new(true),
            slots,
        };
        let register = |flags| {
            // SAFETY: the ring mapping stays valid until the io_uring is
            // closed (the state drops this `Rc` after the io_uring, see above).
            // It holds no descriptor yet (the tail is 0).
            unsafe { uring.submitter().register_buf_ring_with_flags(br.ring.ptr as u64, ENTRIES, GROUP, flags) }
        };
        match register(IOU_PBUF_RING_INC) {
            Ok(()) => {}
            // Before Linux 6.12 the flag is unknown: whole buffers.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                register(0)?;
                br.incremental = false;
                br.memory = None;
            }
            Err(e) => return Err(e),
        }
        for bid in 0..OWN {
            *br.slots[bid as usize].block.borrow_mut() = br.supplied_block();
            br.put(bid);
        }
        br.publish();
        Ok(Rc::new(br))
    }

    /// The kernel found no buffer free (`ENOBUFS`): with supplied blocks,
    /// as many more as there are, up to `ENTRIES`. `false` when the ring
    /// cannot grow (own buffers, at its size, or no block to be had). The
    /// `ENOBUFS` of several receives in one reap are one shortage: the ring
    /// grows again only once a buffer was taken since.
    pub(crate) fn grow(&self) -> bool {
        if self.memory.is_none() || !self.registered.get() {
            return false;
        }
        if !self.taken_since_growth.get() {
            return true;
        }
        let count = self.count.get();
        // Ids whose replacement block could not be had first, then new ones.
        let empty = (OWN..count).filter(|&bid| self.slots[bid as usize].block.borrow().is_none());
        let mut added = 0;
        for bid in empty.chain(count..(count * 2).min(ENTRIES)).take(count as usize) {
            let Some(block) = self.supplied_block() else { break };
            *self.slots[bid as usize].block.borrow_mut() = Some(block);
            self.put(bid);
            self.count.set(self.count.get().max(bid + 1));
            added += 1;
        }
        self.publish();
        if added > 0 {
            self.taken_since_growth.set(false);
        }
        added > 0
    }

    /// A new block from the supplier, if there is one and it has one.
    fn supplied_block(&self) -> Option<Rc<RecvBlock>> {
        let block = self.memory.as_ref()?.block(BUF_SIZE)?;
        (block.len() >= BUF_SIZE).then(|| Rc::new(block))
    }

    /// Whether [`unregister`](Self::unregister) was not called.
    pub(crate) fn is_registered(&self) -> bool {
        self.registered.get()
    }

    /// Takes the ring from the kernel, which then selects no buffer of it
    /// again (multishot receives end with `ENOBUFS`): for a binding whose
    /// runtime is about to free the supplied blocks. The proactor issues
    /// receives inline (never `IOSQE_ASYNC`, no `SQPOLL`), so the kernel
    /// selects a buffer and copies into it under the ring's lock, which the
    /// unregistration takes: no write into a block follows it. Pieces
    /// already completed stay readable while their blocks are alive; blocks
    /// are let go as their pieces are dropped, the rest with the ring.
    /// `false` if the kernel refused (the caller must then stop the
    /// receives some other way).
    pub(crate) fn unregister(&self, uring: &IoUring) -> bool {
        if !self.registered.get() {
            return true;
        }
        match uring.submitter().unregister_buf_ring(GROUP) {
            Ok(()) => {
                self.registered.set(false);
                true
            }
            Err(e) => {
                log::error!(target: "evloop", "io_uring: cannot unregister the receive buffers: {e}");
                false
            }
        }
    }

    fn entries(&self) -> *mut BufRingEntry {
        self.ring.ptr.cast()
    }

    /// Writes buffer `bid`'s descriptor at our tail (not yet published).
    fn put(&self, bid: u16) {
        let tail = self.tail.get();
        let slot = (tail & (ENTRIES - 1)) as usize;
        let addr = self.base(bid, self.slots[bid as usize].block.borrow().as_deref());
        // SAFETY: `slot` < ENTRIES; descriptors past the published tail are
        // ours to write. The address is buffer `bid`: BUF_SIZE bytes of our
        // mapping or of a block the slot holds until the buffer comes back.
        unsafe {
            let e = &mut *self.entries().add(slot);
            e.set_addr(addr as u64);
            e.set_len(BUF_SIZE as u32);
            e.set_bid(bid);
        }
        self.tail.set(tail.wrapping_add(1));
    }

    /// Where buffer `bid` starts: in `block`, its supplied block, or else
    /// its part of our mapping (only ids below `OWN` are ever without a
    /// block: `grow` and `give_back` keep the others out of the ring).
    fn base(&self, bid: u16, block: Option<&RecvBlock>) -> *mut u8 {
        match block {
            Some(block) => block.as_mut_ptr(),
            // SAFETY: bid < OWN, so the buffer lies inside the mapping.
            None => unsafe { self.bufs.ptr.add(bid as usize * BUF_SIZE) },
        }
    }

    /// Makes the descriptors written so far visible to the kernel.
    fn publish(&self) {
        // SAFETY: the tail field lies in the ring mapping and is only
        // written by us; the kernel reads it with an acquire load.
        let tail = unsafe { &*(BufRingEntry::tail(self.entries()) as *const AtomicU16) };
        tail.store(self.tail.get(), Ordering::Release);
    }

    /// The piece of buffer `bid` a completion (`res`, `flags`) filled. Must
    /// be called for every completion naming a buffer, in the order reaped:
    /// the kernel fills each buffer front to back in that order.
    pub(crate) fn take(self: &Rc<Self>, bid: u16, res: i32, flags: u32) -> ProvidedBuf {
        let bid = bid % ENTRIES;
        let slot = &self.slots[bid as usize];
        let offset = slot.filled.get() as usize;
        let len = (res.max(0) as usize).min(BUF_SIZE - offset);
        slot.filled.set((offset + len) as u32);
        // An incremental buffer stays the kernel's while `BUF_MORE` says so;
        // a failed or empty receive consumed nothing of it.
        if !self.incremental || (res > 0 && !cqueue::buffer_more(flags)) {
            slot.released.set(true);
        }
        slot.lent.set(slot.lent.get() + 1);
        self.taken_since_growth.set(true);
        let block = slot.block.borrow().clone();
        ProvidedBuf { ring: self.clone(), bid, offset, len, block }
    }

    /// A piece of buffer `bid` was dropped: the buffer goes back to the
    /// kernel once the kernel is done with it and no piece is left.
    fn give_back(&self, bid: u16) {
        let slot = &self.slots[bid as usize];
        let lent = slot.lent.get() - 1;
        slot.lent.set(lent);
        if lent == 0 && slot.released.get() {
            slot.released.set(false);
            slot.filled.set(0);
            if !self.registered.get() {
                // The kernel takes nothing from this ring any more: a supplied
                // block is let go, nothing goes back.
                let old = slot.block.take();
                drop(old);
                return;
            }
            // A supplied block may be kept by the protocols it was delivered
            // to: the slot takes a new one, and the old one goes (dropped
            // outside the borrow: its keeper may be a runtime's handle).
            let old = if self.memory.is_some() { slot.block.replace(self.supplied_block()) } else { None };
            if bid >= OWN && slot.block.borrow().is_none() {
                // No own memory behind this id: it stays out of the ring
                // until the ring grows again (`grow` refills it first).
                drop(old);
                return;
            }
            self.put(bid);
            self.publish();
            drop(old);
        }
    }
}

/// A piece of a buffer the kernel filled, lent to the loop until dropped.
pub(crate) struct ProvidedBuf {
    ring: Rc<BufRing>,
    bid: u16,
    offset: usize,
    len: usize,
    /// The supplied block the buffer is, if it is one.
    block: Option<Rc<RecvBlock>>,
}

impl ProvidedBuf {
    /// The bytes the kernel wrote.
    pub(crate) fn data(&self) -> &[u8] {
        let base = self.ring.base(self.bid, self.block.as_deref());
        // SAFETY: the kernel wrote `len` bytes at `offset` into buffer `bid`
        // (`offset + len <= BUF_SIZE`); it writes further receives only past
        // them, and the buffer is not handed back (nor its block let go)
        // while this piece lives.
        unsafe { std::slice::from_raw_parts(base.add(self.offset), self.len) }
    }

    /// The supplied block the bytes lie in, if they lie in one.
    pub(crate) fn block(&self) -> Option<&Rc<RecvBlock>> {
        self.block.as_ref()
    }

    /// The piece, kept without keeping the ring's buffer (which every
    /// connection shares): where it lies when that is a supplied block,
    /// else (the ring's own memory, written again once back) a copy.
    pub(crate) fn keep(self) -> Result<KeptPiece, Vec<u8>> {
        match &self.block {
            Some(block) => Ok(KeptPiece { block: block.clone(), offset: self.offset, len: self.len }),
            None => Err(self.data().to_vec()),
        }
    }
}

/// A piece of a supplied block, kept after its buffer went back: a block
/// goes to the kernel once and it writes only past what it filled, so the
/// bytes stay as they are while the piece holds the block.
pub(crate) struct KeptPiece {
    block: Rc<RecvBlock>,
    offset: usize,
    len: usize,
}

impl KeptPiece {
    pub(crate) fn data(&self) -> &[u8] {
        debug_assert!(self.offset + self.len <= self.block.len());
        // SAFETY: the kernel wrote `len` bytes at `offset` into the block
        // (`take` keeps `offset + len <= BUF_SIZE`, and a supplied block is
        // at least `BUF_SIZE` long), which is alive while `self.block` is and
        // never written there again.
        unsafe { std::slice::from_raw_parts(self.block.as_ptr().add(self.offset), self.len) }
    }

    pub(crate) fn block(&self) -> &Rc<RecvBlock> {
        &self.block
    }
}

impl Drop for ProvidedBuf {
    fn drop(&mut self) {
        self.ring.give_back(self.bid);
    }
}
