// The long versions of checks whose short versions are in the Node suites:
// the same test file, run by vitest with larger counts set through the
// environment. Each test prints `STRESS <json>` lines with its figures; the
// record keeps them, and a check passes when the file's tests pass.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The suite-backed runs of `pnpm stress`, full and --quick sizes (those whose test file exists). */
export function suiteRuns(root, quick) {
  return Object.fromEntries(Object.entries(allRuns(quick)).filter(([, r]) => fs.existsSync(path.join(root, r.file))));
}

function allRuns(quick) {
  // A fresh seed for the random call sequences each run (printed, so a failure can be replayed).
  const seed = String(Date.now() % 1_000_000);
  return {
    ffi: {
      file: 'tests/node/ffi-sequences.test.ts',
      env: { EVLOOP_FFI_RUNS: quick ? '200' : '1000', EVLOOP_FFI_SEED: seed, EVLOOP_FFI_MAX_COMMANDS: '40' },
      what: `random call sequences at the FFI (seed ${seed})`,
    },
    loops: {
      file: 'tests/node/loop-close.test.ts',
      env: { EVLOOP_LOOPS_PER_KIND: quick ? '200' : '1000' },
      what: 'loops of every kind made, run and closed in one process',
    },
    peers: {
      file: 'tests/node/misbehaving-peers.test.ts',
      env: { EVLOOP_PEERS_SCALE: quick ? '2' : '10' },
      what: 'misbehaving peers on every loop kind',
    },
  };
}

/** Runs one suite-backed check; resolves to its record. */
export function runSuite(root, env, name, { file, env: extra, what }) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--project', 'node', file], {
      cwd: root,
      env: { ...env, ...extra, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
    });
    child.stderr.on('data', (d) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      const figures = [...out.matchAll(/^STRESS (.*)$/gm)].map((m) => JSON.parse(m[1]));
      const tests = /Tests\s+(.*)$/m.exec(out)?.[1]?.trim() ?? 'no summary';
      resolve({
        scenario: name,
        server: 'node',
        seconds: (Date.now() - t0) / 1000,
        what,
        env: extra,
        tests,
        figures,
        output: code === 0 ? '' : out.slice(-6000),
        checks: [
          { what: `${file}: every test passed`, ok: code === 0 },
          { what: 'no panic or abort', ok: !/panicked|Aborted|FATAL/.test(out) },
        ],
      });
    });
  });
}

export function suiteSummary(r) {
  const figures = r.figures.map((f) => Object.entries(f).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', '));
  return `${r.what}: ${r.tests}${figures.length ? `; ${figures.join(' | ')}` : ''}`;
}
