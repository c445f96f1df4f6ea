//! A proactor transport whose connection is lost holds no receive buffer,
//! however long something keeps the transport. In Node a transport lives
//! until the collector takes its JavaScript object, which under churn is
//! hundreds of closed connections later: each kept its 64 KiB spare
//! receive buffer until then, and the server's RSS grew by tens of MiB
//! (docs/reliability.md, "The io_uring server's RSS under churn").
//!
//! The heap is measured by a counting allocator (`util/counting_alloc.rs`):
//! its own binary, so no other test allocates meanwhile.

#![cfg(target_os = "linux")]

mod util;

use std::io::Write;

use evloop::EventLoop;
use util::counting_alloc::{live_bytes, Counting};
use util::net::*;

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
    let before = live_bytes();
    for i in 10..10 + CONNECTIONS {
        connection(i);
    }
    let grown = live_bytes() - before;
    let per_connection = grown / CONNECTIONS as isize;
    // What a kept transport, its protocol's record and the server's
    // bookkeeping take is a few KiB; a receive buffer alone is 64 KiB.
    assert!(made.0.borrow().iter().all(|r| r.transport().is_closing()));
    assert!(per_connection < 16 * 1024, "{per_connection} bytes of heap per closed connection kept");
    eprintln!("heap per closed, kept connection: {per_connection} bytes");
}
