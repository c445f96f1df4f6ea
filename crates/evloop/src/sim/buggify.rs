//! Fault points ("buggify"): places in a program that misbehave on purpose
//! (a delay, a dropped reply, an early close) with some probability, only
//! inside a simulation that enables them. Each point draws from its own
//! stream `buggify:<point>` (derived from the seed and the point's name),
//! so enabling one point changes no other stream, and the draws are
//! recorded and replayed like every other decision. A disabled point is
//! false without a draw: a run that enables nothing draws exactly as if
//! the points were not there.

use std::collections::BTreeSet;
use std::rc::Rc;

use super::rng::Rng;
use super::{HostId, Simulation};
use crate::error::{Error, Result};

/// Which fault points are on ([`SimOptions::buggify`](super::SimOptions)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Buggify {
    /// None (the default): every point is false.
    #[default]
    Off,
    /// Every point.
    All,
    /// Only the points of these names.
    Only(BTreeSet<String>),
}

impl Buggify {
    /// Whether `point` is enabled.
    pub fn enabled(&self, point: &str) -> bool {
        match self {
            Buggify::Off => false,
            Buggify::All => true,
            Buggify::Only(names) => names.contains(point),
        }
    }
}

impl Simulation {
    /// Fault point `point`: true with probability `p` when the simulation
    /// enables it (drawing from stream `buggify:<point>`), always false
    /// otherwise (no draw). A true adds a `buggify` trace record on the
    /// host whose iteration is running (`""` outside any).
    ///
    /// # Errors
    /// `ValueError` for an empty point name or `p` outside `[0, 1]`.
    pub fn buggify(&self, point: &str, p: f64) -> Result<bool> {
        self.fire(self.core.running.get(), point, p)
    }

    /// [`buggify`](Self::buggify) on behalf of host `host` (its record names it).
    ///
    /// # Errors
    /// `ValueError` for an unknown host, an empty point name or a bad `p`.
    pub fn buggify_on(&self, host: &str, point: &str, p: f64) -> Result<bool> {
        let h = self.core.world.borrow().lookup(host)?;
        self.fire(Some(h), point, p)
    }

    fn fire(&self, host: Option<HostId>, point: &str, p: f64) -> Result<bool> {
        if point.is_empty() {
            return Err(Error::Value("buggify() needs a point name".into()));
        }
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::Value(format!("buggify() needs a probability in [0, 1], got {p}")));
        }
        let w = self.core.world.borrow();
        if !w.opts.buggify.enabled(point) {
            return Ok(false);
        }
        let mut streams = self.core.buggify.borrow_mut();
        let stream = match streams.get_mut(point) {
            Some(s) => s,
            None => {
                let s = w.ledger.stream(format!("buggify:{point}"), Rng::for_buggify(w.opts.seed, point));
                streams.entry(Rc::from(point)).or_insert(s)
            }
        };
        let hit = stream.next_f64() < p;
        if hit {
            let name: Rc<str> = match host {
                Some(h) => w.hosts[h].name.clone(),
                None => Rc::from(""),
            };
            w.record_as(&name, "buggify", vec![("name", point.into())]);
        }
        Ok(hit)
    }
}
