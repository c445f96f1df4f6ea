//! Scale: 10,000 hosts, of which 1,000 (500 client/server pairs) talk.
//! Prints events per second (`cargo test --release --test sim_scale -- --nocapture`).

mod sim_util;

use std::cell::Cell;
use std::rc::Rc;

use evloop::sim::SimOptions;
use evloop::StreamOptions;
use sim_util::*;

fn run(hosts: usize, pairs: usize, rounds: usize) {
    let sim = sim_with(SimOptions { seed: 7, latency: (0.001, 0.01), loss: 0.01, ..Default::default() });
    let done = Rc::new(Cell::new(0usize));
    let real = std::time::Instant::now();
    for i in 0..hosts {
        let name = format!("h{i}");
        if i < pairs {
            sim.host_with_program(&name, |lp| {
                echo_server(lp, 80);
            })
            .unwrap();
        } else if i < 2 * pairs {
            let (server, d) = (format!("h{}", i - pairs), done.clone());
            sim.host_with_program(&name, move |lp| {
                let (lp2, server, d) = (lp.clone(), server.clone(), d.clone());
                lp.create_task(async move {
                    let (reader, writer) =
                        lp2.open_connection(Some(server), Some(80), StreamOptions::default()).await.unwrap();
                    for k in 0..rounds {
                        let msg = format!("message {k}\n");
                        writer.write(msg.as_bytes()).unwrap();
                        assert_eq!(reader.readline().await.unwrap(), msg.as_bytes());
                    }
                    writer.close();
                    d.set(d.get() + 1);
                })
                .unwrap();
            })
            .unwrap();
        } else {
            sim.host(&name).unwrap();
        }
    }
    let built = real.elapsed();
    while done.get() < pairs {
        assert!(sim.step().unwrap(), "ran out of events with {} of {pairs} done", done.get());
    }
    sim.run_for(1.0).unwrap();
    let took = real.elapsed() - built;
    let st = sim.stats();
    eprintln!(
        "{hosts} hosts ({pairs} pairs x {rounds} round trips): built in {:.3}s; {} events in {:.3}s = {:.0} events/s; \
         {} messages, {} trace records, virtual t={:.3}s",
        built.as_secs_f64(),
        sim.events(),
        took.as_secs_f64(),
        sim.events() as f64 / took.as_secs_f64(),
        st.sent,
        sim.trace_len(),
        sim.now(),
    );
    assert_eq!(done.get(), pairs);
    assert!(st.delivered > (pairs * rounds * 2) as u64);
}

#[test]
fn ten_thousand_hosts_a_thousand_talking() {
    run(10_000, 500, 20);
}
