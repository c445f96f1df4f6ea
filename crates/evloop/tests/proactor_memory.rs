//! A proactor transport whose connection is lost holds no receive buffer,
//! however long something keeps the transport. In Node a transport lives
//! until the collector takes its JavaScript object, which under churn is
//! hundreds of closed connections later: each kept its 64 KiB spare
//! receive buffer until then, and the server's RSS grew by tens of MiB
//! (docs/reliability.md, "The io_uring server's RSS under churn").
//!
//! The heap is measured by a counting allocator around the system one: its
//! own binary, one test, so no other test allocates meanwhile.

#![cfg(target_os = "linux")]

mod util;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicIsize, Ordering};

use evloop::EventLoop;
use util::net::*;

struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only
// the sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Connections made, each sending a line and closing; the server's
/// protocols (which hold their transports) are all kept.
const CONNECTIONS: usize = 200;

#[test]
fn lost_transports_kept_alive_hold_no_receive_buffer() {
    let lp = EventLoop::proactor().unwrap();
    let made = Made::default();
    let (_server, addr) = serve(&lp, &made, Recorder::default);
    let connection = |i: usize| {
        let mut c = client(addr);
        c.write_all(b"churn\n").unwrap();
        run_until(&lp, "the line", || made.len() == i + 1 && made.get(i).data() == b"churn\n");
        drop(c);
        run_until(&lp, "connection_lost", || made.get(i).lost());
    };
    // Warm-up: the ring's tables, the server's maps, the loop's queues.
    for i in 0..10 {
        connection(i);
    }
    let before = LIVE_BYTES.load(Ordering::Relaxed);
    for i in 10..10 + CONNECTIONS {
        connection(i);
    }
    let grown = LIVE_BYTES.load(Ordering::Relaxed) - before;
    let per_connection = grown / CONNECTIONS as isize;
    // What a kept transport, its protocol's record and the server's
    // bookkeeping take is a few KiB; a receive buffer alone is 64 KiB.
    assert!(made.0.borrow().iter().all(|r| r.transport().is_closing()));
    assert!(per_connection < 16 * 1024, "{per_connection} bytes of heap per closed connection kept");
    eprintln!("heap per closed, kept connection: {per_connection} bytes");
}
