//! The fuzz targets of `fuzz/` (docs/reliability.md, "Fuzzing") in the
//! normal test suite: every kept regression input (`fuzz/regressions/`),
//! then a short deterministic run on seeded random inputs. The targets are
//! compiled from the fuzz crate's own files, so both always agree.

#[path = "../../../fuzz/src/sim_faults.rs"]
mod sim_faults;
#[path = "../../../fuzz/src/stream_reader.rs"]
mod stream_reader;
#[path = "../../../fuzz/src/write_buffer.rs"]
mod write_buffer;

use std::path::PathBuf;

fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

/// splitmix64, as the fuzz crate's stable driver uses.
fn inputs(seed: u64, count: usize, max_len: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    (0..count).map(move |_| {
        let len = (next() % max_len as u64) as usize;
        (0..len).map(|_| next() as u8).collect()
    })
}

fn run_all(target: &str, run: fn(&[u8]), seed: u64, count: usize, max_len: usize) {
    let kept = regressions(target);
    for (path, data) in &kept {
        let result = std::panic::catch_unwind(|| run(data));
        assert!(result.is_ok(), "{target}: regression input {} failed", path.display());
    }
    for (i, data) in inputs(seed, count, max_len).enumerate() {
        let result = std::panic::catch_unwind(|| run(&data));
        assert!(result.is_ok(), "{target}: seeded input #{i} failed (seed {seed}): {data:?}");
    }
}

#[test]
fn stream_reader_regressions_and_a_seeded_run() {
    run_all("stream_reader", stream_reader::run, 20_260_101, 3000, 600);
}

#[test]
fn write_buffer_regressions_and_a_seeded_run() {
    run_all("write_buffer", write_buffer::run, 20_260_101, 600, 400);
}

#[test]
fn sim_faults_regressions_and_a_seeded_run() {
    run_all("sim_faults", sim_faults::run, 20_260_101, 150, 120);
}

#[test]
fn every_regression_directory_has_inputs() {
    for target in ["stream_reader", "write_buffer", "sim_faults"] {
        assert!(!regressions(target).is_empty(), "fuzz/regressions/{target} is empty");
    }
}
