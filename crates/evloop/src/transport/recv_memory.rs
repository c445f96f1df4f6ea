//! Memory a completion back end receives into before it knows which
//! transport the bytes are for: the proactor's provided buffers.
//!
//! By default the proactor receives into memory of its own and copies each
//! piece into what the protocol's [`ReadSupplier`](super::ReadSupplier)
//! lends. A binding whose protocols live in another runtime can instead
//! supply the blocks themselves ([`RecvMemory`], given to
//! `EventLoop::proactor_with`): the kernel then writes into that runtime's
//! memory, and the supplier hands each piece over where it lies
//! ([`ReadSupplier::adopt`](super::ReadSupplier::adopt)), with no copy
//! between the socket and the protocol. A supplied block is never handed to
//! the kernel twice (the protocol may keep views of it): once the kernel
//! has moved past it and every piece of it was delivered, the back end asks
//! for a new one and drops its hold.

use std::any::Any;
use std::ptr::NonNull;

/// Supplies the blocks a completion back end receives into (see the
/// module docs).
pub trait RecvMemory {
    /// A new block of `len` bytes; `None` to have the back end use memory of
    /// its own for this one (the runtime is going away).
    fn block(&self, len: usize) -> Option<RecvBlock>;
}

/// A block of memory the kernel writes received bytes into, front to back,
/// and what keeps it where it is.
pub struct RecvBlock {
    base: NonNull<u8>,
    len: usize,
    keep: Box<dyn Any>,
}

impl RecvBlock {
    /// The `len` bytes at `base`, which `keep` keeps valid and in place.
    ///
    /// # Safety
    /// The memory must be valid for writes of `len` bytes while `keep`
    /// lives, and nothing but the back end may read or write it until a
    /// piece is delivered; delivered pieces are only read.
    pub unsafe fn from_raw(base: NonNull<u8>, len: usize, keep: Box<dyn Any>) -> RecvBlock {
        RecvBlock { base, len, keep }
    }

    /// Where the block starts.
    pub fn as_ptr(&self) -> *const u8 {
        self.base.as_ptr().cast_const()
    }

    #[cfg(target_os = "linux")]
    pub(crate) fn as_mut_ptr(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// Bytes in the block.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the block has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What keeps the block (the supplier's object, to find its runtime's
    /// handle on the memory again).
    pub fn keep(&self) -> &dyn Any {
        &*self.keep
    }

    /// Where `bytes` start in this block, if they lie inside it.
    pub fn offset_of(&self, bytes: &[u8]) -> Option<usize> {
        let offset = (bytes.as_ptr() as usize).checked_sub(self.base.as_ptr() as usize)?;
        (offset <= self.len && self.len - offset >= bytes.len()).then_some(offset)
    }
}
