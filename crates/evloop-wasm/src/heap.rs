//! The module's allocator: the standard one, counting the bytes in use
//! (`liveObjects().heapBytes`: unlike the size of the wasm memory, which
//! never shrinks, it goes down when memory is freed), and growing the wasm
//! memory in large steps.
//!
//! The standard allocator grows the memory by what it lacks, 64 KiB at a
//! time; each `memory.grow` costs the engine a new buffer object and an
//! adjustment of its external-memory accounting (which may start a garbage
//! collection), so a simulation of 10,000 hosts spent a tenth of its time
//! growing memory 2,000 times. So after each grow the allocator made, one
//! larger block is allocated and freed at once (`grow_ahead`). Pages grown
//! but never written cost no resident memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
/// The memory's size in pages when last seen: a change means the allocator just grew it.
static SEEN_PAGES: AtomicUsize = AtomicUsize::new(0);

/// Bytes the allocator has handed out and not got back.
pub(crate) fn bytes_in_use() -> usize {
    IN_USE.load(Ordering::Relaxed)
}

#[cfg(target_arch = "wasm32")]
fn memory_pages() -> usize {
    core::arch::wasm32::memory_size(0)
}

#[cfg(not(target_arch = "wasm32"))]
fn memory_pages() -> usize {
    0
}

/// Below this size the memory grows as the allocator asks: a process that
/// runs many small simulations one after the other keeps its memory (which
/// never shrinks) as small as they need.
const GROW_AHEAD_FROM: usize = 64 << 20;

/// The allocator has just grown the memory by what it lacked: past
/// [`GROW_AHEAD_FROM`], grow it once more by an eighth, which the allocator
/// keeps for the allocations to come. The memory then grows by about 12% at
/// a time, so the number of grows is logarithmic in its size, and the
/// reserve stays small.
#[cold]
fn grow_ahead() {
    let size = memory_pages() * 65536;
    let block = size / 8;
    if size < GROW_AHEAD_FROM {
        SEEN_PAGES.store(memory_pages(), Ordering::Relaxed);
        return;
    }
    if let Ok(layout) = Layout::from_size_align(block, 16) {
        // SAFETY: a non-zero size; the block is freed with the same layout.
        unsafe {
            let p = System.alloc(layout);
            if !p.is_null() {
                System.dealloc(p, layout);
            }
        }
    }
    SEEN_PAGES.store(memory_pages(), Ordering::Relaxed);
}

fn count_alloc(size: usize) {
    IN_USE.fetch_add(size, Ordering::Relaxed);
    if cfg!(target_arch = "wasm32") && memory_pages() != SEEN_PAGES.load(Ordering::Relaxed) {
        grow_ahead();
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
