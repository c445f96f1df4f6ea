//! Every random decision of a simulation, recorded so that a run can be
//! replayed without its seed.
//!
//! Each random stream (a host's `random()`, a link's loss and latency draws,
//! a buggify point) is a [`Stream`]: its generator plus the values it has
//! produced. The values are the `f64`s in `[0, 1)` that `next_f64` returned,
//! which is all the simulation ever consumes, so a list of them per stream
//! name reproduces a run exactly. With [`SimOptions::replay`](super::SimOptions)
//! a stream serves the recorded values in order instead of its own; past
//! the end of its list (or with no list) it falls back to its seeded
//! generator at the same position (value `i` of the seeded stream for draw
//! `i`), and the first such miss is kept as the [`Divergence`]: from there
//! on the run is no longer (necessarily) the recorded one.
//!
//! Stream names: `host:<name>`, `link:<src>><dst>`, `buggify:<point>`.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::rc::Rc;

use super::rng::Rng;
use super::trace::{write_num, write_str};

/// The values each stream produced, in draw order, by stream name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decisions {
    /// Stream name -> values in `[0, 1)`.
    pub streams: BTreeMap<String, Vec<f64>>,
}

impl Decisions {
    /// `{"<stream>":[x, ...], ...}`, streams in name order, numbers in
    /// Rust's shortest round-trip form (exact when parsed back).
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        for (i, (name, values)) in self.streams.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(&mut out, name);
            out.push_str(":[");
            for (j, x) in values.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                write_num(&mut out, *x);
            }
            out.push(']');
        }
        out.push('}');
        out
    }

    /// Number of values over all streams.
    pub fn len(&self) -> usize {
        self.streams.values().map(Vec::len).sum()
    }

    /// Whether no stream has a value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `ValueError` text for a value a stream cannot have produced.
    pub(crate) fn check(&self) -> Result<(), String> {
        for (name, values) in &self.streams {
            if let Some((i, x)) = values.iter().enumerate().find(|(_, x)| !(0.0..1.0).contains(*x)) {
                return Err(format!("replay: stream '{name}' value {i} must be in [0, 1), got {x}"));
            }
        }
        Ok(())
    }
}

/// Where a replayed run first needed a value its record did not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The stream that ran out.
    pub stream: String,
    /// The index of the missing value in that stream (its record's length
    /// when the record was too short).
    pub index: usize,
    /// `Simulation::events()` at the miss (the event that drew it).
    pub event: u64,
}

impl Divergence {
    /// `{"stream":..,"index":..,"event":..}`.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"stream\":");
        write_str(&mut out, &self.stream);
        let _ = write!(out, ",\"index\":{},\"event\":{}}}", self.index, self.event);
        out
    }
}

/// What every stream of one simulation shares: the replay record, the
/// first miss, and the event counter (which the simulation advances).
#[derive(Default)]
pub(crate) struct Ledger {
    /// Events run so far (`Simulation::events`).
    pub(crate) events: Cell<u64>,
    replay: Option<HashMap<String, Rc<[f64]>>>,
    divergence: RefCell<Option<Divergence>>,
}

impl Ledger {
    pub(crate) fn new(replay: Option<&Decisions>) -> Rc<Ledger> {
        let replay = replay.map(|d| d.streams.iter().map(|(k, v)| (k.clone(), Rc::from(v.as_slice()))).collect());
        Rc::new(Ledger { events: Cell::new(0), replay, divergence: RefCell::new(None) })
    }

    /// A stream named `name` drawing from `rng`: it serves the replay
    /// record of that name first, when the simulation replays.
    pub(crate) fn stream(self: &Rc<Ledger>, name: String, rng: Rng) -> Stream {
        let replay = self.replay.as_ref().map(|r| r.get(&name).cloned().unwrap_or_else(|| Rc::from(&[][..])));
        Stream { name: name.into(), rng, drawn: Vec::new(), replay, ledger: self.clone() }
    }

    pub(crate) fn divergence(&self) -> Option<Divergence> {
        self.divergence.borrow().clone()
    }

    fn miss(&self, stream: &str, index: usize) {
        let mut d = self.divergence.borrow_mut();
        if d.is_none() {
            *d = Some(Divergence { stream: stream.to_string(), index, event: self.events.get() });
        }
    }
}

/// One named random stream: its generator, its replay record, and the
/// values it produced.
pub(crate) struct Stream {
    name: Rc<str>,
    rng: Rng,
    drawn: Vec<f64>,
    /// `Some` when replaying (an empty record when the stream had none).
    replay: Option<Rc<[f64]>>,
    ledger: Rc<Ledger>,
}

impl Stream {
    /// The next value in `[0, 1)`: the recorded one when replaying, else
    /// the generator's. Every value is recorded.
    pub(crate) fn next_f64(&mut self) -> f64 {
        let i = self.drawn.len();
        // The generator advances on every draw, so a record that runs out
        // continues with the seeded stream at the same position: replaying
        // a truncated record with the original seed is the original run.
        let drawn = self.rng.next_f64();
        let x = match &self.replay {
            Some(r) if i < r.len() => r[i],
            Some(_) => {
                self.ledger.miss(&self.name, i);
                drawn
            }
            None => drawn,
        };
        self.drawn.push(x);
        x
    }

    /// A float uniform in `[lo, hi]` (`lo` when they are equal, without a draw).
    pub(crate) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        if hi <= lo {
            return lo;
        }
        lo + (hi - lo) * self.next_f64()
    }

    /// Adds this stream's values to `out` (nothing when it never drew).
    pub(crate) fn collect_into(&self, out: &mut Decisions) {
        if !self.drawn.is_empty() {
            out.streams.insert(self.name.to_string(), self.drawn.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_replays_and_reports_the_first_miss() {
        let free = Ledger::new(None);
        let mut s = free.stream("host:a".into(), Rng::for_host(1, "a"));
        let xs: Vec<f64> = (0..3).map(|_| s.next_f64()).collect();
        let mut d = Decisions::default();
        s.collect_into(&mut d);
        assert_eq!(d.streams["host:a"], xs);
        assert!(free.divergence().is_none());

        // Replay with a different generator: the record wins, then the miss.
        let mut short = d.clone();
        short.streams.get_mut("host:a").unwrap().truncate(2);
        let ledger = Ledger::new(Some(&short));
        ledger.events.set(7);
        let mut r = ledger.stream("host:a".into(), Rng::for_host(99, "a"));
        assert_eq!(r.next_f64(), xs[0]);
        assert_eq!(r.next_f64(), xs[1]);
        assert!(ledger.divergence().is_none());
        r.next_f64();
        r.next_f64();
        assert_eq!(ledger.divergence(), Some(Divergence { stream: "host:a".into(), index: 2, event: 7 }));
        // A stream with no record misses at once, but the first miss is kept.
        ledger.stream("host:b".into(), Rng::for_host(1, "b")).next_f64();
        assert_eq!(ledger.divergence().unwrap().stream, "host:a");
    }

    #[test]
    fn json_is_exact() {
        let mut d = Decisions::default();
        d.streams.insert("link:a>b".into(), vec![0.1, 0.123_456_789_012_345_68, 0.0]);
        d.streams.insert("host:\"q\"".into(), vec![]);
        assert_eq!(d.to_json(), r#"{"host:\"q\"":[],"link:a>b":[0.1,0.12345678901234568,0]}"#);
        let v = Divergence { stream: "buggify:x".into(), index: 3, event: 12 };
        assert_eq!(v.to_json(), r#"{"stream":"buggify:x","index":3,"event":12}"#);
        assert!(d.check().is_ok());
        d.streams.insert("x".into(), vec![1.0]);
        assert!(d.check().is_err());
    }
}
