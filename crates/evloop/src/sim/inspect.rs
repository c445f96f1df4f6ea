//! Looking inside a simulation without changing it: a host's queues
//! ([`Simulation::host_state`], for a playground's panel) and the options
//! as the JSON a trace file stores ([`Simulation::options_json`]).

use super::buggify::Buggify;
use super::decisions::Decisions;
use super::trace::{write_num, write_str};
use super::{Divergence, SimOptions, Simulation};
use crate::error::Result;

/// What a host's loop is about to do ([`Simulation::host_state`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostSnapshot {
    /// Labels of the ready callbacks, in run order (cancelled ones left out).
    pub ready: Vec<String>,
    /// `(when, label)` of the timers not cancelled, in run order.
    pub timers: Vec<(f64, String)>,
}

impl HostSnapshot {
    /// `{"ready":[..],"timers":[{"when":..,"label":..},..]}`.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"ready\":[");
        for (i, label) in self.ready.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(&mut out, label);
        }
        out.push_str("],\"timers\":[");
        for (i, (when, label)) in self.timers.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"when\":");
            write_num(&mut out, *when);
            out.push_str(",\"label\":");
            write_str(&mut out, label);
            out.push('}');
        }
        out.push_str("]}");
        out
    }
}

impl SimOptions {
    /// The options but the seed and the replay record, as JSON with the JS
    /// names: `{"latency":[min,max],"loss":..,"connectTimeout":..,
    /// "streamTimeout":..,"trace":..,"buggify":false|true|[names]}`. What a
    /// trace file stores, so that a replay needs no seed.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"latency\":[");
        write_num(&mut out, self.latency.0);
        out.push(',');
        write_num(&mut out, self.latency.1);
        out.push_str("],\"loss\":");
        write_num(&mut out, self.loss);
        out.push_str(",\"connectTimeout\":");
        write_num(&mut out, self.connect_timeout);
        out.push_str(",\"streamTimeout\":");
        write_num(&mut out, self.stream_timeout);
        out.push_str(",\"trace\":");
        out.push_str(if self.trace { "true" } else { "false" });
        out.push_str(",\"buggify\":");
        match &self.buggify {
            Buggify::Off => out.push_str("false"),
            Buggify::All => out.push_str("true"),
            Buggify::Only(names) => {
                out.push('[');
                for (i, n) in names.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(&mut out, n);
                }
                out.push(']');
            }
        }
        out.push('}');
        out
    }
}

impl Simulation {
    /// The host's ready queue and timers, as they are between two events
    /// (a crashed host: both empty). Due timers and socket events join the
    /// ready queue only when the host's next iteration starts.
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn host_state(&self, name: &str) -> Result<HostSnapshot> {
        let Some(lp) = self.loop_of(name)? else { return Ok(HostSnapshot::default()) };
        if lp.is_closed() {
            return Ok(HostSnapshot::default());
        }
        Ok(HostSnapshot { ready: lp.ready_labels(), timers: lp.timer_labels() })
    }

    /// The options the simulation was made with.
    pub fn options(&self) -> SimOptions {
        self.core.world.borrow().opts.clone()
    }

    /// [`options`](Self::options) as JSON, without the seed and the replay
    /// record ([`SimOptions::to_json`]).
    pub fn options_json(&self) -> String {
        self.core.world.borrow().opts.to_json()
    }

    /// Every random decision so far: the values each stream produced, in
    /// order (streams that never drew are left out). Given as
    /// [`SimOptions::replay`], they make the same run without the seed.
    pub fn decisions(&self) -> Decisions {
        let mut out = Decisions::default();
        let w = self.core.world.borrow();
        for h in &w.hosts {
            h.rng.collect_into(&mut out);
        }
        for link in w.links.values() {
            link.rng.collect_into(&mut out);
        }
        for s in self.core.buggify.borrow().values() {
            s.collect_into(&mut out);
        }
        for s in self.core.executors.borrow().values() {
            s.collect_into(&mut out);
        }
        out
    }

    /// In a replay, the first draw the record did not cover (`None`: the
    /// run has followed the record so far, or it is not a replay).
    pub fn divergence(&self) -> Option<Divergence> {
        self.core.ledger.divergence()
    }
}
