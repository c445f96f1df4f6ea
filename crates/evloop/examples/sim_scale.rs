//! Simulation at scale: 10,000 hosts, of which 1,000 (500 client/server pairs)
//! exchange 20 stream round trips each under 1% loss (the scenario of
//! `tests/sim_scale.rs`), with the trace off so that the loop is measured.
//!
//! ```text
//! cargo run --release -p evloop --example sim_scale -- [HOSTS] [PAIRS] [ROUNDS] [--trace]
//! ```
//! Prints one JSON object: hosts, active, rounds, events, seconds, events_per_s, ...
//! (`pnpm bench:sim`, docs/benchmarks-sim.md).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Instant;

use evloop::sim::{SimOptions, Simulation};
use evloop::{Protocol, Result, ServerOptions, StreamOptions, Transport};

/// Echoes every byte back.
#[derive(Default)]
struct Echo {
    transport: RefCell<Option<Transport>>,
}

impl Protocol for Echo {
    fn connection_made(&self, t: &Transport) -> Result<()> {
        *self.transport.borrow_mut() = Some(t.clone());
        Ok(())
    }
    fn data_received(&self, data: &[u8]) -> Result<()> {
        if let Some(t) = &*self.transport.borrow() {
            t.write(data)?;
        }
        Ok(())
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let trace = args.iter().any(|a| a == "--trace");
    let nums: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let hosts = nums.first().copied().unwrap_or(10_000);
    let pairs = nums.get(1).copied().unwrap_or(500);
    let rounds = nums.get(2).copied().unwrap_or(20);
    assert!(2 * pairs <= hosts, "need at least 2 x PAIRS hosts");

    let sim = Simulation::new(SimOptions { seed: 7, latency: (0.001, 0.01), loss: 0.01, trace, ..Default::default() })?;
    let done = Rc::new(Cell::new(0usize));
    let real = Instant::now();
    for i in 0..hosts {
        let name = format!("h{i}");
        if i < pairs {
            sim.host_with_program(&name, |lp| {
                let create =
                    lp.create_server(|| Rc::new(Echo::default()) as Rc<dyn Protocol>, None, Some(80), ServerOptions::default());
                lp.create_task(async move {
                    create.await.expect("server");
                })
                .unwrap();
            })?;
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
            })?;
        } else {
            sim.host(&name)?;
        }
    }
    let built = real.elapsed().as_secs_f64();
    let start = Instant::now();
    while done.get() < pairs {
        assert!(sim.step()?, "ran out of events with {} of {pairs} done", done.get());
    }
    sim.run_for(1.0)?;
    let seconds = start.elapsed().as_secs_f64();
    let st = sim.stats();
    assert_eq!(done.get(), pairs);
    assert!(st.delivered > (pairs * rounds * 2) as u64);
    let events = sim.events();
    println!(
        "{{\"where\":\"native\",\"hosts\":{hosts},\"active\":{},\"pairs\":{pairs},\"rounds\":{rounds},\"trace\":{trace},\
         \"events\":{events},\"seconds\":{seconds:.6},\"events_per_s\":{:.0},\"build_seconds\":{built:.6},\
         \"messages\":{},\"delivered\":{},\"virtual_seconds\":{:.6}}}",
        2 * pairs,
        events as f64 / seconds,
        st.sent,
        st.delivered,
        sim.now(),
    );
    Ok(())
}
