//! The simulation's power tools on `SimulationCore` (issue "simulation
//! power tools"): recorded decisions and replay divergence, scheduled
//! faults, buggify points, a host's queues and the options as JSON. The
//! package (`packages/evloop/sim/power.js`) checks the arguments first.

use evloop::sim::{Fault, LinkOptions};
use evloop::Error;
use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::convert::throw;
use crate::simulation::{life, SimulationCore};

#[wasm_bindgen]
impl SimulationCore {
    /// `{ [stream]: number[] }` as JSON.
    #[wasm_bindgen(js_name = decisionsJson)]
    pub fn decisions_json(&self) -> String {
        self.sim.decisions().to_json()
    }

    /// `{ stream, index, event }` as JSON, or `undefined`.
    #[wasm_bindgen(js_name = divergenceJson)]
    pub fn divergence_json(&self) -> Option<String> {
        self.sim.divergence().map(|d| d.to_json())
    }

    /// The options but the seed and the replay record, as JSON.
    #[wasm_bindgen(js_name = optionsJson)]
    pub fn options_json(&self) -> String {
        self.sim.options_json()
    }

    /// `{ ready, timers }` of a host, as JSON.
    #[wasm_bindgen(js_name = hostStateJson)]
    pub fn host_state_json(&self, name: &str) -> Result<String, JsValue> {
        self.sim.host_state(name).map(|s| s.to_json()).map_err(throw)
    }

    /// A fault point: `host` names the host it is for (else the one running).
    pub fn buggify(&self, point: &str, p: f64, host: Option<String>) -> Result<bool, JsValue> {
        match host {
            Some(h) => self.sim.buggify_on(&h, point, p),
            None => self.sim.buggify(point, p),
        }
        .map_err(throw)
    }

    /// Schedules fault `kind` at `at`. Groups (`partition`, `heal`) come as
    /// arrays, pairs (`hold`, `release`, `link`) as arrays of one name.
    #[allow(clippy::too_many_arguments)]
    pub fn schedule(
        &self,
        at: f64,
        kind: &str,
        a: Option<Vec<String>>,
        b: Option<Vec<String>>,
        host: Option<String>,
        seconds: Option<f64>,
        latency_min: Option<f64>,
        latency_max: Option<f64>,
        loss: Option<f64>,
        one_way: bool,
        sig: Option<i32>,
    ) -> Result<(), JsValue> {
        let one = |g: Option<Vec<String>>| g.and_then(|g| g.into_iter().next()).unwrap_or_default();
        let host = host.unwrap_or_default();
        let fault = match kind {
            "partition" => Fault::Partition { a: a.unwrap_or_default(), b: b.unwrap_or_default(), one_way },
            "heal" => Fault::Heal { a, b },
            "hold" => Fault::Hold { a: one(a), b: one(b) },
            "release" => Fault::Release { a: one(a), b: one(b) },
            "link" => {
                let opts = LinkOptions { latency: latency_min.zip(latency_max), loss, one_way, ..Default::default() };
                Fault::Link { a: one(a), b: one(b), opts }
            }
            "crash" => Fault::Crash(host),
            "restart" => Fault::Restart(host),
            "pause" => Fault::Pause(host),
            "resume" => Fault::Resume(host),
            "skew" => Fault::Skew { host, seconds: seconds.unwrap_or(f64::NAN) },
            "signal" => Fault::Signal { host, sig: sig.unwrap_or(0) },
            other => return Err(throw(Error::Value(format!("schedule(): unknown fault '{other}'")))),
        };
        self.sim.schedule(at, fault).map_err(throw)
    }

    /// `hook(name, newLoop)` runs after a step in which a scheduled fault
    /// restarted host `name`, so the package's host object moves to the
    /// new life before its program runs.
    #[wasm_bindgen(js_name = setRestartHook)]
    pub fn set_restart_hook(&self, hook: Option<Function>) {
        *self.on_restart.borrow_mut() = hook;
    }
}

impl SimulationCore {
    /// Hands the loops of hosts that scheduled faults restarted to the hook.
    pub(crate) fn report_restarts(&self) -> Result<(), JsValue> {
        for name in self.sim.take_restarted() {
            let Ok(Some(lp)) = self.sim.loop_of(&name) else { continue };
            let hook = self.on_restart.borrow().clone();
            if let Some(hook) = hook {
                let value: JsValue = life(&self.sim, &name, lp).into();
                hook.call2(&JsValue::UNDEFINED, &JsValue::from_str(&name), &value)?;
            }
        }
        Ok(())
    }
}
