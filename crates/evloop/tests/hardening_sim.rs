//! Hardening (docs/reliability.md): fault schedules in the simulation. The
//! fuzz target `sim_faults` (fuzz/src/sim_faults.rs) found the case below;
//! it stays here as a regression test: the peer that ended the connection now
//! answers later segments with a reset.

use std::cell::RefCell;
use std::rc::Rc;

use evloop::sim::{SimOptions, Simulation};
use evloop::{Error, Protocol, ServerOptions, Transport};

#[derive(Default)]
struct Echo(RefCell<Option<Transport>>);

impl Protocol for Echo {
    fn connection_made(&self, t: &Transport) -> evloop::Result<()> {
        *self.0.borrow_mut() = Some(t.clone());
        Ok(())
    }
    fn data_received(&self, data: &[u8]) -> evloop::Result<()> {
        self.0.borrow().as_ref().unwrap().write(data)
    }
}

#[derive(Default)]
struct Client {
    t: RefCell<Option<Transport>>,
    got: RefCell<Vec<u8>>,
    lost: RefCell<Option<Option<String>>>,
}

impl Protocol for Client {
    fn connection_made(&self, t: &Transport) -> evloop::Result<()> {
        *self.t.borrow_mut() = Some(t.clone());
        Ok(())
    }
    fn data_received(&self, data: &[u8]) -> evloop::Result<()> {
        self.got.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn connection_lost(&self, exc: Option<Error>) -> evloop::Result<()> {
        *self.lost.borrow_mut() = Some(exc.map(|e| e.to_string()));
        Ok(())
    }
}

/// The server's echo cannot get through (a one-way partition), so its side
/// times out (ETIMEDOUT) and sends a reset, which the partition drops too.
/// Once the partition heals, the client's later writes go nowhere: no echo,
/// no reset, no timeout. The connection hangs silently, which API.md rules
/// out ("Nothing hangs silently"); a real TCP peer would answer the write
/// with a reset.
#[test]
fn writes_after_the_peer_timed_out_behind_a_partition_end_the_connection() {
    let sim = Simulation::new(SimOptions { seed: 7, latency: (0.01, 0.01), stream_timeout: 10.0, ..Default::default() }).unwrap();
    sim.host_with_program("server", |lp| {
        let create = lp.create_server(|| Rc::new(Echo::default()) as Rc<dyn Protocol>, None, Some(7), ServerOptions::default());
        lp.create_task(async move {
            create.await.unwrap();
        })
        .unwrap();
    })
    .unwrap();
    let client = sim.host("client").unwrap();
    sim.run_for(0.1).unwrap();
    let c = Rc::new(Client::default());
    let p = c.clone();
    let connect = client.create_connection(move || p as Rc<dyn Protocol>, Some("server".into()), Some(7), Default::default());
    let task = client.create_task(async move { connect.await.map(|_| ()) }).unwrap();
    sim.run_until_complete(&task).unwrap().unwrap();
    let t = c.t.borrow().clone().unwrap();

    sim.partition(&["server"], &["client"], true).unwrap();
    t.write(b"first").unwrap();
    sim.run_for(40.0).unwrap(); // the server side times out; its reset is dropped
    sim.heal(None, None).unwrap();
    t.write(b"second").unwrap();
    sim.run_for(60.0).unwrap();
    assert!(
        c.lost.borrow().is_some() || *c.got.borrow() == b"firstsecond",
        "the client's connection hangs silently: got {:?}, not lost",
        String::from_utf8_lossy(&c.got.borrow())
    );
}
