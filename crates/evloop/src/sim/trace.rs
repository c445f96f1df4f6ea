//! What a simulation records: the trace (one record per callback run,
//! message sent, delivered or dropped, connection event and fault) and the
//! running totals of `stats()`, both with a hand-written JSON form.
//!
//! A record is `{"t": <virtual seconds>, "host": <name>, "kind": <kind>,
//! ...fields}`; the fields of each kind are listed in `docs/simulation.md`.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::rc::Rc;

/// The value of a record's extra field.
#[derive(Clone, Debug, PartialEq)]
pub enum TraceValue {
    /// A string.
    Str(Rc<str>),
    /// An integer (connection ids, ports, sequence numbers, byte counts).
    Int(i64),
    /// A float (seconds, probabilities).
    Num(f64),
    /// A flag.
    Bool(bool),
}

impl From<&str> for TraceValue {
    fn from(s: &str) -> Self {
        TraceValue::Str(s.into())
    }
}
impl From<Rc<str>> for TraceValue {
    fn from(s: Rc<str>) -> Self {
        TraceValue::Str(s)
    }
}
impl From<&Rc<str>> for TraceValue {
    fn from(s: &Rc<str>) -> Self {
        TraceValue::Str(s.clone())
    }
}
impl From<i64> for TraceValue {
    fn from(n: i64) -> Self {
        TraceValue::Int(n)
    }
}
impl From<u64> for TraceValue {
    fn from(n: u64) -> Self {
        TraceValue::Int(n as i64)
    }
}
impl From<usize> for TraceValue {
    fn from(n: usize) -> Self {
        TraceValue::Int(n as i64)
    }
}
impl From<u16> for TraceValue {
    fn from(n: u16) -> Self {
        TraceValue::Int(i64::from(n))
    }
}
impl From<i32> for TraceValue {
    fn from(n: i32) -> Self {
        TraceValue::Int(i64::from(n))
    }
}
impl From<f64> for TraceValue {
    fn from(x: f64) -> Self {
        TraceValue::Num(x)
    }
}
impl From<bool> for TraceValue {
    fn from(b: bool) -> Self {
        TraceValue::Bool(b)
    }
}

/// One event of a simulation.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRecord {
    /// Virtual seconds since the start.
    pub t: f64,
    /// The host it happened on (the receiving host for `deliver` and
    /// `drop`; `""` for a fault between groups of hosts).
    pub host: Rc<str>,
    /// `call`, `send`, `deliver`, `drop`, `connect`, `accept`, `close`, `fault`, `buggify`.
    pub kind: &'static str,
    /// The kind's extra fields, in a fixed order.
    pub fields: Vec<(&'static str, TraceValue)>,
}

impl TraceRecord {
    /// The field named `key`.
    pub fn get(&self, key: &str) -> Option<&TraceValue> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The string field named `key`.
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            TraceValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer field named `key`.
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            TraceValue::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The record as one JSON object.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    pub(crate) fn write_json(&self, out: &mut String) {
        out.push_str("{\"t\":");
        write_num(out, self.t);
        out.push_str(",\"host\":");
        write_str(out, &self.host);
        out.push_str(",\"kind\":");
        write_str(out, self.kind);
        for (k, v) in &self.fields {
            out.push(',');
            write_str(out, k);
            out.push(':');
            match v {
                TraceValue::Str(s) => write_str(out, s),
                TraceValue::Int(n) => {
                    let _ = write!(out, "{n}");
                }
                TraceValue::Num(x) => write_num(out, *x),
                TraceValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            }
        }
        out.push('}');
    }
}

/// Records as a JSON array.
pub fn trace_to_json(records: &[TraceRecord]) -> String {
    let mut out = String::with_capacity(records.len() * 80 + 2);
    out.push('[');
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        r.write_json(&mut out);
    }
    out.push(']');
    out
}

/// Finite floats in Rust's shortest round-trip form (`3600`, `0.0012`);
/// JSON has no NaN or infinity, so those are `null`.
pub(crate) fn write_num(out: &mut String, x: f64) {
    if x.is_finite() {
        let _ = write!(out, "{x}");
    } else {
        out.push_str("null");
    }
}

pub(crate) fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Messages dropped, by cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DropStats {
    /// Lost at random (the link's `loss`).
    pub loss: u64,
    /// Sent or arriving across a partition.
    pub partition: u64,
    /// Addressed to a crashed host (or to its previous life).
    pub crash: u64,
}

/// The fault names, in the order `stats()` lists them.
pub const FAULTS: [&str; 11] =
    ["partition", "heal", "hold", "release", "crash", "restart", "pause", "resume", "link", "skew", "signal"];

/// Running totals since the start (API.md's `sim.stats()`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimStats {
    /// Messages put on a link (every transmission, retransmissions included).
    pub sent: u64,
    /// Messages that arrived.
    pub delivered: u64,
    /// Messages that were ever held by `hold`.
    pub held: u64,
    /// Messages dropped, by cause (each drop of a retransmitted message counts).
    pub dropped: DropStats,
    /// Faults injected, by name (every name of [`FAULTS`] is present).
    pub faults: BTreeMap<&'static str, u64>,
}

impl Default for SimStats {
    fn default() -> Self {
        SimStats {
            sent: 0,
            delivered: 0,
            held: 0,
            dropped: DropStats::default(),
            faults: FAULTS.iter().map(|f| (*f, 0)).collect(),
        }
    }
}

impl SimStats {
    /// `{"sent":..,"delivered":..,"held":..,"dropped":{..},"faults":{..}}`,
    /// faults in [`FAULTS`] order.
    pub fn to_json(&self) -> String {
        let mut out = format!(
            "{{\"sent\":{},\"delivered\":{},\"held\":{},\"dropped\":{{\"loss\":{},\"partition\":{},\"crash\":{}}},\"faults\":{{",
            self.sent, self.delivered, self.held, self.dropped.loss, self.dropped.partition, self.dropped.crash
        );
        for (i, name) in FAULTS.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "\"{name}\":{}", self.faults.get(name).copied().unwrap_or(0));
        }
        out.push_str("}}");
        out
    }

    /// Every drop, whatever the cause.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.loss + self.dropped.partition + self.dropped.crash
    }
}

/// The trace being recorded, shared by the simulation and its hosts' loops.
#[derive(Default)]
pub(crate) struct Trace {
    pub(crate) enabled: bool,
    pub(crate) records: Vec<TraceRecord>,
    /// The callback labels recorded so far, each kept once: a `call`
    /// record shares its label instead of copying it (the same few names
    /// come again and again).
    labels: HashSet<Rc<str>>,
}

impl Trace {
    pub(crate) fn new(enabled: bool) -> Trace {
        Trace { enabled, ..Trace::default() }
    }

    /// Records that `host` runs the callback labelled `label`.
    pub(crate) fn call(&mut self, t: f64, host: &Rc<str>, label: &str) {
        if !self.enabled {
            return;
        }
        let label = match self.labels.get(label) {
            Some(l) => l.clone(),
            None => {
                let l: Rc<str> = label.into();
                self.labels.insert(l.clone());
                l
            }
        };
        self.records.push(TraceRecord { t, host: host.clone(), kind: "call", fields: vec![("name", TraceValue::Str(label))] });
    }

    pub(crate) fn push(&mut self, t: f64, host: &Rc<str>, kind: &'static str, fields: Vec<(&'static str, TraceValue)>) {
        if self.enabled {
            self.records.push(TraceRecord { t, host: host.clone(), kind, fields });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shapes() {
        let r = TraceRecord {
            t: 0.5,
            host: "a\"b".into(),
            kind: "send",
            fields: vec![("to", "c".into()), ("bytes", 3i64.into()), ("held", true.into()), ("x", f64::NAN.into())],
        };
        assert_eq!(r.to_json(), r#"{"t":0.5,"host":"a\"b","kind":"send","to":"c","bytes":3,"held":true,"x":null}"#);
        assert_eq!(trace_to_json(&[]), "[]");
        let s = SimStats::default();
        assert!(s.to_json().starts_with(r#"{"sent":0,"delivered":0,"held":0,"dropped":{"loss":0,"partition":0,"crash":0},"faults":{"partition":0,"#));
    }
}
