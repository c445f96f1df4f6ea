// The unsafe-code checks of `pnpm stress`, on the nightly toolchain that
// `EVLOOP_STRESS=1 bash scripts/setup.sh` installs (the suites and the
// README's commands stay on stable):
//   miri: the core's pure parts (the timer heap, the write buffer, handles,
//         the simulation's random numbers) under Miri, every test: the
//         timer-heap tests that push thousands of timers run at a smaller
//         size there (`cfg(miri)` in timer_heap.rs).
//   asan: Rust suites over real sockets under AddressSanitizer
//         (-Zsanitizer=address, with the standard library rebuilt for it),
//         with leak detection: memory errors, and anything still allocated
//         at exit. The suites close every loop they make (their protocols
//         and transports hold each other until then). RUST_BACKTRACE is off:
//         backtraces of the panics tests provoke take tens of seconds to
//         symbolize in these binaries, past the suites' hang guards.
// Each has its own target directory under target/ so stable builds are untouched.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

const MIRI_FILTER = ['timer_heap', 'write_buffer', 'handle', 'sim::rng'];
const ASAN_TESTS = ['timers', 'transports', 'streams', 'server', 'proactor_io', 'proactor_close_memory', 'loop_close_sockets', 'loop_close_tls', 'loop_close_children', 'loop_drop'];

function nightlyWith(component) {
  const r = spawnSync('rustup', ['component', 'list', '--toolchain', 'nightly', '--installed'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.split('\n').some((l) => l.startsWith(component));
}

export function sanitizerRuns(root, targetDir) {
  const host = spawnSync('rustc', ['-vV'], { encoding: 'utf8' }).stdout.match(/^host: (.*)$/m)?.[1] ?? 'x86_64-unknown-linux-gnu';
  return {
    miri: {
      what: `Miri on the core's pure parts (${MIRI_FILTER.join(', ')})`,
      needs: () => nightlyWith('miri') && nightlyWith('rust-src'),
      args: ['+nightly', 'miri', 'test', '-p', 'evloop', '--lib', '--', ...MIRI_FILTER],
      env: { CARGO_TARGET_DIR: path.join(targetDir, 'miri') },
    },
    asan: {
      what: `AddressSanitizer with leak detection on the Rust suites (${ASAN_TESTS.join(', ')})`,
      needs: () => nightlyWith('rust-src'),
      args: asanArgs(host, ASAN_TESTS),
      env: asanEnv(targetDir),
    },
  };
}

function asanArgs(host, tests) {
  return ['+nightly', 'test', '-Zbuild-std', '--target', host, '-p', 'evloop', ...tests.flatMap((t) => ['--test', t])];
}

function asanEnv(targetDir) {
  return {
    CARGO_TARGET_DIR: path.join(targetDir, 'asan'),
    RUSTFLAGS: '-Zsanitizer=address',
    RUSTDOCFLAGS: '-Zsanitizer=address',
    ASAN_OPTIONS: 'detect_leaks=1',
    RUST_BACKTRACE: '0',
  };
}

/** Runs one of them; resolves to its record (a missing toolchain fails the check and says how to get it). */
export function runSanitizer(root, env, name, run) {
  const t0 = Date.now();
  if (!run.needs()) {
    return Promise.resolve({
      scenario: name,
      server: '-',
      seconds: 0,
      what: run.what,
      tests: 'not run',
      checks: [{ what: `${name}: nightly with miri and rust-src (EVLOOP_STRESS=1 bash scripts/setup.sh)`, ok: false }],
    });
  }
  return new Promise((resolve) => {
    const child = spawn('cargo', run.args, { cwd: root, env: { ...env, ...run.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
    });
    child.stderr.on('data', (d) => {
      out += d.toString();
      if (out.length > 2_000_000) out = out.slice(-1_000_000);
    });
    child.on('exit', (code) => {
      const results = [...out.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)];
      const passed = results.reduce((n, m) => n + Number(m[1]), 0);
      const failed = results.reduce((n, m) => n + Number(m[2]), 0);
      resolve({
        scenario: name,
        server: '-',
        seconds: (Date.now() - t0) / 1000,
        what: run.what,
        tests: `${passed} passed, ${failed} failed`,
        output: code === 0 ? '' : out.slice(-6000),
        checks: [
          { what: `${name}: every test passed`, ok: code === 0 && passed > 0 },
          { what: `${name}: no undefined behaviour or memory error reported`, ok: !/Undefined Behavior|ERROR: AddressSanitizer|ERROR: LeakSanitizer/.test(out) },
        ],
      });
    });
  });
}
