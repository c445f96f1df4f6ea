//! Nothing leaks on the proactor under connection churn: open fds return to
//! where they started, and the operations in flight (whose buffers the
//! kernel may use) come back to one accept per listener between
//! connections, including connections aborted with a send in flight.
//! Its own binary, because fds are counted per process.

#![cfg(target_os = "linux")]

mod util;

use std::io::{Read, Write};
use std::rc::Rc;

use evloop::EventLoop;
use util::net::*;

fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn churn(lp: &EventLoop, rounds: usize) {
    let made = Made::default();
    let (server, addr) = serve(lp, &made, || Recorder { echo: true, ..Default::default() });
    for i in 0..rounds {
        let mut c = client(addr);
        c.write_all(b"x").unwrap();
        c.set_nonblocking(true).unwrap();
        let mut got = [0u8; 1];
        run_until(lp, "echo", || matches!(c.read(&mut got), Ok(1)));
        if i % 3 == 0 {
            // Abort with a send in flight: the client does not read.
            let t = made.get(i).transport();
            let chunk = vec![0u8; 1 << 20];
            while t.get_write_buffer_size() == 0 {
                t.write(&chunk).unwrap();
            }
            t.abort();
        }
        drop(c);
        run_until(lp, "lost", || made.get(i).lost());
        // Cancelled operations finish in the kernel shortly after.
        run_until(lp, "only the accept in flight", || lp.proactor_in_flight() == 1);
    }
    // Client side through the proactor's connect.
    for _ in 0..rounds / 4 {
        let p = Rc::new(Recorder::default());
        let p2 = p.clone();
        let fut = lp.create_connection(move || p2 as Rc<dyn evloop::Protocol>, Some("127.0.0.1".into()), Some(addr.port()), Default::default());
        let (t, _) = block_on(lp, fut).unwrap();
        t.write(b"ping").unwrap();
        run_until(lp, "echo", || p.data() == b"ping");
        t.close();
        run_until(lp, "lost", || p.lost());
    }
    run_until(lp, "server side gone", || server.client_count() == 0);
    let closed = server.close_and_wait();
    lp.run_until_complete(&closed).unwrap();
    assert_eq!(lp.proactor_in_flight(), 0, "closing the server cancelled its accept");
}

#[test]
fn proactor_connections_and_loops_release_fds_and_buffers() {
    let before = open_fds();
    // Warm up (allocator pools, the first ring), then measure.
    let lp = EventLoop::proactor().unwrap();
    churn(&lp, 30);
    let rss_warm = rss_kib();
    churn(&lp, 300);
    let rss_after = rss_kib();
    lp.close().unwrap();
    drop(lp);
    assert!(
        rss_after < rss_warm + 16 * 1024,
        "memory grows with churn: {rss_warm} KiB -> {rss_after} KiB"
    );
    for _ in 0..100 {
        EventLoop::proactor().unwrap().close().unwrap();
        drop(EventLoop::proactor().unwrap());
    }
    // close() releases the ring and its eventfds at once, while the loop object
    // lives on (as a binding's object does until the garbage collector runs).
    let closed_but_kept: Vec<EventLoop> = (0..20)
        .map(|_| {
            let lp = EventLoop::proactor().unwrap();
            lp.close().unwrap();
            lp
        })
        .collect();
    assert_eq!(open_fds(), before, "a closed loop's ring and eventfds are released by close()");
    drop(closed_but_kept);
    let now = open_fds();
    if now != before {
        for e in std::fs::read_dir("/proc/self/fd").unwrap() {
            let e = e.unwrap();
            eprintln!("{:?} -> {:?}", e.file_name(), std::fs::read_link(e.path()));
        }
    }
    assert_eq!(now, before, "every socket, ring and eventfd was closed");
}
