//! Helpers shared by the simulation tests (`tests/sim_*.rs`).
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use evloop::sim::{SimOptions, Simulation};
use evloop::{Error, EventLoop, Protocol, Result, Server, ServerOptions, Transport};

/// Echoes every byte back; closes on EOF.
#[derive(Default)]
pub struct Echo {
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

/// Records what a connection sees.
#[derive(Default)]
pub struct Client {
    pub transport: RefCell<Option<Transport>>,
    pub data: RefCell<Vec<u8>>,
    pub eof: Cell<bool>,
    /// `Some(None)`: lost cleanly; `Some(Some(e))`: lost with `e`.
    pub lost: RefCell<Option<Option<Error>>>,
    pub lost_at: Cell<f64>,
}

impl Client {
    pub fn new() -> Rc<Client> {
        Rc::new(Client::default())
    }
    pub fn transport(&self) -> Transport {
        self.transport.borrow().clone().expect("connected")
    }
    pub fn lost_error(&self) -> Option<Error> {
        self.lost.borrow().clone().flatten()
    }
    pub fn is_lost(&self) -> bool {
        self.lost.borrow().is_some()
    }
}

impl Protocol for Client {
    fn connection_made(&self, t: &Transport) -> Result<()> {
        *self.transport.borrow_mut() = Some(t.clone());
        Ok(())
    }
    fn data_received(&self, data: &[u8]) -> Result<()> {
        self.data.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn eof_received(&self) -> Result<bool> {
        self.eof.set(true);
        Ok(false)
    }
    fn connection_lost(&self, exc: Option<Error>) -> Result<()> {
        let lp = self.transport().get_loop();
        self.lost_at.set(lp.time());
        *self.lost.borrow_mut() = Some(exc);
        Ok(())
    }
}

/// A simulation with the seed and otherwise default options.
pub fn sim(seed: u64) -> Simulation {
    Simulation::new(SimOptions { seed, ..Default::default() }).unwrap()
}

pub fn sim_with(opts: SimOptions) -> Simulation {
    Simulation::new(opts).unwrap()
}

/// Starts an echo server on `lp` at `port` (as a task); the server is in
/// the returned cell once it is listening.
pub fn echo_server(lp: &EventLoop, port: u16) -> Rc<RefCell<Option<Server>>> {
    let cell = Rc::new(RefCell::new(None));
    let c = cell.clone();
    let create = lp.create_server(|| Rc::new(Echo::default()) as Rc<dyn Protocol>, None, Some(port), ServerOptions::default());
    lp.create_task(async move {
        *c.borrow_mut() = Some(create.await.expect("server"));
    })
    .unwrap();
    cell
}

/// Connects `client` from `lp` to `host:port`, as a task resolving to the transport.
pub fn connect(lp: &EventLoop, client: &Rc<Client>, host: &str, port: u16) -> evloop::Task<Result<Transport>> {
    let p = client.clone();
    let fut = lp.create_connection(move || p as Rc<dyn Protocol>, Some(host.to_string()), Some(port), Default::default());
    lp.create_task(async move { fut.await.map(|(t, _)| t) }).unwrap()
}

/// A deterministic payload.
pub fn payload(n: usize, salt: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u32).wrapping_mul(2654435761).rotate_left(7) as u8 ^ salt).collect()
}

/// Runs until `cond` holds (or fails after `limit` virtual seconds).
pub fn run_until(sim: &Simulation, limit: f64, cond: impl Fn() -> bool) {
    let end = sim.now() + limit;
    while !cond() {
        assert!(sim.now() <= end, "condition not met by t={end}");
        assert!(sim.step().unwrap(), "no events left before the condition held (t={})", sim.now());
    }
}
