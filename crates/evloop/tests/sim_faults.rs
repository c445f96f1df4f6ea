//! Faults: crash, restart, pause/resume, clock skew.

mod sim_util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use evloop::sim::{SimOptions, WALL_CLOCK_START};
use sim_util::*;

#[test]
fn crash_resets_peers_one_latency_later_and_its_timers_never_fire() {
    let sim = sim_with(SimOptions { seed: 21, latency: (0.05, 0.05), ..Default::default() });
    let fired = Rc::new(Cell::new(false));
    let f = fired.clone();
    sim.host_with_program("server", move |lp| {
        echo_server(lp, 80);
        let f = f.clone();
        lp.call_later(5.0, move || f.set(true)).unwrap();
    })
    .unwrap();
    let client = sim.host("client").unwrap();
    let c = Client::new();
    sim.run_until_complete(&connect(&client, &c, "server", 80)).unwrap().unwrap();
    sim.run_for(1.0).unwrap();
    let crashed_at = sim.now();
    let old = sim.loop_of("server").unwrap().unwrap();
    sim.crash("server").unwrap();
    assert!(old.is_closed());
    assert!(sim.loop_of("server").unwrap().is_none());
    assert!(sim.is_crashed("server").unwrap());
    run_until(&sim, 1.0, || c.is_lost());
    let e = c.lost_error().expect("reset");
    assert_eq!(e.name(), "ConnectionResetError");
    assert_eq!(e.code(), Some("ECONNRESET"));
    assert_eq!(e.message(), "[Errno 104] Connection reset by peer");
    assert!((c.lost_at.get() - crashed_at - 0.05).abs() < 1e-9, "{}", c.lost_at.get() - crashed_at);
    sim.run_for(10.0).unwrap();
    assert!(!fired.get(), "a crashed host's timer fired");
    assert_eq!(sim.stats().faults["crash"], 1);
    // Data sent to the crashed host is dropped with cause "crash".
    let c2 = Client::new();
    let e = sim.run_until_complete(&connect(&client, &c2, "server", 80)).unwrap().unwrap_err();
    assert_eq!(e.name(), "TimeoutError");
    assert!(sim.stats().dropped.crash > 0);
}

#[test]
fn restart_runs_the_program_again_on_a_fresh_loop() {
    let sim = sim(22);
    let runs = Rc::new(Cell::new(0));
    let r = runs.clone();
    sim.host_with_program("server", move |lp| {
        r.set(r.get() + 1);
        echo_server(lp, 80);
    })
    .unwrap();
    let client = sim.host("client").unwrap();
    sim.run_for(1.0).unwrap();
    assert_eq!(runs.get(), 1);
    let first = sim.loop_of("server").unwrap().unwrap();
    sim.crash("server").unwrap();
    sim.run_for(1.0).unwrap();
    // While it is down, its port is unreachable; after restart it listens again.
    let new = sim.restart("server").unwrap();
    assert!(!new.ptr_eq(&first));
    assert!(first.is_closed());
    sim.run_for(0.1).unwrap();
    assert_eq!(runs.get(), 2);
    let c = Client::new();
    let t = sim.run_until_complete(&connect(&client, &c, "server", 80)).unwrap().unwrap();
    t.write(b"again").unwrap();
    run_until(&sim, 1.0, || c.data.borrow().len() == 5);
    let faults = sim.stats().faults;
    assert_eq!((faults["crash"], faults["restart"]), (1, 1));
    // Restarting a running host crashes it first.
    sim.restart("server").unwrap();
    run_until(&sim, 1.0, || c.is_lost());
    assert_eq!(c.lost_error().unwrap().code(), Some("ECONNRESET"));
    sim.run_for(0.1).unwrap();
    assert_eq!(runs.get(), 3);
}

#[test]
fn a_host_can_crash_itself_from_a_callback() {
    let sim = sim(23);
    let after = Rc::new(Cell::new(false));
    let lp = sim.host("a").unwrap();
    let (s, a) = (sim.clone(), after.clone());
    lp.call_soon(move || s.crash("a").unwrap()).unwrap();
    lp.call_soon(move || a.set(true)).unwrap();
    sim.run_for(1.0).unwrap();
    assert!(!after.get(), "the rest of the batch ran after the crash");
    assert!(lp.is_closed());
}

#[test]
fn pause_holds_everything_and_resume_runs_late_timers_in_order() {
    let sim = sim(24);
    let lp = sim.host("a").unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    for (delay, name) in [(1.0, "one"), (2.0, "two"), (1.5, "one and a half")] {
        let (l, lp2) = (log.clone(), lp.clone());
        lp.call_later(delay, move || l.borrow_mut().push((name, lp2.time()))).unwrap();
    }
    sim.run_for(0.5).unwrap();
    sim.pause("a").unwrap();
    sim.run_for(4.5).unwrap();
    assert!(log.borrow().is_empty());
    assert_eq!(sim.now(), 5.0);
    sim.resume("a").unwrap();
    sim.run_for(0.0).unwrap();
    assert_eq!(*log.borrow(), [("one", 5.0), ("one and a half", 5.0), ("two", 5.0)]);
    let faults = sim.stats().faults;
    assert_eq!((faults["pause"], faults["resume"]), (1, 1));
}

#[test]
fn a_paused_host_still_receives_but_does_not_answer() {
    let sim = sim(25);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    echo_server(&server, 80);
    let c = Client::new();
    let t = sim.run_until_complete(&connect(&client, &c, "server", 80)).unwrap().unwrap();
    sim.pause("server").unwrap();
    t.write(b"hi").unwrap();
    sim.run_for(3.0).unwrap();
    assert!(c.data.borrow().is_empty());
    sim.resume("server").unwrap();
    run_until(&sim, 1.0, || c.data.borrow().len() == 2);
}

#[test]
fn wait_closed_completes_after_a_client_host_crashes() {
    let sim = sim(26);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    let srv = echo_server(&server, 80);
    let c = Client::new();
    sim.run_until_complete(&connect(&client, &c, "server", 80)).unwrap().unwrap();
    sim.run_for(0.1).unwrap();
    let srv = srv.borrow().clone().unwrap();
    assert_eq!(srv.client_count(), 1);
    srv.close();
    let closed = srv.wait_closed();
    sim.run_for(5.0).unwrap();
    assert!(!closed.done(), "a client is still connected");
    sim.crash("client").unwrap();
    sim.run_until_complete(&closed).unwrap();
    assert_eq!(srv.client_count(), 0);
    assert!(sim.now() < 5.2);
}

#[test]
fn clock_skew_moves_wall_time_not_time() {
    let sim = sim(27);
    let lp = sim.host("a").unwrap();
    sim.host("b").unwrap();
    assert_eq!(sim.wall_time("a").unwrap(), WALL_CLOCK_START);
    sim.run_for(10.0).unwrap();
    sim.set_clock_skew("a", -3.5).unwrap();
    sim.set_clock_skew("a", 2.0).unwrap();
    assert_eq!(sim.wall_time("a").unwrap(), WALL_CLOCK_START + 12.0);
    assert_eq!(sim.wall_time("b").unwrap(), WALL_CLOCK_START + 10.0);
    assert_eq!(lp.time(), 10.0);
    assert_eq!(sim.stats().faults["skew"], 2);
    let skews: Vec<_> = sim.trace().into_iter().filter(|r| r.str("fault") == Some("skew")).collect();
    assert_eq!(skews.len(), 2);
    assert_eq!(skews[1].host.as_ref(), "a");
}

#[test]
fn unknown_names_in_faults_are_value_errors() {
    let sim = sim(28);
    sim.host("a").unwrap();
    for e in [
        sim.crash("zz").unwrap_err(),
        sim.partition(&["a"], &["zz"], false).unwrap_err(),
        sim.hold("a", "zz").unwrap_err(),
        sim.pause("zz").unwrap_err(),
        sim.host("a").unwrap_err(),
    ] {
        assert_eq!(e.name(), "ValueError", "{e}");
    }
}

// A signal fault queues the host's handler as a loop callback (never a
// process signal), and is traced and counted whether or not it is handled.
#[test]
fn signal_reaches_the_hosts_handler() {
    let sim = sim_with(SimOptions { seed: 5, ..Default::default() });
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let h = sim.host("h").unwrap();
    let lp = h.clone();
    h.add_signal_handler(15, move || s.borrow_mut().push(lp.time())).unwrap();
    sim.run_for(1.0).unwrap();
    sim.signal("h", 15).unwrap();
    assert!(seen.borrow().is_empty(), "queued, not run inside signal()");
    sim.run_for(1.0).unwrap();
    assert_eq!(*seen.borrow(), [1.0]);
    sim.signal("h", 10).unwrap();
    sim.run_for(1.0).unwrap();
    let faults: Vec<_> = sim.trace().into_iter().filter(|r| r.str("fault") == Some("signal")).collect();
    assert_eq!(faults.len(), 2);
    assert_eq!(sim.stats().faults["signal"], 2);
    assert_eq!(sim.signal("h", 0).unwrap_err().name(), "ValueError");
    assert_eq!(sim.signal("nobody", 15).unwrap_err().name(), "ValueError");
}

// Executor delays come from the host's own stream: in range, and the same
// for the same seed and name whatever else the simulation draws.
#[test]
fn executor_delays_are_drawn_per_host() {
    let draw = |seed: u64, other_first: bool| {
        let sim = sim_with(SimOptions { seed, ..Default::default() });
        sim.host("a").unwrap();
        sim.host("b").unwrap();
        if other_first {
            sim.executor_delay("b").unwrap();
            sim.random("a").unwrap();
        }
        (0..5).map(|_| sim.executor_delay("a").unwrap()).collect::<Vec<_>>()
    };
    let a = draw(9, false);
    let (lo, hi) = evloop::sim::EXECUTOR_DELAY;
    assert!(a.iter().all(|d| (lo..hi).contains(d)), "{a:?}");
    assert_eq!(a, draw(9, true));
    assert_ne!(a, draw(10, false));
}
