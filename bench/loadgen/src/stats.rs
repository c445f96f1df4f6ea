//! What every mode counts and reports: the warm-up and measured window (`Clock`), the CPU
//! time of the server's process tree, of this client and of the machine during that window
//! (from /proc), the tally of a connection-per-request mode (`CycleTally`), and the JSON
//! line a run prints (`Clock::report`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::{per_connection, Args};

/// Linux reports utime/stime in USER_HZ ticks, which is 100 on every architecture it runs on.
const TICKS_PER_SEC: f64 = 100.0;

// ---- CPU accounting from /proc ---------------------------------------------------------

/// Fields after the `(comm)` of /proc/PID/stat: index 0 is field 3 (state). The command
/// name may hold spaces and parentheses, so split after the last `)`.
fn parse_stat(s: &str) -> Option<Vec<String>> {
    let rest = &s[s.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

fn stat_fields(pid: &str) -> Option<Vec<String>> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// utime + stime of one process (all its threads), in ticks.
fn cpu_ticks(pid: &str) -> Option<u64> {
    ticks_of(&stat_fields(pid)?)
}

fn ticks_of(f: &[String]) -> Option<u64> {
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// `root` and all its descendants.
fn process_tree(root: u32) -> Vec<String> {
    let mut children: HashMap<String, Vec<String>> = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Some(f) = stat_fields(&name) {
                if let Some(ppid) = f.get(1) {
                    children.entry(ppid.clone()).or_default().push(name);
                }
            }
        }
    }
    let mut out = vec![root.to_string()];
    let mut i = 0;
    while i < out.len() {
        if let Some(c) = children.get(&out[i]) {
            out.extend(c.iter().cloned());
        }
        i += 1;
    }
    out
}

struct CpuProbe {
    pids: Vec<String>,
}

impl CpuProbe {
    fn new(root: Option<u32>) -> Self {
        CpuProbe {
            pids: root.map(process_tree).unwrap_or_default(),
        }
    }
    /// Seconds of CPU used so far by the tree, or None without `--pid`.
    fn read(&self) -> Option<f64> {
        if self.pids.is_empty() {
            return None;
        }
        Some(self.pids.iter().filter_map(|p| cpu_ticks(p)).sum::<u64>() as f64 / TICKS_PER_SEC)
    }
}

/// Machine-wide CPU time in ticks spent in user, nice, system and steal (other guests), from
/// the first line of /proc/stat. Interrupt time is left out: the loopback traffic of the run
/// itself is processed there.
fn machine_ticks() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/stat").ok()?;
    let f: Vec<u64> = s
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    Some(f.first()? + f.get(1)? + f.get(2)? + f.get(7).copied().unwrap_or(0))
}

fn self_cpu() -> f64 {
    cpu_ticks("self").unwrap_or(0) as f64 / TICKS_PER_SEC
}

// ---- the measured window -------------------------------------------------------------------

#[derive(PartialEq)]
pub enum Phase {
    Warmup,
    Measure,
    Done,
}

pub struct Clock {
    pub phase: Phase,
    warm_end: Instant,
    end: Instant,
    measure_start: Instant,
    cpu: CpuProbe,
    server_cpu0: Option<f64>,
    client_cpu0: f64,
    machine0: Option<u64>,
}

impl Clock {
    pub fn new(args: &Args) -> Self {
        let now = Instant::now();
        let warm_end = now + Duration::from_secs_f64(args.warmup);
        Clock {
            phase: Phase::Warmup,
            warm_end,
            end: warm_end + Duration::from_secs_f64(args.duration),
            measure_start: warm_end,
            cpu: CpuProbe::new(args.pid),
            server_cpu0: None,
            client_cpu0: 0.0,
            machine0: None,
        }
    }
    /// Advances the phase; returns the poll timeout until the next change.
    pub fn tick(&mut self) -> Duration {
        let now = Instant::now();
        if self.phase == Phase::Warmup && now >= self.warm_end {
            self.phase = Phase::Measure;
            self.measure_start = now;
            self.end = now + (self.end - self.warm_end);
            self.server_cpu0 = self.cpu.read();
            self.client_cpu0 = self_cpu();
            self.machine0 = machine_ticks();
        }
        if self.phase == Phase::Measure && now >= self.end {
            self.phase = Phase::Done;
        }
        match self.phase {
            Phase::Warmup => self.warm_end - now,
            Phase::Measure => self.end - now,
            Phase::Done => Duration::ZERO,
        }
    }
    pub fn report(&self, args: &Args, requests: u64, errors: u64) -> String {
        let secs = self.measure_start.elapsed().as_secs_f64();
        let server_cpu = match (self.server_cpu0, self.cpu.read()) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        let client_cpu = self_cpu() - self.client_cpu0;
        // Cores busy with anything but this server and this client during the window.
        let other_load = match (self.machine0, machine_ticks(), server_cpu) {
            (Some(a), Some(b), Some(srv)) => {
                format!(
                    "{:.3}",
                    ((b - a) as f64 / TICKS_PER_SEC - srv - client_cpu).max(0.0) / secs
                )
            }
            _ => "null".into(),
        };
        let rps = requests as f64 / secs;
        let bytes = if per_connection(&args.mode) { 1 } else { args.size };
        let opt = |v: Option<f64>, scale: f64| match v {
            Some(v) if requests > 0 => format!("{:.4}", v * scale / requests as f64),
            _ => "null".into(),
        };
        format!(
            "{{\"mode\":\"{}\",\"size\":{},\"conns\":{},\"seconds\":{:.4},\"requests\":{},\"rps\":{:.1},\"mbps\":{:.3},\
             \"server_cpu_s\":{},\"server_cpu_us_per_req\":{},\"client_cpu_s\":{:.3},\"client_cpu_us_per_req\":{},\
             \"other_load\":{},\"server_pids\":{},\"errors\":{}}}",
            args.mode,
            bytes,
            args.conns,
            secs,
            requests,
            rps,
            rps * bytes as f64 / 1e6,
            server_cpu.map_or("null".into(), |v| format!("{v:.3}")),
            opt(server_cpu, 1e6),
            client_cpu,
            opt(Some(client_cpu), 1e6),
            other_load,
            self.cpu.pids.len(),
            errors
        )
    }
}

// ---- the tally of connection-per-request modes -------------------------------------------

/// What `churn` and `tls-handshake` count: cycles that finished, those of them inside the
/// measured window (the requests), and cycles that failed.
#[derive(Default)]
pub struct CycleTally {
    completed: u64,
    pub requests: u64,
    pub errors: u64,
}

impl CycleTally {
    /// Counts one cycle's outcome. `Err(errors)` once failures pass 1000 and outnumber the
    /// cycles that finished: the server is not serving, and the run stops.
    pub fn record(&mut self, ok: bool, clock: &Clock) -> Result<(), u64> {
        if ok {
            self.completed += 1;
            if clock.phase == Phase::Measure {
                self.requests += 1;
            }
            return Ok(());
        }
        self.errors += 1;
        if self.errors > 1000 && self.errors > self.completed {
            return Err(self.errors);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_an_awkward_command_name() {
        let line =
            "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 31 7 0 0 20 0 1 0 123 1000 10";
        let f = parse_stat(line).unwrap();
        assert_eq!(f[0], "S");
        assert_eq!(f[1], "1"); // ppid
        assert_eq!(ticks_of(&f), Some(38));
    }

    #[test]
    fn own_process_tree_and_cpu() {
        let me = std::process::id();
        assert_eq!(process_tree(me)[0], me.to_string());
        assert!(cpu_ticks(&me.to_string()).is_some());
        assert!(CpuProbe::new(Some(me)).read().is_some());
        assert!(CpuProbe::new(None).read().is_none());
    }
}
