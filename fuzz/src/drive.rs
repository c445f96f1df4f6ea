//! The stable driver: each target for a bounded time and number of runs,
//! on inputs from a seeded generator (random bytes, and mutations of the
//! target's regression inputs). The first failing input of a target is
//! written to `artifacts/<target>/crash-<hash>` (cargo-fuzz's place) and
//! the driver exits 1. Keep such an input as a regression test by moving
//! it to `regressions/<target>/` once fixed.
//!
//! `drive [--seconds S] [--runs N] [--seed X] [TARGET...]`: S seconds in
//! all (default 10), shared by the targets; at most N runs per target
//! (default unbounded within the time). Prints one line per target and a
//! JSON summary line (`{"fuzz": [...]}`) for the stress runner.
//! `drive --replay FILE TARGET` runs one input, with the panic printed.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::TARGETS;

/// splitmix64: small, seedable, good enough to generate inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// An input: fresh random bytes (mostly short), or a mutated seed input.
pub fn input(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    if !seeds.is_empty() && rng.below(4) == 0 {
        let mut data = seeds[rng.below(seeds.len())].clone();
        for _ in 0..1 + rng.below(8) {
            match rng.below(3) {
                0 if !data.is_empty() => {
                    let i = rng.below(data.len());
                    data[i] ^= 1 << rng.below(8);
                }
                1 if !data.is_empty() => {
                    let i = rng.below(data.len());
                    data.truncate(i);
                }
                _ => data.push(rng.next() as u8),
            }
        }
        return data;
    }
    let len = match rng.below(4) {
        0 => rng.below(16),
        1 | 2 => rng.below(256),
        _ => rng.below(2048),
    };
    (0..len).map(|_| rng.next() as u8).collect()
}

/// The crate's directory (inputs and artifacts are relative to it).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The regression inputs of a target, sorted by file name.
pub fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = crate_dir().join("regressions").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    files.sort();
    files.into_iter().filter_map(|p| std::fs::read(&p).ok().map(|d| (p, d))).collect()
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

thread_local! {
    /// The last panic's message with its location (set by the hook).
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Runs `target` on `data`; the panic message (with its location) if it failed.
pub fn try_run(target: fn(&[u8]), data: &[u8]) -> Result<(), String> {
    panic::catch_unwind(AssertUnwindSafe(|| target(data)))
        .map_err(|_| LAST_PANIC.with(|p| std::mem::take(&mut *p.borrow_mut())))
}

/// Keeps panic messages for `try_run` instead of printing each one (the
/// loop catches panics in callbacks, and those are not failures here).
pub fn quiet_panics() {
    panic::set_hook(Box::new(|info| LAST_PANIC.with(|p| *p.borrow_mut() = info.to_string())));
}

pub struct Report {
    pub target: &'static str,
    pub runs: u64,
    pub seconds: f64,
    pub failure: Option<PathBuf>,
}

/// Runs one target for at most `budget` and `max_runs`.
pub fn fuzz(name: &'static str, target: fn(&[u8]), seed: u64, budget: Duration, max_runs: u64) -> Report {
    let seeds: Vec<Vec<u8>> = regressions(name).into_iter().map(|(_, d)| d).collect();
    let mut rng = Rng::new(seed ^ fnv(name.as_bytes()));
    let start = Instant::now();
    let mut runs = 0;
    // Regression inputs first: they must still pass.
    for data in seeds.iter().cloned().chain(std::iter::from_fn(|| Some(input(&mut rng, &seeds)))) {
        if runs >= max_runs || start.elapsed() >= budget {
            break;
        }
        runs += 1;
        if let Err(message) = try_run(target, &data) {
            let dir = crate_dir().join("artifacts").join(name);
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("crash-{:016x}", fnv(&data)));
            let _ = std::fs::write(&path, &data);
            eprintln!("{name}: FAILED after {runs} runs: {message}\n  input saved to {}", rel(&path));
            return Report { target: name, runs, seconds: start.elapsed().as_secs_f64(), failure: Some(path) };
        }
    }
    Report { target: name, runs, seconds: start.elapsed().as_secs_f64(), failure: None }
}

fn rel(p: &Path) -> String {
    p.strip_prefix(crate_dir().parent().unwrap_or(Path::new("/"))).unwrap_or(p).display().to_string()
}

/// The command line of `drive` (and of the targets' stable binaries,
/// which pass their own name in `only`).
pub fn main_for(only: &[&str]) {
    let mut seconds = 10.0f64;
    let mut runs = u64::MAX;
    let mut seed = 1u64;
    let mut names: Vec<String> = only.iter().map(|s| s.to_string()).collect();
    let mut replay: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |what: &str| args.next().unwrap_or_else(|| panic!("{a} needs {what}"));
        match a.as_str() {
            "--seconds" => seconds = value("a number").parse().expect("--seconds S"),
            "--runs" => runs = value("a number").parse().expect("--runs N"),
            "--seed" => seed = value("a number").parse().expect("--seed X"),
            "--replay" => replay = Some(value("a file")),
            s if !s.starts_with('-') => names.push(s.to_string()),
            other => panic!("unknown option {other}"),
        }
    }
    let targets: Vec<(&'static str, fn(&[u8]))> = TARGETS
        .iter()
        .copied()
        .filter(|(n, _)| names.is_empty() || names.iter().any(|m| m == n))
        .collect();
    assert!(!targets.is_empty(), "no such target; known: {:?}", TARGETS.iter().map(|t| t.0).collect::<Vec<_>>());
    if let Some(path) = replay {
        // One input, with the default panic output.
        let data = std::fs::read(&path).expect("the input file");
        for (name, target) in &targets {
            target(&data);
            println!("{name}: {path} passes");
        }
        return;
    }
    quiet_panics();
    let budget = Duration::from_secs_f64(seconds / targets.len() as f64);
    let mut reports = Vec::new();
    for (name, target) in targets {
        let r = fuzz(name, target, seed, budget, runs);
        println!(
            "{:<14} {:>9} runs in {:>5.1} s ({:>7.0}/s) {}",
            r.target,
            r.runs,
            r.seconds,
            r.runs as f64 / r.seconds.max(1e-9),
            if r.failure.is_some() { "FAILED" } else { "ok" }
        );
        reports.push(r);
    }
    let json: Vec<String> = reports
        .iter()
        .map(|r| {
            format!(
                "{{\"target\":\"{}\",\"runs\":{},\"seconds\":{:.2},\"failed\":{}}}",
                r.target,
                r.runs,
                r.seconds,
                r.failure.is_some()
            )
        })
        .collect();
    println!("{{\"fuzz\":[{}],\"seed\":{seed}}}", json.join(","));
    if reports.iter().any(|r| r.failure.is_some()) {
        std::process::exit(1);
    }
}
