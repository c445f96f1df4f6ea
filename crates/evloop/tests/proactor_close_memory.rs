//! A proactor loop's `close()` frees everything its connections held,
//! whatever state their multishot receive was in: armed, asked to end by
//! `pause_reading()` (its last completion not yet in), ended with received
//! bytes kept for `resume_reading()`, or cancelled by the transport's own
//! `close()`. A transport closed while paused is freed too, the loop left
//! open. Until `close()`, a loop, its transports and their protocols
//! hold each other (asyncio's loop must be closed too); the AddressSanitizer
//! run of `pnpm stress` reported such a loop, never closed by the test that
//! made it, as a leak (docs/reliability.md, "Bugs found and fixed").
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

/// Where the server's connection is when its loop closes.
#[derive(Clone, Copy, Debug)]
enum At {
    /// Reading: the multishot receive armed.
    Reading,
    /// `pause_reading()` just asked the kernel to end the multishot.
    Pausing,
    /// Paused, the multishot ended, newer bytes kept for `resume_reading()`.
    PausedHolding,
    /// Paused, then the transport closed (its receive cancelled).
    PausedThenClosed,
    /// Paused, resumed and paused again, every iteration, mid-stream.
    Toggling,
}

const CHUNK: [u8; 8192] = [7; 8192];

/// One loop, one connection taken to `at`, then `loop.close()`; every
/// handle the test had is dropped with it.
fn round(at: At) {
    let lp = EventLoop::proactor().unwrap();
    let made = Made::default();
    let (server, addr) = serve(&lp, &made, Recorder::default);
    let mut c = client(addr);
    let p = made.wait_connected(&lp, 1, "connection_made");
    let t = p.transport();
    // 32 KiB fit in the loopback socket's buffers: no write here blocks.
    let send = |c: &mut std::net::TcpStream| {
        for _ in 0..4 {
            c.write_all(&CHUNK).unwrap();
        }
    };
    send(&mut c);
    run_until(&lp, "the first bytes", || !p.data().is_empty());
    match at {
        At::Reading => {}
        At::Pausing => t.pause_reading(),
        At::PausedHolding => {
            t.pause_reading();
            send(&mut c);
            iterate(&lp, 4);
        }
        At::PausedThenClosed => {
            t.pause_reading();
            send(&mut c);
            iterate(&lp, 2);
            t.close();
            run_until(&lp, "connection_lost", || p.lost());
        }
        At::Toggling => {
            for i in 0..8 {
                if i % 2 == 0 {
                    t.pause_reading();
                    send(&mut c);
                } else {
                    t.resume_reading();
                }
                iterate(&lp, 1);
            }
        }
    }
    lp.close().unwrap();
    drop((t, p, c, server, made, lp));
}

#[test]
fn closing_the_loop_frees_every_connection_whatever_its_receive_is_doing() {
    const ROUNDS: isize = 12;
    for at in [At::Reading, At::Pausing, At::PausedHolding, At::PausedThenClosed, At::Toggling] {
        // Warm-up: thread-locals and the like that stay for the process.
        for _ in 0..3 {
            round(at);
        }
        let before = live_bytes();
        for _ in 0..ROUNDS {
            round(at);
        }
        let per_round = (live_bytes() - before) / ROUNDS;
        eprintln!("{at:?}: heap kept per closed loop: {per_round} bytes");
        // A loop kept alive holds tens of KiB (its queues, ring tables,
        // transport, and the protocol's record of the bytes received).
        assert!(per_round < 1024, "{at:?}: {per_round} bytes of heap kept per closed loop");
    }
    transports_closed_while_paused_are_freed_on_an_open_loop();
}

/// A transport closed while paused, its multishot being cancelled with
/// bytes held, is freed once its connection is lost and nothing else holds
/// it, while the loop stays open: its receive's callbacks let go of it and
/// it lets go of its protocol (which held it).
fn transports_closed_while_paused_are_freed_on_an_open_loop() {
    const CONNECTIONS: isize = 50;
    let lp = util::closing(EventLoop::proactor().unwrap());
    let made = Made::default();
    let (_server, addr) = serve(&lp, &made, Recorder::default);
    let connection = || {
        let mut c = client(addr);
        let p = made.wait_connected(&lp, 1, "connection_made");
        let t = p.transport();
        c.write_all(&CHUNK).unwrap();
        run_until(&lp, "the first bytes", || !p.data().is_empty());
        t.pause_reading();
        c.write_all(&CHUNK).unwrap();
        iterate(&lp, 1);
        t.close();
        run_until(&lp, "connection_lost", || p.lost());
        made.0.borrow_mut().clear();
        drop((t, p, c));
        // The peer's close and the cancelled receive's last completion.
        iterate(&lp, 4);
    };
    for _ in 0..5 {
        connection();
    }
    let before = live_bytes();
    for _ in 0..CONNECTIONS {
        connection();
    }
    let per_connection = (live_bytes() - before) / CONNECTIONS;
    eprintln!("transport closed while paused: heap kept per connection: {per_connection} bytes");
    assert!(per_connection < 256, "{per_connection} bytes of heap kept per closed transport");
}
