//! The simulated network under the core's servers, transports and streams.

mod sim_util;

use std::cell::RefCell;
use std::rc::Rc;

use evloop::sim::{LinkOptions, SimOptions};
use evloop::{Address, StreamOptions};
use sim_util::*;

#[test]
fn echo_over_create_server_and_create_connection() {
    let sim = sim(1);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    let srv = echo_server(&server, 8080);
    let c = Client::new();
    let t = sim.run_until_complete(&connect(&client, &c, "server", 8080)).unwrap().unwrap();
    assert!(srv.borrow().is_some());
    assert_eq!(t.peername(), Some(Address::Sim { host: "server".into(), port: 8080 }));
    let local = t.sockname().unwrap();
    assert!(matches!(&local, Address::Sim { host, port } if host == "client" && *port >= 32768), "{local}");
    assert_eq!(t.socket().fileno(), 3);
    t.write(b"hello, ").unwrap();
    t.write(b"world").unwrap();
    run_until(&sim, 1.0, || c.data.borrow().len() == 12);
    assert_eq!(&*c.data.borrow(), b"hello, world");
    let srv = srv.borrow().clone().unwrap();
    assert_eq!(srv.client_count(), 1);
    assert_eq!(format!("{:?}", srv.sockets()[0].getsockname().unwrap()), "Sim { host: \"server\", port: 8080 }");
    t.close();
    run_until(&sim, 1.0, || c.is_lost() && srv.client_count() == 0);
    assert!(c.lost_error().is_none());
    // Once the last FIN has arrived, nothing is left: the loops are idle.
    sim.run_for(1.0).unwrap();
    assert!(!sim.step().unwrap());
    let st = sim.stats();
    assert_eq!(st.sent, st.delivered);
    assert_eq!(st.dropped_total(), 0);
    assert!(sim.trace().iter().any(|r| r.kind == "accept" && r.host.as_ref() == "server"));
}

#[test]
fn echo_over_streams() {
    let sim = sim(2);
    let server = sim.host_with_program("server", |lp| {
        let start = lp.start_server(
            |reader: evloop::StreamReader, writer: evloop::StreamWriter| async move {
                while let Ok(line) = reader.readline().await {
                    if line.is_empty() {
                        break;
                    }
                    let mut reply = b"echo: ".to_vec();
                    reply.extend_from_slice(&line);
                    writer.write(&reply).unwrap();
                    writer.drain().await.unwrap();
                }
                writer.close();
            },
            None,
            Some(7),
            StreamOptions::default(),
        );
        let lp2 = lp.clone();
        lp.create_task(async move {
            let srv = start.await.unwrap();
            lp2.create_task(async move { let _ = srv.serve_forever().unwrap().await; }).unwrap();
        })
        .unwrap();
    })
    .unwrap();
    let _ = server;
    let client = sim.host("client").unwrap();
    let lp = client.clone();
    let task = client
        .create_task(async move {
            let (reader, writer) = lp.open_connection(Some("server".into()), Some(7), StreamOptions::default()).await?;
            let mut got = Vec::new();
            for word in ["one", "two", "three"] {
                writer.write(format!("{word}\n").as_bytes())?;
                got.push(String::from_utf8(reader.readline().await?).unwrap());
            }
            writer.close();
            writer.wait_closed().await?;
            Ok::<_, evloop::Error>((got, lp.time()))
        })
        .unwrap();
    let (got, t) = sim.run_until_complete(&task).unwrap().unwrap();
    assert_eq!(got, ["echo: one\n", "echo: two\n", "echo: three\n"]);
    // Four round trips (connect + three lines) of 2-10 ms each.
    assert!(t > 0.008 && t < 0.05, "{t}");
}

#[test]
fn every_byte_arrives_once_and_in_order_despite_loss() {
    let sim = sim_with(SimOptions { seed: 3, loss: 0.3, ..Default::default() });
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    echo_server(&server, 9);
    let c = Client::new();
    let t = sim.run_until_complete(&connect(&client, &c, "server", 9)).unwrap().unwrap();
    let data = payload(600_000, 7);
    for chunk in data.chunks(10_000) {
        t.write(chunk).unwrap();
    }
    run_until(&sim, 600.0, || c.data.borrow().len() >= data.len());
    assert_eq!(c.data.borrow().len(), data.len());
    assert!(*c.data.borrow() == data, "bytes differ");
    let st = sim.stats();
    assert!(st.dropped.loss > 10, "{st:?}");
    assert_eq!(st.dropped.partition + st.dropped.crash, 0);
    let drops = sim.trace().iter().filter(|r| r.kind == "drop" && r.str("cause") == Some("loss")).count() as u64;
    assert_eq!(drops, st.dropped.loss);
    assert!(c.lost_error().is_none());
}

#[test]
fn partition_delays_data_until_heal() {
    let sim = sim(4);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    echo_server(&server, 80);
    let c = Client::new();
    let t = sim.run_until_complete(&connect(&client, &c, "server", 80)).unwrap().unwrap();
    sim.partition(&["client"], &["server"], false).unwrap();
    t.write(b"ping").unwrap();
    sim.run_for(5.0).unwrap();
    assert!(c.data.borrow().is_empty());
    let partition_drops = sim.stats().dropped.partition;
    assert!(partition_drops >= 5, "retried every <= 1 s: {partition_drops}");
    let healed_at = sim.now();
    sim.heal(None, None).unwrap();
    run_until(&sim, 5.0, || c.data.borrow().len() == 4);
    assert_eq!(&*c.data.borrow(), b"ping");
    // The retransmission after the heal (at most 1 s later) gets through.
    assert!(sim.now() > healed_at && sim.now() < healed_at + 1.1, "{}", sim.now());
    assert!(c.lost_error().is_none());
    let faults = sim.stats().faults;
    assert_eq!((faults["partition"], faults["heal"]), (1, 1));
}

#[test]
fn one_way_partition_only_blocks_one_direction() {
    let sim = sim(5);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    echo_server(&server, 80);
    let c = Client::new();
    let t = sim.run_until_complete(&connect(&client, &c, "server", 80)).unwrap().unwrap();
    // Replies are dropped; requests get through.
    sim.partition(&["server"], &["client"], true).unwrap();
    t.write(b"x").unwrap();
    sim.run_for(2.0).unwrap();
    assert!(c.data.borrow().is_empty());
    let delivered_to_server =
        sim.trace().iter().any(|r| r.kind == "deliver" && r.host.as_ref() == "server" && r.str("msg") == Some("data"));
    assert!(delivered_to_server);
    sim.heal(Some(&["server"]), None).unwrap();
    run_until(&sim, 2.0, || c.data.borrow().len() == 1);
}

#[test]
fn a_partition_longer_than_stream_timeout_ends_the_connection() {
    let sim = sim_with(SimOptions { seed: 6, stream_timeout: 30.0, ..Default::default() });
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    echo_server(&server, 80);
    let c = Client::new();
    let t = sim.run_until_complete(&connect(&client, &c, "server", 80)).unwrap().unwrap();
    sim.partition(&["client"], &["server"], false).unwrap();
    let start = sim.now();
    t.write(b"lost in the partition").unwrap();
    run_until(&sim, 60.0, || c.is_lost());
    let e = c.lost_error().expect("an error");
    assert_eq!(e.name(), "TimeoutError");
    assert_eq!(e.code(), Some("ETIMEDOUT"));
    assert_eq!(e.errno(), Some(110));
    assert_eq!(e.message(), "[Errno 110] Connection timed out");
    let waited = c.lost_at.get() - start;
    assert!((30.0..=31.0 + 0.01).contains(&waited), "{waited}");
}

#[test]
fn connect_without_an_answer_times_out() {
    let sim = sim_with(SimOptions { seed: 7, connect_timeout: 10.0, ..Default::default() });
    sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    sim.partition(&["client"], &["server"], false).unwrap();
    let c = Client::new();
    let e = sim.run_until_complete(&connect(&client, &c, "server", 80)).unwrap().unwrap_err();
    assert_eq!(e.name(), "TimeoutError");
    assert_eq!(e.code(), Some("ETIMEDOUT"));
    assert_eq!(e.message(), "[Errno 110] Connect call failed ('server', 80)");
    assert_eq!(sim.now(), 10.0);
    assert!(sim.stats().dropped.partition >= 10);
    let connects: Vec<_> = sim.trace().into_iter().filter(|r| r.kind == "connect").collect();
    assert_eq!(connects.last().unwrap().str("result"), Some("ETIMEDOUT"));
}

#[test]
fn connect_to_a_port_without_listener_is_refused_after_a_round_trip() {
    let sim = sim_with(SimOptions { seed: 8, latency: (0.01, 0.01), ..Default::default() });
    sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    let c = Client::new();
    let e = sim.run_until_complete(&connect(&client, &c, "server", 81)).unwrap().unwrap_err();
    assert_eq!(e.name(), "ConnectionRefusedError");
    assert_eq!(e.code(), Some("ECONNREFUSED"));
    assert_eq!(e.message(), "[Errno 111] Connect call failed ('server', 81)");
    assert!((sim.now() - 0.02).abs() < 1e-9, "{}", sim.now());
    // The client socket was closed: nothing is left behind.
    sim.run_for(20.0).unwrap();
    assert!(!sim.step().unwrap());
}

#[test]
fn unknown_host_is_a_gaierror() {
    let sim = sim(9);
    let client = sim.host("client").unwrap();
    let c = Client::new();
    let e = sim.run_until_complete(&connect(&client, &c, "nowhere", 80)).unwrap().unwrap_err();
    assert_eq!(e.name(), "gaierror");
    assert_eq!(e.code(), Some("ENOTFOUND"));
    assert_eq!(sim.now(), 0.0);
}

#[test]
fn held_messages_wait_then_flow_in_order() {
    let sim = sim(10);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    type Log = Rc<RefCell<Vec<(f64, Vec<u8>)>>>;
    let got: Log = Rc::default();
    let g = got.clone();
    let srv_lp = server.clone();
    struct Rec(Log, evloop::EventLoop);
    impl evloop::Protocol for Rec {
        fn data_received(&self, d: &[u8]) -> evloop::Result<()> {
            self.0.borrow_mut().push((self.1.time(), d.to_vec()));
            Ok(())
        }
    }
    let create = server.create_server(
        move || Rc::new(Rec(g.clone(), srv_lp.clone())) as Rc<dyn evloop::Protocol>,
        None,
        Some(1),
        Default::default(),
    );
    server.create_task(async move { std::mem::forget(create.await.unwrap()) }).unwrap();
    let c = Client::new();
    let t = sim.run_until_complete(&connect(&client, &c, "server", 1)).unwrap().unwrap();
    sim.hold("client", "server").unwrap();
    for (i, word) in ["a", "b", "c"].iter().enumerate() {
        t.write(word.as_bytes()).unwrap();
        sim.run_for(1.0 + i as f64).unwrap();
    }
    assert!(got.borrow().is_empty());
    assert_eq!(sim.stats().held, 3);
    let released = sim.now();
    sim.release("client", "server").unwrap();
    sim.run_for(1.0).unwrap();
    let all: Vec<u8> = got.borrow().iter().flat_map(|(_, d)| d.clone()).collect();
    assert_eq!(all, b"abc");
    assert!(got.borrow().iter().all(|(t, _)| *t > released && *t < released + 0.1));
    let kinds: Vec<_> = sim.trace().iter().filter(|r| r.kind == "send" && r.str("msg") == Some("data")).map(|r| r.get("held").is_some()).collect();
    assert_eq!(kinds, [true, true, true]);
}

#[test]
fn set_link_changes_latency_and_loss() {
    let sim = sim_with(SimOptions { seed: 11, latency: (0.001, 0.001), ..Default::default() });
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    echo_server(&server, 5);
    sim.set_link("client", "server", LinkOptions { latency: Some((0.5, 0.5)), ..Default::default() }).unwrap();
    let c = Client::new();
    sim.run_until_complete(&connect(&client, &c, "server", 5)).unwrap().unwrap();
    assert!((sim.now() - 1.0).abs() < 1e-9, "{}", sim.now());
    sim.set_link("server", "client", LinkOptions { latency: Some((2.0, 2.0)), one_way: true, ..Default::default() }).unwrap();
    let t0 = sim.now();
    c.transport().write(b"q").unwrap();
    run_until(&sim, 5.0, || !c.data.borrow().is_empty());
    assert!((sim.now() - t0 - 2.5).abs() < 1e-9, "{}", sim.now() - t0);
    assert_eq!(sim.stats().faults["link"], 2);
    assert!(sim.set_link("client", "server", LinkOptions { loss: Some(1.5), ..Default::default() }).is_err());
}

#[test]
fn backpressure_through_the_window() {
    // A reader that does not read: the writer's buffer fills and pauses it.
    let sim = sim(12);
    let server = sim.host("server").unwrap();
    let client = sim.host("client").unwrap();
    // It keeps its transport: an abandoned, paused transport is closed.
    #[derive(Default)]
    struct Sink(RefCell<Option<evloop::Transport>>);
    impl evloop::Protocol for Sink {
        fn connection_made(&self, t: &evloop::Transport) -> evloop::Result<()> {
            t.pause_reading();
            *self.0.borrow_mut() = Some(t.clone());
            Ok(())
        }
    }
    let create =
        server.create_server(|| Rc::new(Sink::default()) as Rc<dyn evloop::Protocol>, None, Some(2), Default::default());
    server.create_task(async move { std::mem::forget(create.await.unwrap()) }).unwrap();
    let c = Client::new();
    let t = sim.run_until_complete(&connect(&client, &c, "server", 2)).unwrap().unwrap();
    t.write(&payload(1_000_000, 1)).unwrap();
    sim.run_for(5.0).unwrap();
    // 256 KiB went out; the rest waits in the transport.
    assert_eq!(t.get_write_buffer_size(), 1_000_000 - 256 * 1024);
}


#[test]
fn lossy_round_trips_over_many_seeds() {
    // Refused connects, half-closes and 30% loss: every byte echoed, every
    // connection closed cleanly, and the simulation always runs dry.
    for seed in 0..60 {
        let sim = sim_with(SimOptions { seed, latency: (0.001, 0.01), loss: 0.3, ..Default::default() });
        let s = sim.host("s").unwrap();
        echo_server(&s, 80);
        let c = sim.host("c").unwrap();
        let cl = Client::new();
        let t = sim.run_until_complete(&connect(&c, &cl, "s", 80)).unwrap().unwrap();
        let data = payload(40_000 + seed as usize * 1000, seed as u8);
        t.write(&data).unwrap();
        t.write_eof();
        let refused = Client::new();
        let e = sim.run_until_complete(&connect(&c, &refused, "s", 81)).unwrap().unwrap_err();
        assert_eq!(e.code(), Some("ECONNREFUSED"), "seed {seed}");
        run_until(&sim, 100.0, || cl.is_lost());
        assert!(cl.lost_error().is_none(), "seed {seed}: {:?}", cl.lost_error());
        assert!(*cl.data.borrow() == data, "seed {seed}");
        let mut steps = 0;
        while sim.step().unwrap() {
            steps += 1;
            assert!(steps < 10_000, "seed {seed}: no end");
        }
        let st = sim.stats();
        assert_eq!(st.sent, st.delivered + st.dropped_total(), "seed {seed}: {st:?}");
    }
}
