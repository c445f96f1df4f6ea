//! A simulation lets go of what it holds: once closed, no task, future,
//! transport or server of its hosts is left; once dropped (closed or not),
//! not even their loops. Counted by `evloop::live_objects()` (per thread:
//! each test runs on its own).
//!
//! The hosts make the cycles a program makes: protocols that hold their
//! transport (`Echo`, `Client`), a stream read and a connect still pending,
//! a task sleeping for ever, a timer an hour away, a crashed host.

mod sim_util;

use evloop::sim::Simulation;
use evloop::{live_objects, LiveObjects, StreamOptions};
use sim_util::*;

/// Hosts that keep every kind of core object busy, run for two virtual seconds.
fn busy(seed: u64) -> Simulation {
    let sim = sim(seed);
    for i in 0..6 {
        let peer = format!("h{}", (i + 1) % 6);
        let streams_peer = format!("h{}", (i + 2) % 6);
        sim.host_with_program(&format!("h{i}"), move |lp| {
            let _ = echo_server(lp, 7);
            let start = lp.start_server(
                |reader: evloop::StreamReader, _writer: evloop::StreamWriter| async move {
                    let _ = reader.readline().await;
                },
                None,
                Some(8),
                StreamOptions::default(),
            );
            lp.create_task(async move {
                let _server = start.await;
            })
            .unwrap();
            // A task that never ends.
            let forever = lp.sleep(3600.0).unwrap();
            lp.create_task(async move {
                let _ = forever.await;
            })
            .unwrap();
            let _ = lp.call_later(3600.0, || {});
            let lp2 = lp.clone();
            let (peer, streams_peer) = (peer.clone(), streams_peer.clone());
            lp.create_task(async move {
                let _ = lp2.sleep(0.1).unwrap().await;
                let client = Client::new();
                let transport = (*connect(&lp2, &client, &peer, 7)).clone().await;
                // A connect to a port nobody listens on, still pending when the simulation ends.
                let _pending = connect(&lp2, &Client::new(), "nowhere", 9);
                if let Ok((reader, _writer)) = lp2.open_connection(Some(streams_peer), Some(8), StreamOptions::default()).await {
                    let _ = reader.read(100).await;
                }
                let _ = transport;
            })
            .unwrap();
        })
        .unwrap();
    }
    sim.host("nowhere").unwrap();
    sim.run_for(1.0).unwrap();
    sim.crash("h3").unwrap();
    sim.run_for(1.0).unwrap();
    sim
}

fn assert_only_loops(live: LiveObjects, before: LiveObjects) {
    assert_eq!(
        LiveObjects { loops: before.loops, ..live },
        before,
        "after close only the hosts' (closed) loops are left while the simulation lives"
    );
}

#[test]
fn close_lets_go_of_tasks_transports_and_servers() {
    let before = live_objects();
    let sim = busy(1);
    let running = live_objects();
    assert!(running.transports > before.transports && running.servers > before.servers && running.tasks > before.tasks, "{running:?}");
    sim.close();
    assert!(sim.is_closed());
    assert_only_loops(live_objects(), before);
    // Nothing runs any more; the trace and stats stay readable.
    assert!(!sim.step().unwrap());
    assert!(sim.next_event_time().is_none());
    assert!(sim.trace_len() > 0);
    assert!(sim.stats().sent > 0);
    drop(sim);
    assert_eq!(live_objects(), before);
}

#[test]
fn dropping_a_simulation_without_close_frees_it() {
    let before = live_objects();
    let sim = busy(2);
    let clone = sim.clone();
    drop(sim);
    // A clone is the same simulation: still running.
    assert!(clone.step().unwrap());
    assert!(live_objects().transports > before.transports);
    drop(clone);
    assert_eq!(live_objects(), before);
}

#[test]
fn a_crashed_host_lets_go_of_its_connections() {
    let before = live_objects();
    let sim = busy(3);
    // A loop the program kept after its host crashed.
    let kept = sim.loop_of("h0").unwrap().unwrap();
    for h in 0..6 {
        sim.crash(&format!("h{h}")).unwrap();
    }
    sim.run_for(1.0).unwrap();
    let live = live_objects();
    assert_eq!((live.transports, live.servers, live.tasks), (before.transports, before.servers, before.tasks), "{live:?}");
    drop(kept);
    drop(sim);
    assert_eq!(live_objects(), before);
}
