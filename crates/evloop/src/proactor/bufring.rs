//! The provided-buffer ring of one proactor (`IORING_REGISTER_PBUF_RING`):
//! receive buffers the kernel picks from only when data arrives, so an
//! idle connection holds no receive memory and a multishot receive needs
//! no buffer per submission.
//!
//! The ring (`ENTRIES` descriptors) and the buffers (`ENTRIES` x `BUF_SIZE`
//! bytes) are two anonymous mappings: page-aligned as the kernel requires,
//! and only the pages data was written to become resident. A completion
//! names the buffer it filled (`IORING_CQE_F_BUFFER`); the loop holds it as
//! a [`ProvidedBuf`] while the transport reads it, and dropping that gives
//! the buffer back to the kernel (a descriptor at the tail, then the tail
//! published with a release store the kernel's acquire load pairs with).

use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::types::BufRingEntry;
use io_uring::IoUring;

/// Buffer group id of the stream receives.
pub(crate) const GROUP: u16 = 0;
/// Buffers in the ring (a power of two, as the kernel requires).
const ENTRIES: u16 = 64;
/// Bytes per buffer: asyncio's proactor `buffer_size`.
pub(crate) const BUF_SIZE: usize = 64 * 1024;

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
}

impl BufRing {
    /// Maps the ring and the buffers, hands every buffer to the kernel and
    /// registers the ring with `uring` as group [`GROUP`].
    ///
    /// # Errors
    /// The mapping or the registration failed (a kernel before 5.19).
    pub(crate) fn register(uring: &IoUring) -> io::Result<Rc<BufRing>> {
        let ring = Mapping::new(ENTRIES as usize * std::mem::size_of::<BufRingEntry>())?;
        let bufs = Mapping::new(ENTRIES as usize * BUF_SIZE)?;
        let br = BufRing { ring, bufs, tail: Cell::new(0) };
        for bid in 0..ENTRIES {
            br.put(bid);
        }
        br.publish();
        // SAFETY: the ring mapping stays valid until the io_uring is closed
        // (the state drops this `Rc` after the io_uring, see above).
        unsafe { uring.submitter().register_buf_ring_with_flags(br.ring.ptr as u64, ENTRIES, GROUP, 0)? };
        Ok(Rc::new(br))
    }

    fn entries(&self) -> *mut BufRingEntry {
        self.ring.ptr.cast()
    }

    /// Writes buffer `bid`'s descriptor at our tail (not yet published).
    fn put(&self, bid: u16) {
        let tail = self.tail.get();
        let slot = (tail & (ENTRIES - 1)) as usize;
        // SAFETY: `slot` < ENTRIES; descriptors past the published tail are
        // ours to write. The address is buffer `bid` inside our mapping.
        unsafe {
            let e = &mut *self.entries().add(slot);
            e.set_addr(self.bufs.ptr.add(bid as usize * BUF_SIZE) as u64);
            e.set_len(BUF_SIZE as u32);
            e.set_bid(bid);
        }
        self.tail.set(tail.wrapping_add(1));
    }

    /// Makes the descriptors written so far visible to the kernel.
    fn publish(&self) {
        // SAFETY: the tail field lies in the ring mapping and is only
        // written by us; the kernel reads it with an acquire load.
        let tail = unsafe { &*(BufRingEntry::tail(self.entries()) as *const AtomicU16) };
        tail.store(self.tail.get(), Ordering::Release);
    }

    /// The buffer the kernel filled with `len` bytes for a completion.
    pub(crate) fn take(self: &Rc<Self>, bid: u16, len: usize) -> ProvidedBuf {
        ProvidedBuf { ring: self.clone(), bid: bid % ENTRIES, len: len.min(BUF_SIZE) }
    }
}

/// A buffer the kernel filled, lent to the loop until dropped.
pub(crate) struct ProvidedBuf {
    ring: Rc<BufRing>,
    bid: u16,
    len: usize,
}

impl ProvidedBuf {
    /// The bytes the kernel wrote.
    pub(crate) fn data(&self) -> &[u8] {
        // SAFETY: the kernel wrote `len` (<= BUF_SIZE) bytes into buffer
        // `bid`, which is ours until we hand it back in `drop`.
        unsafe { std::slice::from_raw_parts(self.ring.bufs.ptr.add(self.bid as usize * BUF_SIZE), self.len) }
    }
}

impl Drop for ProvidedBuf {
    /// Hands the buffer back to the kernel.
    fn drop(&mut self) {
        self.ring.put(self.bid);
        self.ring.publish();
    }
}
