//! The simulation's power tools: recorded decisions and replay, scheduled
//! faults, buggify points, a host's queues, the options as JSON.

mod sim_util;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use evloop::sim::{Buggify, Decisions, Divergence, Fault, LinkOptions, SimOptions, Simulation};
use sim_util::*;

/// A lossy echo run with host draws: every kind of stream draws.
fn lossy_run(opts: SimOptions) -> Simulation {
    let sim = sim_with(SimOptions { latency: (0.001, 0.01), loss: 0.3, ..opts });
    let s = sim.host("s").unwrap();
    echo_server(&s, 80);
    let c = sim.host("c").unwrap();
    let cl = Client::new();
    let t = sim.run_until_complete(&connect(&c, &cl, "s", 80)).unwrap().unwrap();
    let data = payload(60_000, 7);
    t.write(&data).unwrap();
    t.write_eof();
    sim.random("c").unwrap();
    run_until(&sim, 100.0, || cl.is_lost());
    assert!(*cl.data.borrow() == data);
    sim.random("s").unwrap();
    sim
}

#[test]
fn replay_with_another_seed_reproduces_the_trace() {
    let a = lossy_run(SimOptions { seed: 5, ..Default::default() });
    let d = a.decisions();
    let names: Vec<&str> = d.streams.keys().map(String::as_str).collect();
    assert_eq!(names, ["host:c", "host:s", "link:c>s", "link:s>c"]);
    assert!(a.stats().dropped.loss > 5);
    assert!(a.divergence().is_none(), "not a replay");

    // Another seed alone gives another run ...
    let other = lossy_run(SimOptions { seed: 6, ..Default::default() });
    assert_ne!(other.trace_json(), a.trace_json());
    // ... but with the decisions, the same one, byte for byte.
    let b = lossy_run(SimOptions { seed: 6, replay: Some(d.clone()), ..Default::default() });
    assert_eq!(b.trace_json(), a.trace_json());
    assert_eq!(b.decisions(), d);
    assert_eq!(b.divergence(), None);
}

#[test]
fn a_truncated_record_reports_where_the_replay_diverged() {
    let a = lossy_run(SimOptions { seed: 5, ..Default::default() });
    let mut d = a.decisions();
    let link = d.streams.get_mut("link:c>s").unwrap();
    let cut = link.len() / 2;
    link.truncate(cut);
    let b = lossy_run(SimOptions { seed: 5, replay: Some(d.clone()), ..Default::default() });
    let div = b.divergence().expect("the record ran out");
    assert_eq!((div.stream.as_str(), div.index), ("link:c>s", cut));
    assert!(div.event > 0 && div.event <= b.events());
    // The seed is the original one: past the record the run is the same.
    assert_eq!(b.trace_json(), a.trace_json());
    // A stream with no record at all misses at its first draw.
    d.streams.remove("host:c");
    d.streams.get_mut("link:c>s").unwrap().extend_from_slice(&a.decisions().streams["link:c>s"][cut..]);
    let c = lossy_run(SimOptions { seed: 5, replay: Some(d), ..Default::default() });
    assert_eq!(c.divergence().map(|d| (d.stream, d.index)), Some(("host:c".to_string(), 0)));
    assert_eq!(Divergence { stream: "x".into(), index: 1, event: 2 }.to_json(), r#"{"stream":"x","index":1,"event":2}"#);
}

#[test]
fn replay_values_are_checked() {
    let mut d = Decisions::default();
    d.streams.insert("host:a".into(), vec![0.5, 1.0]);
    let e = Simulation::new(SimOptions { replay: Some(d), ..Default::default() }).unwrap_err();
    assert!(e.to_string().contains("[0, 1)"), "{e}");
}

#[test]
fn decisions_json_round_trips_exactly() {
    let a = lossy_run(SimOptions { seed: 9, ..Default::default() });
    let json = a.decisions().to_json();
    assert!(json.starts_with("{\"host:c\":["), "{json}");
    for values in a.decisions().streams.values() {
        for x in values {
            let text = format!("{x}");
            assert_eq!(text.parse::<f64>().unwrap(), *x);
            assert!(json.contains(&text));
        }
    }
}

#[test]
fn scheduled_faults_apply_at_their_time_in_order_with_the_network() {
    let sim = sim(1);
    let a = sim.host("a").unwrap();
    sim.host("b").unwrap();
    // Scheduled before and after the time a timer fires; two at the same time
    // keep their scheduling order.
    sim.schedule(2.0, Fault::Skew { host: "b".into(), seconds: 5.0 }).unwrap();
    sim.schedule(1.0, Fault::Partition { a: vec!["a".into()], b: vec!["b".into()], one_way: false }).unwrap();
    sim.schedule(1.0, Fault::Pause("b".into())).unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    a.call_later(1.0, move || s.borrow_mut().push("timer")).unwrap();
    assert!(sim.schedule(f64::NAN, Fault::Crash("a".into())).is_err());
    let link = LinkOptions { loss: Some(2.0), ..Default::default() };
    assert!(sim.schedule(3.0, Fault::Link { a: "a".into(), b: "b".into(), opts: link }).is_err());

    sim.run_for(0.5).unwrap();
    assert_eq!(sim.stats().faults["partition"], 0);
    assert!(sim.schedule(0.1, Fault::Crash("a".into())).is_err(), "in the past");
    sim.run_for(3.0).unwrap();
    let trace = sim.trace();
    let order: Vec<(f64, &str)> = trace
        .iter()
        .filter(|r| r.kind == "fault" || r.kind == "call")
        .map(|r| (r.t, r.str("fault").or(r.str("name")).unwrap()))
        .collect();
    // At t=1 the faults go first (in scheduling order), then the host's timer.
    assert_eq!(order[0], (1.0, "partition"));
    assert_eq!(order[1], (1.0, "pause"));
    assert_eq!(order[2].0, 1.0);
    assert_ne!(order[2].1, "skew");
    assert_eq!(order[3], (2.0, "skew"));
    assert_eq!(order.len(), 4);
    assert_eq!(seen.borrow().len(), 1);
    assert_eq!(sim.wall_time("b").unwrap() - sim.wall_time("a").unwrap(), 5.0);
    // Each fault is an event: three faults and one host iteration.
    assert_eq!(sim.events(), 4);
}

#[test]
fn a_scheduled_partition_cuts_messages_in_flight_order() {
    // A partition scheduled mid-stream drops what is sent after it; a heal
    // lets the re-sent data through: the same as calling them at that time.
    let run = |scheduled: bool| {
        let sim = sim(4);
        let s = sim.host("s").unwrap();
        echo_server(&s, 80);
        let c = sim.host("c").unwrap();
        let cl = Client::new();
        let t = sim.run_until_complete(&connect(&c, &cl, "s", 80)).unwrap().unwrap();
        let start = sim.now();
        if scheduled {
            sim.schedule(start + 0.002, Fault::Partition { a: vec!["c".into()], b: vec!["s".into()], one_way: false }).unwrap();
            sim.schedule(start + 0.5, Fault::Heal { a: None, b: None }).unwrap();
        }
        t.write(&payload(100_000, 1)).unwrap();
        if !scheduled {
            sim.run_for(0.002).unwrap();
            sim.partition(&["c"], &["s"], false).unwrap();
            sim.run_for(0.498).unwrap();
            sim.heal(None, None).unwrap();
        }
        run_until(&sim, 60.0, || cl.data.borrow().len() == 100_000);
        let st = sim.stats();
        assert!(st.dropped.partition > 0, "{st:?}");
        sim.trace().into_iter().filter(|r| r.kind != "call").map(|r| r.to_json()).collect::<Vec<_>>()
    };
    let by_hand = run(false);
    let scheduled = run(true);
    assert_eq!(scheduled, by_hand);
}

#[test]
fn scheduled_crash_and_restart_and_unknown_hosts() {
    let sim = sim(2);
    let runs = Rc::new(RefCell::new(0));
    let r = runs.clone();
    sim.host_with_program("a", move |_| *r.borrow_mut() += 1).unwrap();
    // Scheduled before the host exists: names are looked up when it applies.
    sim.schedule(1.0, Fault::Crash("late".into())).unwrap();
    sim.schedule(0.5, Fault::Restart("a".into())).unwrap();
    sim.host("late").unwrap();
    sim.run_for(0.7).unwrap();
    assert_eq!(*runs.borrow(), 2);
    assert_eq!(sim.take_restarted(), ["a"]);
    assert!(sim.take_restarted().is_empty());
    sim.run_for(1.0).unwrap();
    assert!(sim.is_crashed("late").unwrap());
    sim.schedule(2.0, Fault::Hold { a: "a".into(), b: "nobody".into() }).unwrap();
    let e = sim.run_for(1.0).unwrap_err();
    assert!(e.to_string().contains("nobody"), "{e}");
}

#[test]
fn buggify_is_false_without_a_draw_when_off() {
    let sim = sim(3);
    sim.host("a").unwrap();
    for _ in 0..10 {
        assert!(!sim.buggify("slow", 1.0).unwrap());
    }
    assert!(sim.decisions().is_empty());
    assert!(sim.trace().is_empty());
    assert!(sim.buggify("", 0.5).is_err());
    assert!(sim.buggify("x", 1.5).is_err());
    assert!(sim.buggify_on("nobody", "x", 0.5).is_err());
}

#[test]
fn buggify_when_on_is_deterministic_per_seed_and_recorded() {
    let draw = |seed: u64, buggify: Buggify| {
        let sim = sim_with(SimOptions { seed, buggify, ..Default::default() });
        sim.host("a").unwrap();
        let hits: Vec<bool> = (0..64).map(|i| sim.buggify_on("a", if i % 2 == 0 { "p" } else { "q" }, 0.5).unwrap()).collect();
        (hits, sim)
    };
    let (h1, s1) = draw(7, Buggify::All);
    let (h2, _) = draw(7, Buggify::All);
    let (h3, _) = draw(8, Buggify::All);
    assert_eq!(h1, h2);
    assert_ne!(h1, h3);
    assert!(h1.iter().any(|x| *x) && h1.iter().any(|x| !*x));
    let d = s1.decisions();
    assert_eq!(d.streams["buggify:p"].len(), 32);
    let records: Vec<_> = s1.trace().into_iter().filter(|r| r.kind == "buggify").collect();
    assert_eq!(records.len(), h1.iter().filter(|x| **x).count());
    assert_eq!((&*records[0].host, records[0].str("name").is_some()), ("a", true));
    // Only the named points: `q` stays false and draws nothing; `p` draws
    // exactly as with all enabled (its own stream).
    let (h4, s4) = draw(7, Buggify::Only(BTreeSet::from(["p".to_string()])));
    let p_only: Vec<bool> = h1.iter().enumerate().map(|(i, x)| i % 2 == 0 && *x).collect();
    assert_eq!(h4, p_only);
    assert!(!s4.decisions().streams.contains_key("buggify:q"));
    // p = 0 draws but is never true; p = 1 is always true.
    let (_, s) = draw(1, Buggify::All);
    assert!(!s.buggify("z", 0.0).unwrap());
    assert!(s.buggify("z", 1.0).unwrap());
    assert_eq!(s.trace().last().unwrap().host.as_ref(), "");
}

#[test]
fn host_state_shows_ready_labels_and_timers_in_run_order() {
    let sim = sim(0);
    let a = sim.host("a").unwrap();
    a.call_soon_labelled("first".into(), || {}).unwrap();
    let gone = a.call_soon_labelled("cancelled".into(), || {}).unwrap();
    a.call_soon_labelled("second".into(), || {}).unwrap();
    gone.cancel();
    a.call_later_labelled(2.0, "t2".into(), || {}).unwrap();
    a.call_later_labelled(1.0, "t1".into(), || {}).unwrap();
    a.call_later_labelled(2.0, "t2b".into(), || {}).unwrap();
    a.call_later_labelled(0.5, "dead".into(), || {}).unwrap().cancel();
    let st = sim.host_state("a").unwrap();
    assert_eq!(st.ready, ["first", "second"]);
    assert_eq!(st.timers, [(1.0, "t1".to_string()), (2.0, "t2".to_string()), (2.0, "t2b".to_string())]);
    assert_eq!(
        st.to_json(),
        r#"{"ready":["first","second"],"timers":[{"when":1,"label":"t1"},{"when":2,"label":"t2"},{"when":2,"label":"t2b"}]}"#
    );
    sim.step().unwrap();
    let st = sim.host_state("a").unwrap();
    assert!(st.ready.is_empty());
    assert_eq!(st.timers.len(), 3);
    sim.crash("a").unwrap();
    let st = sim.host_state("a").unwrap();
    assert!(st.ready.is_empty() && st.timers.is_empty());
    assert!(sim.host_state("nobody").is_err());
}

#[test]
fn options_json_has_everything_but_the_seed_and_the_replay() {
    let sim = sim_with(SimOptions {
        seed: 77,
        loss: 0.25,
        buggify: Buggify::Only(BTreeSet::from(["b".to_string(), "a".to_string()])),
        replay: Some(Decisions::default()),
        ..Default::default()
    });
    assert_eq!(
        sim.options_json(),
        r#"{"latency":[0.001,0.005],"loss":0.25,"connectTimeout":10,"streamTimeout":30,"trace":true,"buggify":["a","b"]}"#
    );
    assert_eq!(sim.options().seed, 77);
    assert!(SimOptions { buggify: Buggify::All, ..Default::default() }.to_json().ends_with(r#""buggify":true}"#));
    assert!(SimOptions::default().to_json().ends_with(r#""buggify":false}"#));
}
