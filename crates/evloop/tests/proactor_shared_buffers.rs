//! The proactor's provided buffers are shared by every connection of a loop
//! and, on kernels that consume them incrementally, one buffer holds the
//! receives of many connections side by side (`src/proactor/bufring.rs`).
//! Whatever the interleaving, each connection must get exactly its own
//! bytes, in order: here 100 connections send odd-sized pieces in turn,
//! many times more bytes than the ring holds, while half of the server's
//! protocols pause and resume reading every round (what arrives while
//! paused is kept and delivered later).

#![cfg(target_os = "linux")]

mod util;

use std::io::Write;

use evloop::EventLoop;
use util::net::*;

const CLIENTS: usize = 100;
const ROUNDS: usize = 150;

/// The bytes client `id` sends in `round`: 900-1,300 bytes that name both.
fn piece(id: usize, round: usize) -> Vec<u8> {
    let len = 900 + (id * 37 + round * 101) % 400;
    let tag = format!("<{id}.{round}>");
    tag.bytes().cycle().take(len).collect()
}

#[test]
fn every_connection_gets_its_own_bytes_in_order() {
    let lp = EventLoop::proactor().unwrap();
    let made = Made::default();
    let (server, addr) =
        serve_with(&lp, &made, Recorder::default, evloop::ServerOptions { backlog: 256, ..Default::default() });
    let mut clients: Vec<_> = (0..CLIENTS).map(|_| client(addr)).collect();
    run_until(&lp, "every connection accepted", || made.len() == CLIENTS);
    // The accept order is not the connect order: match them by a first line.
    for (id, c) in clients.iter_mut().enumerate() {
        c.write_all(format!("{id:04}").as_bytes()).unwrap();
    }
    run_until(&lp, "every hello received", || (0..CLIENTS).all(|i| made.get(i).data().len() >= 4));
    let mut by_id = vec![None; CLIENTS];
    for i in 0..CLIENTS {
        let p = made.get(i);
        let id: usize = std::str::from_utf8(&p.data()[..4]).unwrap().parse().unwrap();
        by_id[id] = Some(p);
    }
    let by_id: Vec<_> = by_id.into_iter().map(Option::unwrap).collect();

    let mut sent = vec![0usize; CLIENTS];
    for round in 0..ROUNDS {
        for (id, p) in by_id.iter().enumerate() {
            if id % 2 == 0 {
                let t = p.transport();
                if round % 2 == 0 {
                    t.pause_reading();
                } else {
                    t.resume_reading();
                }
            }
        }
        for (id, c) in clients.iter_mut().enumerate() {
            let bytes = piece(id, round);
            c.write_all(&bytes).unwrap();
            sent[id] += bytes.len();
        }
        iterate(&lp, 2);
    }
    for p in &by_id {
        p.transport().resume_reading();
    }
    run_until(&lp, "every byte received", || by_id.iter().zip(&sent).all(|(p, n)| p.data().len() >= 4 + n));
    let total: usize = sent.iter().sum();
    assert!(total > 3 * 64 * 64 * 1024, "the ring's buffers were reused several times ({total} bytes)");
    for (id, p) in by_id.iter().enumerate() {
        let expected: Vec<u8> = format!("{id:04}").into_bytes().into_iter().chain((0..ROUNDS).flat_map(|r| piece(id, r))).collect();
        let got = p.data();
        assert_eq!(got.len(), expected.len(), "connection {id}: byte count");
        if let Some(at) = got.iter().zip(&expected).position(|(a, b)| a != b) {
            panic!("connection {id}: first wrong byte at {at} of {}", got.len());
        }
        assert!(!p.lost(), "connection {id} still open");
    }
    drop(clients);
    run_until(&lp, "server side closed", || server.client_count() == 0);
    let closed = server.close_and_wait();
    lp.run_until_complete(&closed).unwrap();
    run_until(&lp, "nothing in flight", || lp.proactor_in_flight() == 0);
    lp.close().unwrap();
}
