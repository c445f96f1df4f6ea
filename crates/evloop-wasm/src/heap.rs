//! The module's allocator: the standard one, counting the bytes in use
//! (`liveObjects().heapBytes`: unlike the size of the wasm memory, which
//! never shrinks, it goes down when memory is freed), and growing the wasm
//! memory in large steps.
//!
//! The standard allocator grows the memory by what it lacks, 64 KiB at a
//! time; each `memory.grow` costs the engine a new buffer object and an
//! adjustment of its external-memory accounting (which may start a garbage
//! collection), so a simulation of 10,000 hosts spent a tenth of its time
//! growing memory 2,000 times. When the bytes in use come near the memory's
//! size, one large block (half the memory) is allocated and freed at once:
//! the allocator grows once and keeps the block for the allocations to come.
//! Pages grown but never written cost no resident memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
/// Above this many bytes in use, grow ahead (0: not yet computed).
static GROW_AT: AtomicUsize = AtomicUsize::new(0);

/// Bytes the allocator has handed out and not got back.
pub(crate) fn bytes_in_use() -> usize {
    IN_USE.load(Ordering::Relaxed)
}

#[cfg(target_arch = "wasm32")]
fn memory_bytes() -> usize {
    core::arch::wasm32::memory_size(0) * 65536
}

#[cfg(not(target_arch = "wasm32"))]
fn memory_bytes() -> usize {
    usize::MAX / 2
}

/// Grows the memory ahead when `in_use` comes near its size.
#[cold]
fn grow_ahead(in_use: usize) {
    let size = memory_bytes();
    if in_use >= size / 10 * 7 {
        let block = (size / 2).max(1 << 20);
        if let Ok(layout) = Layout::from_size_align(block, 16) {
            // SAFETY: a non-zero size; the block is freed with the same layout.
            unsafe {
                let p = System.alloc(layout);
                if !p.is_null() {
                    System.dealloc(p, layout);
                }
            }
        }
    }
    GROW_AT.store(memory_bytes() / 10 * 7, Ordering::Relaxed);
}

fn count_alloc(size: usize) {
    let in_use = IN_USE.fetch_add(size, Ordering::Relaxed) + size;
    if in_use >= GROW_AT.load(Ordering::Relaxed) {
        grow_ahead(in_use);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller keeps GlobalAlloc's contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count_alloc(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as `alloc`.
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count_alloc(layout.size());
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
            count_alloc(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;
