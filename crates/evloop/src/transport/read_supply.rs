//! Where a transport's reads land, and the one read path every back end
//! shares: memory from a [`ReadSupplier`], filled by the back end, handed
//! to `data_received`.
//!
//! A protocol may supply the memory its bytes are read into
//! ([`Protocol::read_supplier`]): a binding whose protocols live in
//! another runtime (Node) lends that runtime's memory, so the bytes the
//! socket wrote are the bytes the protocol gets, with no copy between. A
//! protocol that supplies nothing reads through the loop's own buffer
//! ([`HeapReads`]: one per thread, reused). The back end only fills what
//! it is lent ([`ReadSource`]): a readiness loop `recv`s into it; a
//! completion (the proactor) already holds the bytes and copies them in,
//! or hands them over as they are when the protocol supplies nothing.
//!
//! A completion back end that received into blocks its binding supplied
//! (`recv_memory.rs`) offers each piece to the supplier first
//! ([`ReadSupplier::adopt`]): the supplier hands the protocol a view of
//! the very bytes the kernel wrote, no copy either.
//!
//! A `BufferedProtocol` lends its own buffer through `get_buffer`, which
//! stays its own path (asyncio's contract: `get_buffer`, then
//! `buffer_updated`).

use std::any::Any;
use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::rc::Rc;

use super::read_buf::ReadBuf;
use super::recv_memory::RecvBlock;
use super::{call_protocol, Protocol, Transport};
use crate::error::Result;

/// Lends the memory a transport reads into before the bytes go to the
/// protocol (see the module docs).
pub trait ReadSupplier {
    /// Memory for one read of at most `max` bytes: at least one byte, and
    /// less than `max` when that is what it has (the read is then shorter).
    fn lend(&self, max: usize) -> ReadLease;
    /// The read is done: `lease.filled()` was written at the start of the
    /// lent memory and goes to the protocol next. Memory after it may be
    /// lent again.
    fn settle(&self, _lease: &ReadLease) {}
    /// The protocol has had the bytes: the lease comes back (to reuse its
    /// memory, or to drop it).
    fn release(&self, _lease: ReadLease) {}
    /// `bytes`, which a completion wrote into `block` (one the loop's
    /// [`RecvMemory`](super::RecvMemory) supplied), go to the protocol next:
    /// `true` if the supplier hands them over where they are (it may keep
    /// the block's memory), `false` to have them copied into memory it
    /// lends, as for any read.
    fn adopt(&self, _bytes: &[u8], _block: &Rc<RecvBlock>) -> bool {
        false
    }
}

/// Memory lent for one read: `capacity()` bytes, of which the read wrote
/// the first `filled().len()`.
pub struct ReadLease {
    base: NonNull<MaybeUninit<u8>>,
    capacity: usize,
    filled: usize,
    keep: Keep,
}

/// What keeps a lease's memory where it is.
enum Keep {
    Vec(Vec<u8>),
    Shared(#[allow(dead_code)] Rc<dyn Any>),
}

impl ReadLease {
    /// Lends the spare capacity of `memory` (its contents are dropped; at
    /// most `max` bytes, at least one).
    pub fn from_vec(mut memory: Vec<u8>, max: usize) -> ReadLease {
        memory.clear();
        memory.reserve(max.max(1));
        let spare = memory.spare_capacity_mut();
        let capacity = spare.len().min(max.max(1));
        let base = NonNull::new(spare.as_mut_ptr()).unwrap_or(NonNull::dangling());
        ReadLease { base, capacity, filled: 0, keep: Keep::Vec(memory) }
    }

    /// Lends `capacity` bytes at `base`, which `keep` keeps alive.
    ///
    /// # Safety
    /// The memory must be valid for reads and writes of `capacity` bytes
    /// while `keep` lives, and nothing else may read or write it until the
    /// supplier's `settle` for this lease (after which only the filled part
    /// is read, by the protocol).
    pub unsafe fn from_raw(base: NonNull<u8>, capacity: usize, keep: Rc<dyn Any>) -> ReadLease {
        ReadLease { base: base.cast(), capacity, filled: 0, keep: Keep::Shared(keep) }
    }

    /// Where the lent memory starts.
    pub fn base(&self) -> *const u8 {
        self.base.as_ptr().cast_const().cast()
    }

    /// How many bytes were lent.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// What the read wrote.
    pub fn filled(&self) -> &[u8] {
        // SAFETY: the first `filled` bytes were written through a `ReadBuf`
        // over this memory (`fill`), which is valid while `keep` lives.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr().cast::<u8>(), self.filled) }
    }

    /// The memory of a lease made [`from_vec`](Self::from_vec), to reuse.
    pub fn into_vec(self) -> Option<Vec<u8>> {
        match self.keep {
            Keep::Vec(v) => Some(v),
            Keep::Shared(_) => None,
        }
    }

    /// Runs one read on the lent memory (from the start: a lease is filled once).
    fn fill<R>(&mut self, read: impl FnOnce(&mut ReadBuf<'_>) -> R) -> R {
        // SAFETY: valid for writes of `capacity` bytes while `keep` lives
        // and lent to no one else (`from_vec`, or the `from_raw` contract).
        let memory = unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr(), self.capacity) };
        let mut buf = ReadBuf::uninit(memory);
        let result = read(&mut buf);
        self.filled = buf.filled().len();
        result
    }
}

/// One `recv` reads at most this much (asyncio's `max_size`).
pub(crate) const MAX_READ: usize = 256 * 1024;

thread_local! {
    /// The loop's read buffer, lent to the transport being read: a
    /// buffer per connection would cost 256 KiB each. Taken while lent, so
    /// a read nested in a protocol call gets a buffer of its own.
    static HEAP_READS: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// The supplier of protocols that supply nothing: the loop's own read
/// buffer, never zeroed (a read only writes).
pub struct HeapReads;

impl ReadSupplier for HeapReads {
    fn lend(&self, max: usize) -> ReadLease {
        let memory = HEAP_READS.with(|b| b.borrow_mut().take()).unwrap_or_default();
        ReadLease::from_vec(memory, max)
    }

    fn release(&self, lease: ReadLease) {
        if let Some(memory) = lease.into_vec() {
            if memory.capacity() <= MAX_READ {
                HEAP_READS.with(|b| *b.borrow_mut() = Some(memory));
            }
        }
    }
}

/// Where a back end's bytes come from.
pub(crate) trait ReadSource {
    /// Writes the next bytes into `buf`: `Ok(Some(n))` for `n` bytes
    /// (0 at EOF), `Ok(None)` when there are none now.
    fn read_into(&mut self, buf: &mut ReadBuf<'_>) -> Result<Option<usize>>;
    /// The bytes, when they are in memory already (a completed read):
    /// taken, to hand them over from there to a protocol that supplies no
    /// memory.
    fn take_in_memory(&mut self) -> Option<&[u8]> {
        None
    }
    /// The bytes and the supplied block they lie in, when they are in one
    /// (not taken: `take_in_memory` takes them).
    fn in_block(&self) -> Option<(&[u8], &Rc<RecvBlock>)> {
        None
    }
}

/// What one read came to.
pub(crate) enum ReadOutcome {
    /// Nothing to read now.
    Nothing,
    /// End of file: the caller calls `Transport::read_ready_eof`.
    Eof,
    /// Bytes went to the protocol.
    Delivered,
    /// The read or the protocol failed; reported (`fatal_error`).
    Failed,
}

/// One read of at most `max` bytes into the protocol's memory, handed to
/// its `data_received`.
pub(crate) fn read_and_deliver(
    t: &Transport,
    protocol: &Rc<dyn Protocol>,
    max: usize,
    source: &mut dyn ReadSource,
) -> ReadOutcome {
    let supplied = protocol.read_supplier();
    if let Some(supplier) = supplied {
        if source.in_block().is_some_and(|(bytes, block)| !bytes.is_empty() && supplier.adopt(bytes, block)) {
            let bytes = source.take_in_memory().unwrap_or_default();
            return deliver(t, protocol, bytes);
        }
    }
    if supplied.is_none() {
        if let Some(bytes) = source.take_in_memory() {
            return match bytes.len() {
                0 => ReadOutcome::Eof,
                _ => deliver(t, protocol, bytes),
            };
        }
    }
    let supplier = supplied.unwrap_or(&HeapReads);
    let mut lease = supplier.lend(max);
    let read = lease.fill(|buf| source.read_into(buf));
    let outcome = match read {
        Ok(None) => ReadOutcome::Nothing,
        Ok(Some(0)) => ReadOutcome::Eof,
        Ok(Some(_)) => {
            supplier.settle(&lease);
            deliver(t, protocol, lease.filled())
        }
        Err(e) => {
            t.fatal_error(e, "Fatal read error on socket transport");
            ReadOutcome::Failed
        }
    };
    supplier.release(lease);
    outcome
}

fn deliver(t: &Transport, protocol: &Rc<dyn Protocol>, bytes: &[u8]) -> ReadOutcome {
    match call_protocol(|| protocol.data_received(bytes)) {
        Ok(()) => ReadOutcome::Delivered,
        Err(e) => {
            t.fatal_error(e, "Fatal error: protocol.data_received() call failed.");
            ReadOutcome::Failed
        }
    }
}

/// A completed read's bytes as a [`ReadSource`]: adopted where they are
/// (in a supplied block), copied into a supplier's memory, or handed over
/// where they are. A supplier that lends less than all of them gets the
/// rest on the next reads of the same source.
#[cfg(any(target_os = "linux", test))]
pub(crate) struct Completed<'a> {
    pub(crate) bytes: &'a [u8],
    block: Option<&'a Rc<RecvBlock>>,
}

#[cfg(any(target_os = "linux", test))]
impl<'a> Completed<'a> {
    /// `bytes`, lying in `block` when that is given.
    pub(crate) fn new(bytes: &'a [u8], block: Option<&'a Rc<RecvBlock>>) -> Completed<'a> {
        Completed { bytes, block }
    }
}

#[cfg(any(target_os = "linux", test))]
impl ReadSource for Completed<'_> {
    fn read_into(&mut self, buf: &mut ReadBuf<'_>) -> Result<Option<usize>> {
        let n = buf.append(self.bytes);
        self.bytes = &self.bytes[n..];
        Ok(Some(n))
    }

    fn take_in_memory(&mut self) -> Option<&[u8]> {
        Some(std::mem::take(&mut self.bytes))
    }

    fn in_block(&self) -> Option<(&[u8], &Rc<RecvBlock>)> {
        Some((self.bytes, self.block?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vec_lease_lends_spare_capacity_up_to_max() {
        let mut lease = ReadLease::from_vec(vec![1, 2, 3], 8);
        assert_eq!(lease.capacity(), 8);
        assert!(lease.filled().is_empty());
        lease.fill(|buf| buf.append(b"hello"));
        assert_eq!(lease.filled(), b"hello");
        assert!(lease.into_vec().is_some());
    }

    #[test]
    fn completed_bytes_fill_short_leases_in_turn() {
        let mut source = Completed::new(b"abcdef", None);
        let mut first = ReadLease::from_vec(Vec::new(), 4);
        assert_eq!(first.fill(|buf| source.read_into(buf)).unwrap(), Some(4));
        assert_eq!(first.filled(), b"abcd");
        assert_eq!(source.take_in_memory(), Some(&b"ef"[..]));
        assert_eq!(source.take_in_memory(), Some(&b""[..]));
    }
}
