//! The simulation's clock, order of events and determinism.

mod sim_util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use evloop::sim::{LinkOptions, SimOptions, Simulation};
use sim_util::*;

#[test]
fn an_hour_long_timer_is_one_step() {
    let sim = sim(1);
    let lp = sim.host("a").unwrap();
    assert_eq!(lp.selector_name(), "sim");
    let fired = Rc::new(Cell::new(0.0));
    let (f, lp2) = (fired.clone(), lp.clone());
    lp.call_later(3600.0, move || f.set(lp2.time())).unwrap();
    let real = std::time::Instant::now();
    assert!(sim.step().unwrap());
    assert_eq!(fired.get(), 3600.0);
    assert_eq!(sim.now(), 3600.0);
    assert!(!sim.step().unwrap());
    assert_eq!(sim.events(), 1);
    assert!(real.elapsed().as_secs_f64() < 1.0);
}

#[test]
fn run_for_advances_exactly_idle_or_not() {
    let sim = sim(1);
    let lp = sim.host("a").unwrap();
    sim.run_for(2.5).unwrap();
    assert_eq!(sim.now(), 2.5);
    let count = Rc::new(Cell::new(0));
    let c = count.clone();
    for d in [1.0, 2.0, 3.0] {
        let c = c.clone();
        lp.call_later(d, move || c.set(c.get() + 1)).unwrap();
    }
    sim.run_for(2.0).unwrap();
    assert_eq!(count.get(), 2, "the timer at exactly now+2 runs");
    assert_eq!(sim.now(), 4.5);
    assert!(sim.run_for(-1.0).is_err());
}

#[test]
fn programs_start_with_the_first_step_and_late_hosts_at_once() {
    let sim = sim(1);
    let started = Rc::new(RefCell::new(Vec::new()));
    let s = started.clone();
    sim.host_with_program("a", move |lp| s.borrow_mut().push(("a", lp.time()))).unwrap();
    assert!(started.borrow().is_empty(), "not before the simulation starts");
    sim.run_for(5.0).unwrap();
    let s = started.clone();
    sim.host_with_program("b", move |lp| s.borrow_mut().push(("b", lp.time()))).unwrap();
    sim.step().unwrap();
    assert_eq!(*started.borrow(), [("a", 0.0), ("b", 5.0)]);
    // get_running_loop works inside a program (it runs as a callback).
    let ok = Rc::new(Cell::new(false));
    let o = ok.clone();
    sim.host_with_program("c", move |lp| o.set(evloop::get_running_loop().unwrap().ptr_eq(lp))).unwrap();
    sim.step().unwrap();
    assert!(ok.get());
}

#[test]
fn ties_go_to_the_network_then_to_hosts_in_creation_order() {
    let sim = sim_with(SimOptions { seed: 1, latency: (1.0, 1.0), ..Default::default() });
    let order = Rc::new(RefCell::new(Vec::new()));
    let b = sim.host("b").unwrap();
    let a = sim.host("a").unwrap();
    for (lp, name) in [(&a, "a"), (&b, "b")] {
        let o = order.clone();
        lp.call_later(1.0, move || o.borrow_mut().push(name)).unwrap();
    }
    sim.run_for(2.0).unwrap();
    assert_eq!(*order.borrow(), ["b", "a"], "creation order, not name order");
}

#[test]
fn host_loops_cannot_wait_on_their_own() {
    let sim = sim(1);
    let lp = sim.host("a").unwrap();
    lp.call_later(10.0, || ()).unwrap();
    let e = lp.run_forever().unwrap_err();
    assert_eq!(e.name(), "RuntimeError");
    assert!(e.message().contains("Simulation"), "{e}");
}

/// A small system: two servers, three clients, jitter and loss, a
/// partition and a crash; returns the trace and stats as JSON.
fn scenario(seed: u64) -> (String, String) {
    let sim = sim_with(SimOptions { seed, latency: (0.001, 0.02), loss: 0.1, ..Default::default() });
    for s in ["s1", "s2"] {
        sim.host_with_program(s, |lp| {
            echo_server(lp, 80);
        })
        .unwrap();
    }
    let mut clients = Vec::new();
    for (i, name) in ["c1", "c2", "c3"].into_iter().enumerate() {
        let lp = sim.host(name).unwrap();
        let target = if i % 2 == 0 { "s1" } else { "s2" };
        let c = Client::new();
        let task = connect(&lp, &c, target, 80);
        let (l, cc) = (lp.clone(), c.clone());
        lp.create_task(async move {
            if let Ok(Ok(t)) = task.await_result().await {
                for k in 0..20u8 {
                    t.write(&payload(3000, k)).unwrap();
                    l.sleep(0.05 * f64::from(k % 3)).unwrap().await.unwrap();
                }
                let _ = cc;
            }
        })
        .unwrap();
        clients.push(c);
    }
    sim.run_for(0.5).unwrap();
    sim.partition(&["c1"], &["s1"], false).unwrap();
    sim.run_for(2.0).unwrap();
    sim.heal(None, None).unwrap();
    sim.crash("s2").unwrap();
    sim.run_for(5.0).unwrap();
    sim.restart("s2").unwrap();
    sim.run_for(1.0).unwrap();
    (sim.trace_json(), sim.stats().to_json())
}

trait AwaitResult<T> {
    fn await_result(self) -> std::pin::Pin<Box<dyn std::future::Future<Output = evloop::Result<T>>>>;
}
impl<T: Clone + 'static> AwaitResult<T> for evloop::Task<T> {
    fn await_result(self) -> std::pin::Pin<Box<dyn std::future::Future<Output = evloop::Result<T>>>> {
        let fut: evloop::Future<T> = (*self).clone();
        Box::pin(fut)
    }
}

#[test]
fn same_seed_same_trace_byte_for_byte() {
    let (a, sa) = scenario(42);
    let (b, sb) = scenario(42);
    assert!(a.len() > 10_000, "a real trace: {} bytes", a.len());
    assert!(a == b, "traces differ");
    assert_eq!(sa, sb);
    let (c, _) = scenario(43);
    assert_ne!(a, c, "another seed gives another trace");
    for kind in ["\"call\"", "\"send\"", "\"deliver\"", "\"drop\"", "\"connect\"", "\"accept\"", "\"close\"", "\"fault\""] {
        assert!(a.contains(kind), "no {kind} record");
    }
}

/// The delivery times of messages between a and b.
fn ab_timings(extra_host: bool) -> (Vec<f64>, Vec<f64>) {
    let sim = sim_with(SimOptions { seed: 99, latency: (0.001, 0.05), loss: 0.2, ..Default::default() });
    if extra_host {
        // Created first, and talking to b all the time.
        sim.host("z").unwrap();
    }
    let b = sim.host("b").unwrap();
    echo_server(&b, 80);
    let a = sim.host("a").unwrap();
    if extra_host {
        let z = sim.loop_of("z").unwrap().unwrap();
        let cz = Client::new();
        let t = connect(&z, &cz, "b", 80);
        let z2 = z.clone();
        z.create_task(async move {
            let fut: evloop::Future<_> = (*t).clone();
            let t = fut.await.unwrap().unwrap();
            for k in 0..50u8 {
                t.write(&payload(20_000, k)).unwrap();
                z2.sleep(0.01).unwrap().await.unwrap();
            }
        })
        .unwrap();
    }
    let ca = Client::new();
    let t = sim.run_until_complete(&connect(&a, &ca, "b", 80)).unwrap().unwrap();
    for k in 0..10u8 {
        t.write(&payload(1000, k)).unwrap();
        sim.run_for(0.1).unwrap();
    }
    sim.run_for(5.0).unwrap();
    let draws: Vec<f64> = (0..5).map(|_| sim.random("a").unwrap()).collect();
    let times = sim
        .trace()
        .into_iter()
        .filter(|r| r.kind == "deliver" && (r.host.as_ref() == "a" || r.str("from") == Some("a")))
        .map(|r| r.t)
        .collect();
    (times, draws)
}

#[test]
fn adding_a_host_does_not_change_another_hosts_draws() {
    let (t1, d1) = ab_timings(false);
    let (t2, d2) = ab_timings(true);
    assert_eq!(d1, d2, "the host's own stream");
    assert!(t1.len() >= 12, "{}", t1.len());
    assert_eq!(t1, t2, "the a<->b links' latencies and losses");
    let sim = sim(99);
    sim.host("a").unwrap();
    let other = Simulation::new(SimOptions { seed: 100, ..Default::default() }).unwrap();
    other.host("a").unwrap();
    assert_ne!(sim.random("a").unwrap(), other.random("a").unwrap());
}

#[test]
fn trace_records_serialize_to_json() {
    let sim = sim(5);
    let lp = sim.host("a").unwrap();
    lp.call_soon(|| ()).unwrap();
    sim.set_link("a", "a", LinkOptions { loss: Some(0.5), ..Default::default() }).unwrap();
    sim.run_for(1.0).unwrap();
    let json = sim.trace_json();
    assert!(json.starts_with("[{\"t\":0,\"host\":\"\",\"kind\":\"fault\",\"fault\":\"link\",\"a\":\"a\",\"b\":\"a\""), "{json}");
    assert!(json.contains("{\"t\":0,\"host\":\"a\",\"kind\":\"call\",\"name\":"), "{json}");
    assert_eq!(sim.trace_len(), 2);
    let stats = sim.stats().to_json();
    assert!(stats.contains("\"faults\":{\"partition\":0,\"heal\":0,\"hold\":0,\"release\":0,\"crash\":0,\"restart\":0,\"pause\":0,\"resume\":0,\"link\":1,\"skew\":0,\"signal\":0}"), "{stats}");
}

#[test]
fn options_are_checked_and_the_trace_can_be_off() {
    for opts in [
        SimOptions { latency: (0.5, 0.1), ..Default::default() },
        SimOptions { latency: (-1.0, 0.1), ..Default::default() },
        SimOptions { loss: 1.5, ..Default::default() },
        SimOptions { connect_timeout: 0.0, ..Default::default() },
    ] {
        assert_eq!(Simulation::new(opts).unwrap_err().name(), "ValueError");
    }
    let sim = sim_with(SimOptions { trace: false, ..Default::default() });
    let lp = sim.host("a").unwrap();
    lp.call_soon(|| ()).unwrap();
    sim.run_for(1.0).unwrap();
    assert_eq!(sim.trace_len(), 0);
    assert_eq!(sim.events(), 1);
}
