//! `SimulationCore`: the core's `evloop::sim::Simulation`, exported to the
//! package's `Simulation` (packages/evloop/sim/simulation.js), which checks
//! arguments, drives it one event at a time and lets promise continuations
//! run between two events.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use evloop::sim::{Buggify, Decisions, LinkOptions, SimOptions, Simulation};
use evloop::Error;
use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::convert::throw;
use crate::ctx::{self, Ctx};
use crate::host_loop::HostLoop;

/// A host's program: the package's starter function, in a slot that
/// `close()` empties (it refers to the host object: a cycle through JS).
type ProgramSlot = Rc<RefCell<Option<Function>>>;

/// The core simulation.
#[wasm_bindgen]
pub struct SimulationCore {
    pub(crate) sim: Simulation,
    programs: RefCell<Vec<ProgramSlot>>,
    /// A step is running (a host callback cannot run the simulation).
    stepping: Cell<bool>,
    /// Told `(name, newLoop)` when a scheduled fault restarted a host.
    pub(crate) on_restart: RefCell<Option<Function>>,
    _live: crate::live::Counted,
}

pub(crate) fn life(sim: &Simulation, name: &str, lp: evloop::EventLoop) -> HostLoop {
    let _ = sim;
    HostLoop::new(Ctx::new(lp, Rc::from(name)))
}

#[wasm_bindgen]
impl SimulationCore {
    /// The package normalizes the options (`seed` an integer, `latency` a
    /// pair, `replay` flattened: stream names, their lengths, all values;
    /// `buggify` 0 none, 1 all, 2 only `buggify_names`).
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        seed: f64,
        latency_min: f64,
        latency_max: f64,
        loss: f64,
        connect_timeout: f64,
        stream_timeout: f64,
        trace: bool,
        replay_names: Option<Vec<String>>,
        replay_lengths: Option<Vec<u32>>,
        replay_values: Option<Vec<f64>>,
        buggify_mode: u8,
        buggify_names: Vec<String>,
    ) -> Result<SimulationCore, JsValue> {
        if !(seed.is_finite() && seed.fract() == 0.0 && seed.abs() <= 9_007_199_254_740_991.0) {
            return Err(throw(Error::Value(format!("seed must be a safe integer, got {seed}"))));
        }
        // Negative seeds wrap, as two's complement.
        let seed = if seed < 0.0 { (seed as i64) as u64 } else { seed as u64 };
        let sim = Simulation::new(SimOptions {
            seed,
            latency: (latency_min, latency_max),
            loss,
            connect_timeout,
            stream_timeout,
            trace,
            replay: replay_of(replay_names, replay_lengths, replay_values)?,
            buggify: match buggify_mode {
                0 => Buggify::Off,
                1 => Buggify::All,
                _ => Buggify::Only(buggify_names.into_iter().collect()),
            },
        })
        .map_err(throw)?;
        Ok(SimulationCore {
            sim,
            programs: RefCell::new(Vec::new()),
            stepping: Cell::new(false),
            on_restart: RefCell::new(None),
            _live: crate::live::Counted::new(crate::live::Kind::Simulation),
        })
    }

    /// Adds a host; `program` (the package's starter, called with no
    /// arguments) runs when the simulation starts and after each restart.
    #[wasm_bindgen(js_name = addHost)]
    pub fn add_host(&self, name: &str, program: Option<Function>) -> Result<HostLoop, JsValue> {
        let lp = match program {
            None => self.sim.host(name),
            Some(f) => {
                let slot: ProgramSlot = Rc::new(RefCell::new(Some(f)));
                self.programs.borrow_mut().push(slot.clone());
                let host: Rc<str> = Rc::from(name);
                self.sim.host_with_program(name, move |lp| {
                    let Some(f) = slot.borrow().clone() else { return };
                    let ctx = Ctx::new(lp.clone(), host.clone());
                    if let Err(e) = ctx.call(&f, &JsValue::UNDEFINED, &[]) {
                        ctx.report("Exception in the program of a host", e, Vec::new());
                    }
                })
            }
        }
        .map_err(throw)?;
        Ok(life(&self.sim, name, lp))
    }

    /// Host names in creation order.
    #[wasm_bindgen(js_name = hostNames)]
    pub fn host_names(&self) -> Vec<String> {
        self.sim.host_names()
    }

    #[wasm_bindgen(js_name = wallTime)]
    pub fn wall_time(&self, name: &str) -> Result<f64, JsValue> {
        self.sim.wall_time(name).map_err(throw)
    }

    pub fn random(&self, name: &str) -> Result<f64, JsValue> {
        self.sim.random(name).map_err(throw)
    }

    /// The virtual delay of the host's next executor job (its executor stream).
    #[wasm_bindgen(js_name = executorDelay)]
    pub fn executor_delay(&self, name: &str) -> Result<f64, JsValue> {
        self.sim.executor_delay(name).map_err(throw)
    }

    #[wasm_bindgen(js_name = isCrashed)]
    pub fn is_crashed(&self, name: &str) -> Result<bool, JsValue> {
        self.sim.is_crashed(name).map_err(throw)
    }

    pub fn now(&self) -> f64 {
        self.sim.now()
    }

    pub fn events(&self) -> f64 {
        self.sim.events() as f64
    }

    /// Queues the programs (idempotent).
    pub fn start(&self) {
        self.sim.start();
    }

    /// Runs one event; false when nothing is left. The running host is
    /// forgotten first (`runningHostName()` then names the host whose
    /// JS ran in this step).
    ///
    /// # Errors
    /// `RuntimeError` when called from inside a step; a fatal error a
    /// callback raised (SystemExit, KeyboardInterrupt).
    pub fn step(&self) -> Result<bool, JsValue> {
        if self.stepping.get() {
            return Err(throw(Error::Runtime("the simulation is already running a step".into())));
        }
        ctx::clear_running_host();
        self.stepping.set(true);
        let result = self.sim.step();
        self.stepping.set(false);
        self.report_restarts()?;
        result.map_err(throw)
    }

    /// When the next event is due (`undefined`: nothing is left).
    #[wasm_bindgen(js_name = nextEventTime)]
    pub fn next_event_time(&self) -> Option<f64> {
        self.sim.next_event_time()
    }

    /// Sets the clock to `t` without running anything.
    #[wasm_bindgen(js_name = advanceTo)]
    pub fn advance_to(&self, t: f64) -> Result<(), JsValue> {
        self.sim.advance_to(t).map_err(throw)
    }

    // ----- faults -----

    pub fn partition(&self, a: Vec<String>, b: Vec<String>, one_way: bool) -> Result<(), JsValue> {
        self.sim.partition(&strs(&a), &strs(&b), one_way).map_err(throw)
    }

    pub fn heal(&self, a: Option<Vec<String>>, b: Option<Vec<String>>) -> Result<(), JsValue> {
        let a = a.as_deref().map(strs);
        let b = b.as_deref().map(strs);
        self.sim.heal(a.as_deref(), b.as_deref()).map_err(throw)
    }

    pub fn hold(&self, a: &str, b: &str) -> Result<(), JsValue> {
        self.sim.hold(a, b).map_err(throw)
    }

    pub fn release(&self, a: &str, b: &str) -> Result<(), JsValue> {
        self.sim.release(a, b).map_err(throw)
    }

    /// `latency_min`/`latency_max` both set or both absent (the package
    /// pairs them); `duplicate`/`reorder` apply to datagrams.
    #[wasm_bindgen(js_name = setLink)]
    #[allow(clippy::too_many_arguments)]
    pub fn set_link(
        &self,
        a: &str,
        b: &str,
        latency_min: Option<f64>,
        latency_max: Option<f64>,
        loss: Option<f64>,
        one_way: bool,
        duplicate: Option<f64>,
        reorder: Option<f64>,
    ) -> Result<(), JsValue> {
        let latency = latency_min.zip(latency_max);
        self.sim.set_link(a, b, LinkOptions { latency, loss, duplicate, reorder, one_way }).map_err(throw)
    }

    pub fn crash(&self, name: &str) -> Result<(), JsValue> {
        self.sim.crash(name).map_err(throw)
    }

    /// Returns the host's new loop.
    pub fn restart(&self, name: &str) -> Result<HostLoop, JsValue> {
        let lp = self.sim.restart(name).map_err(throw)?;
        Ok(life(&self.sim, name, lp))
    }

    pub fn pause(&self, name: &str) -> Result<(), JsValue> {
        self.sim.pause(name).map_err(throw)
    }

    pub fn resume(&self, name: &str) -> Result<(), JsValue> {
        self.sim.resume(name).map_err(throw)
    }

    /// Signal `sig` reaches host `name`'s handler (a traced fault).
    pub fn signal(&self, name: &str, sig: i32) -> Result<(), JsValue> {
        self.sim.signal(name, sig).map_err(throw)
    }

    #[wasm_bindgen(js_name = setClockSkew)]
    pub fn set_clock_skew(&self, name: &str, seconds: f64) -> Result<(), JsValue> {
        self.sim.set_clock_skew(name, seconds).map_err(throw)
    }

    // ----- observation -----

    /// The trace records from index `from` on, as a JSON array.
    #[wasm_bindgen(js_name = traceJson)]
    pub fn trace_json(&self, from: usize) -> String {
        if from == 0 {
            return self.sim.trace_json();
        }
        let records = self.sim.trace();
        evloop::sim::trace_to_json(records.get(from..).unwrap_or(&[]))
    }

    #[wasm_bindgen(js_name = traceLength)]
    pub fn trace_length(&self) -> usize {
        self.sim.trace_len()
    }

    #[wasm_bindgen(js_name = statsJson)]
    pub fn stats_json(&self) -> String {
        self.sim.stats().to_json()
    }

    /// Ends the simulation: programs are forgotten, every host's loop
    /// closed (its callbacks and tasks dropped) and its connections
    /// abandoned (`evloop::sim::Simulation::close`), which releases the JS
    /// objects they hold. Nothing runs afterwards.
    pub fn close(&self) {
        self.on_restart.borrow_mut().take();
        for slot in self.programs.borrow_mut().drain(..) {
            slot.borrow_mut().take();
        }
        self.sim.close();
    }
}

/// The replay record from its flattened form.
fn replay_of(names: Option<Vec<String>>, lengths: Option<Vec<u32>>, values: Option<Vec<f64>>) -> Result<Option<Decisions>, JsValue> {
    let (Some(names), Some(lengths), Some(values)) = (names, lengths, values) else { return Ok(None) };
    let mut d = Decisions::default();
    let mut at = 0usize;
    for (name, len) in names.into_iter().zip(lengths) {
        let end = at + len as usize;
        let Some(v) = values.get(at..end) else {
            return Err(throw(Error::Value("replay: lengths do not match the values".into())));
        };
        d.streams.insert(name, v.to_vec());
        at = end;
    }
    Ok(Some(d))
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
