// `pnpm stress`: the long hardening runs of docs/reliability.md, on one
// evloop server in Rust (stress/server) and one in Node (stress/node/server.mjs),
// driven by node:net clients (stress/node/clients.mjs) on 127.0.0.1 only, then
// the fuzz targets for a bounded time (fuzz/, stable driver), then the long
// versions of suite checks (stress/suites.mjs: random call sequences at the
// FFI, 1,000 loops of each kind, misbehaving peers), then Miri and
// AddressSanitizer on nightly (stress/sanitizers.mjs).
//
//   node stress/run.mjs --soak 30m [--record]   (stress/soak.mjs; nothing else runs)
//   node stress/run.mjs [--quick] [--only load,churn,backpressure,slowloris,fuzz,ffi,loops,peers,miri,asan]
//                       [--servers rust,node] [--fuzz-seconds N] [--record]
//
// Each run is bounded in time; on 2 CPUs the whole takes about 15 minutes, plus
// about 12 for the first AddressSanitizer build (--quick: a few minutes, with
// smaller suite counts and no Miri or AddressSanitizer). Results go to stress/results/latest.json; --record (not with --quick)
// also writes docs/reliability/results.json and the SVG plots there.
// Prints one line per check and ends with "stress: N passed, M failed"; exits 1
// if a check failed.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseDuration, soak } from './soak.mjs';
import { runSanitizer, sanitizerRuns } from './sanitizers.mjs';
import { runSuite, suiteRuns, suiteSummary } from './suites.mjs';
import { churnSvg, seriesSvg } from './svg.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const quick = flag('quick');
const only = value('only', 'load,churn,backpressure,slowloris,fuzz,ffi,loops,peers,miri,asan').split(',');
const servers = value('servers', 'rust,node').split(',');
const fuzzSeconds = Number(value('fuzz-seconds', quick ? '15' : '90'));
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
const env = { ...process.env, CARGO_TARGET_DIR: targetDir };

const SIZES = quick
  ? { load: 1000, loadSeconds: 5, churn: 10_000, checkpoint: 1000, bpConns: 20, bpSeconds: 4, loris: 200, lorisClients: 20, lorisRounds: 20 }
  : { load: 10_000, loadSeconds: 30, churn: 100_000, checkpoint: 5000, bpConns: 100, bpSeconds: 10, loris: 1000, lorisClients: 50, lorisRounds: 50 };

const log = (...a) => console.log('[stress]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function machine() {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root }).toString().trim() !== '';
    if (dirty) commit += ' (with uncommitted changes)';
  } catch {
    /* not a git checkout */
  }
  const limits = fs.readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\d+)\s+(\d+)/);
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    kernel: `${os.type()} ${os.release()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    commit,
    nofile: { soft: Number(limits[1]), hard: Number(limits[2]) },
  };
}

function build() {
  if (['load', 'churn', 'backpressure', 'slowloris'].some((n) => only.includes(n))) {
    log('building the Rust stress server (release)');
    execFileSync('cargo', ['build', '--quiet', '--release', '--manifest-path', 'stress/server/Cargo.toml'], { cwd: root, env, stdio: 'inherit' });
  }
  if (only.includes('fuzz')) {
    log('building the fuzz driver (release)');
    execFileSync('cargo', ['build', '--quiet', '--release', '--no-default-features', '--manifest-path', 'fuzz/Cargo.toml', '--bin', 'drive'], { cwd: root, env, stdio: 'inherit' });
  }
}

/**
 * Starts a process under `ulimit -n` raised to the hard limit (a shell
 * raises it, then execs: the pid stays the same). Returns the child and an
 * async line iterator helper.
 */
function start(cmd, args) {
  const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$@"', 'bash', cmd, ...args], {
    cwd: root,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines = [];
  const waiters = [];
  const rl = readline.createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) w();
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d.toString();
    if (stderr.length > 100_000) stderr = stderr.slice(-50_000);
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  /** Waits (bounded) for a line matching `re`; returns its match. */
  async function waitFor(re, timeoutMs, from = 0) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = from; i < lines.length; i++) {
        const m = re.exec(lines[i]);
        if (m !== null) return { m, index: i };
      }
      from = lines.length;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} from ${cmd}; stderr: ${stderr.slice(-2000)}`);
      if (child.exitCode !== null) throw new Error(`${cmd} exited ${child.exitCode} before ${re}; stderr: ${stderr.slice(-2000)}`);
      await Promise.race([new Promise((r) => waiters.push(r)), sleep(200)]);
    }
  }
  return { child, lines, waitFor, exited, stderr: () => stderr };
}

function sample(pid) {
  try {
    const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
    return { fds, rssKb };
  } catch {
    return null;
  }
}

function startServer(kind, mode) {
  return kind === 'rust'
    ? start(path.join(targetDir, 'release', 'evloop-stress-server'), ['--mode', mode, '--max-seconds', '900'])
    : start(process.execPath, ['stress/node/server.mjs', '--mode', mode, '--max-seconds', '900']);
}

async function stopServer(server) {
  server.child.stdin.end();
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  const r = await server.exited;
  clearTimeout(timer);
  return r;
}

function lastStats(server) {
  for (let i = server.lines.length - 1; i >= 0; i--) {
    if (server.lines[i].startsWith('STATS ')) return JSON.parse(server.lines[i].slice(6));
  }
  return null;
}

function maxStat(server, key) {
  return Math.max(0, ...server.lines.filter((l) => l.startsWith('STATS ')).map((l) => JSON.parse(l.slice(6))[key]));
}

/** Runs one scenario against one server; returns its record. */
async function scenario(kind, name) {
  const mode = { load: 'echo', churn: 'echo', backpressure: 'firehose', slowloris: 'lines' }[name];
  const server = startServer(kind, mode);
  const nofile = (await server.waitFor(/^NOFILE (\d+) (\d+)/, 30_000)).m;
  const port = Number((await server.waitFor(/^PORT (\d+)/, 30_000)).m[1]);
  const pid = server.child.pid;
  await sleep(300);
  const base = sample(pid);
  const series = [];
  const checkpoints = [];
  const clientArgs = {
    load: ['load', '--connections', SIZES.load, '--seconds', SIZES.loadSeconds, '--interval', 1],
    churn: ['churn', '--total', SIZES.churn, '--concurrency', 200, '--checkpoint', SIZES.checkpoint, '--seconds', 600],
    backpressure: ['backpressure', '--connections', SIZES.bpConns, '--seconds', SIZES.bpSeconds],
    slowloris: ['slowloris', '--loris', SIZES.loris, '--connections', SIZES.lorisClients, '--rounds', SIZES.lorisRounds, '--seconds', 60],
  }[name].map(String);
  const t0 = Date.now();
  const client = start(process.execPath, ['stress/node/clients.mjs', ...clientArgs, '--port', String(port)]);
  const sampler = setInterval(() => {
    const s = sample(pid);
    if (s !== null) series.push({ t: (Date.now() - t0) / 1000, ...s });
  }, 500);
  let seen = 0;
  const cpWatch = setInterval(() => {
    for (; seen < client.lines.length; seen++) {
      const m = /^CHECKPOINT (\d+)/.exec(client.lines[seen]);
      if (m !== null) {
        const s = sample(pid);
        const stats = lastStats(server);
        checkpoints.push({ connections: Number(m[1]), ...s, serverClients: stats?.clients });
      }
    }
  }, 20);
  let result;
  let error;
  try {
    const { m } = await client.waitFor(/^RESULT (.*)$/, 900_000);
    result = JSON.parse(m[1]);
  } catch (e) {
    error = String(e);
  }
  clearInterval(sampler);
  clearInterval(cpWatch);
  await sleep(1500); // the server sees the last closes
  const end = sample(pid);
  const stats = lastStats(server);
  const peakClients = maxStat(server, 'clients');
  const exit = await stopServer(server);
  await client.exited;
  const record = {
    server: kind,
    scenario: name,
    seconds: (Date.now() - t0) / 1000,
    serverNofile: { soft: Number(nofile[1]), hard: Number(nofile[2]) },
    base,
    end,
    peak: series.reduce((p, s) => ({ fds: Math.max(p.fds, s.fds), rssKb: Math.max(p.rssKb, s.rssKb) }), base ?? { fds: 0, rssKb: 0 }),
    peakClients,
    serverStats: stats,
    serverExit: exit,
    serverStderr: server.stderr().slice(-2000),
    client: result,
    clientError: error,
    series,
    checkpoints,
  };
  record.checks = judge(record);
  return record;
}

/** The pass/fail checks of a record: [description, ok]. */
function judge(r) {
  const c = r.client ?? {};
  const s = r.serverStats ?? {};
  const checks = [['client finished', r.client !== undefined]];
  const noPanic = !/panicked|Aborted|FATAL/.test(r.serverStderr);
  checks.push(['no panic or abort in the server', noPanic]);
  if (r.scenario === 'load') {
    checks.push([`all ${c.connections} connections opened`, c.opened === c.connections && c.connectFailures === 0]);
    checks.push(['none dropped (client side)', c.dropped === 0 && c.stillOpen === c.connections]);
    checks.push(['every echo came back', c.echoFailures === 0 && c.echoes >= c.connections * Math.floor(c.seconds / c.intervalS - 1)]);
    checks.push(['the server held them all at once', r.peakClients >= c.connections]);
    checks.push(['no connection lost with an error (server side)', s.lostWithError === 0]);
  } else if (r.scenario === 'churn') {
    const first = r.checkpoints[0];
    const warm = r.checkpoints[1] ?? first;
    const last = r.checkpoints[r.checkpoints.length - 1];
    checks.push([`all ${c.total} connections completed`, c.completed === c.total && c.failures === 0]);
    checks.push(['fds back to the start at every checkpoint', r.checkpoints.every((p) => p.fds === first.fds)]);
    checks.push(['fds back to the start at the end', r.end?.fds === first.fds]);
    const tolerance = Math.max(16 * 1024, warm.rssKb * 0.25);
    checks.push([`RSS at the end within ${Math.round(tolerance / 1024)} MiB of its level after warm-up`, last.rssKb <= warm.rssKb + tolerance && r.end.rssKb <= warm.rssKb + tolerance]);
    checks.push(['no connection lost with an error (server side)', s.lostWithError === 0]);
  } else if (r.scenario === 'backpressure') {
    checks.push(['no connection dropped', c.dropped === 0]);
    checks.push(['every connection paused the writer', s.pauses >= c.connections]);
    const half = r.series.filter((p) => p.t >= c.seconds / 2);
    const growth = half.length ? (half[half.length - 1].rssKb - half[0].rssKb) / 1024 : 0;
    r.rssGrowthSecondHalfMiB = growth;
    checks.push(['RSS flat in the second half (< 8 MiB growth)', growth < 8]);
    checks.push(['RSS bounded (< base + 2 MiB per connection)', r.peak.rssKb - r.base.rssKb < c.connections * 2 * 1024]);
  } else if (r.scenario === 'slowloris') {
    checks.push(['every round trip completed', c.failures === 0 && c.roundTrips === c.connections * c.rounds]);
    checks.push(['no slow client dropped', c.lorisDropped === 0 && c.lorisOpen === c.loris]);
    checks.push(['round trip p99 under 1 s', c.rttMs.p99 !== null && c.rttMs.p99 < 1000]);
  }
  return checks.map(([what, ok]) => ({ what, ok: Boolean(ok) }));
}

async function fuzz() {
  log(`fuzz: ${fuzzSeconds} s over every target (stable driver)`);
  const t0 = Date.now();
  const p = start(path.join(targetDir, 'release', 'drive'), ['--seconds', String(fuzzSeconds)]);
  const exit = await p.exited;
  const line = p.lines.find((l) => l.startsWith('{"fuzz"'));
  const parsed = line ? JSON.parse(line) : null;
  return {
    scenario: 'fuzz',
    server: '-',
    seconds: (Date.now() - t0) / 1000,
    targets: parsed?.fuzz ?? [],
    output: p.lines.filter((l) => !l.startsWith('{')),
    checks: [{ what: 'no target failed', ok: exit.code === 0 && parsed !== null && parsed.fuzz.every((t) => !t.failed) }],
  };
}

function summary(r) {
  const c = r.client ?? {};
  const kb = (k) => (k === undefined || k === null ? '?' : `${(k / 1024).toFixed(1)} MiB`);
  switch (r.scenario) {
    case 'load':
      return `${c.opened}/${c.connections} open, peak ${r.peakClients} server clients, ${c.dropped} dropped, ${c.echoes} echoes (rtt p50 ${c.rttMs?.p50?.toFixed(2)} ms, p99 ${c.rttMs?.p99?.toFixed(2)} ms), server RSS ${kb(r.base?.rssKb)} -> peak ${kb(r.peak.rssKb)}, fds peak ${r.peak.fds}`;
    case 'churn': {
      const f = r.checkpoints[0] ?? {};
      const l = r.checkpoints[r.checkpoints.length - 1] ?? {};
      return `${c.completed}/${c.total} in ${c.seconds?.toFixed(1)} s (${Math.round(c.perSecond)}/s); fds ${f.fds} -> ${l.fds} (end ${r.end?.fds}); RSS ${kb(f.rssKb)} -> max ${kb(Math.max(...r.checkpoints.map((p) => p.rssKb)))} -> ${kb(l.rssKb)}`;
    }
    case 'backpressure':
      return `${c.connections} never-reading clients for ${c.seconds} s: ${r.serverStats?.pauses} pauses, ${c.dropped} dropped, RSS ${kb(r.base?.rssKb)} -> peak ${kb(r.peak.rssKb)} (second-half growth ${r.rssGrowthSecondHalfMiB?.toFixed(1)} MiB)`;
    case 'slowloris':
      return `${c.lorisOpen}/${c.loris} slow clients kept, ${c.roundTrips} round trips, ${c.failures} failed, rtt p50 ${c.rttMs?.p50?.toFixed(2)} ms p99 ${c.rttMs?.p99?.toFixed(2)} ms max ${c.rttMs?.max?.toFixed(1)} ms`;
    case 'ffi':
    case 'loops':
    case 'peers':
      return suiteSummary(r);
    case 'miri':
    case 'asan':
      return `${r.what}: ${r.tests} in ${Math.round(r.seconds)} s`;
    case 'fuzz':
      return r.targets.map((t) => `${t.target} ${t.runs} runs in ${t.seconds} s${t.failed ? ' FAILED' : ''}`).join('; ');
    default:
      return '';
  }
}

const info = machine();
log(`machine: ${info.nproc} cpus, ${info.kernel}, ${info.memoryGiB} GiB, node ${info.node}, nofile ${info.nofile.soft}/${info.nofile.hard}, commit ${info.commit}`);
if (info.nofile.hard < SIZES.load + 1000) {
  log(`the hard fd limit ${info.nofile.hard} is below ${SIZES.load + 1000}: the load run would fail`);
}
if (value('soak', null) !== null) {
  const records = await soak({ root, seconds: parseDuration(value('soak')), start, sample, stopServer, info, record: flag('record'), log });
  const failed = records.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `soak/${r.server}: ${c.what}`));
  for (const r of records) {
    const c = r.counts;
    console.log(`  soak ${r.server.padEnd(8)} ${c.echoes} echoes (${c.echoFailures} failed), ${c.churned} churned, ${c.resets} resets; fds ${r.base?.fds} -> ${r.end?.fds}, RSS ${(r.warm?.rssKb / 1024).toFixed(1)} -> ${(r.end?.rssKb / 1024).toFixed(1)} MiB`);
    const mib = (kb) => (kb == null ? '?' : (kb / 1024).toFixed(1));
    console.log(`       after a collection: V8 heap ${mib(r.warm?.heapUsedKb)} -> ${mib(r.end?.heapUsedKb)} MiB, malloc in use ${mib(r.warm?.mallocInUseKb)} -> ${mib(r.end?.mallocInUseKb)} MiB`);
  }
  for (const f of failed) console.log(`  FAILED: ${f}`);
  const total = records.reduce((n, r) => n + r.checks.length, 0);
  console.log(`stress: ${total - failed.length} passed, ${failed.length} failed`);
  process.exit(failed.length === 0 ? 0 : 1);
}
build();
const records = [];
for (const name of ['load', 'churn', 'backpressure', 'slowloris']) {
  if (!only.includes(name)) continue;
  for (const kind of servers) {
    log(`${name} on the ${kind} server ...`);
    const r = await scenario(kind, name);
    records.push(r);
    log(`${name}/${kind}: ${summary(r)}`);
    for (const ch of r.checks) log(`  ${ch.ok ? 'ok  ' : 'FAIL'} ${ch.what}`);
  }
}
if (only.includes('fuzz')) {
  const r = await fuzz();
  records.push(r);
  log(`fuzz: ${summary(r)}`);
  for (const ch of r.checks) log(`  ${ch.ok ? 'ok  ' : 'FAIL'} ${ch.what}`);
}
for (const [name, suite] of Object.entries(suiteRuns(root, quick))) {
  if (!only.includes(name)) continue;
  log(`${name}: ${suite.what} (${suite.file}, ${Object.entries(suite.env).map(([k, v]) => `${k}=${v}`).join(' ')}) ...`);
  const r = await runSuite(root, env, name, suite);
  records.push(r);
  log(`${name}: ${summary(r)}`);
  for (const ch of r.checks) log(`  ${ch.ok ? 'ok  ' : 'FAIL'} ${ch.what}`);
  if (r.output) console.log(r.output);
}
for (const [name, run] of Object.entries(sanitizerRuns(root, targetDir))) {
  if (!only.includes(name) || quick) continue;
  log(`${name}: ${run.what} ...`);
  const r = await runSanitizer(root, env, name, run);
  records.push(r);
  log(`${name}: ${summary(r)}`);
  for (const ch of r.checks) log(`  ${ch.ok ? 'ok  ' : 'FAIL'} ${ch.what}`);
  if (r.output) console.log(r.output);
}

const report = { machine: info, quick, sizes: SIZES, records: records.map((r) => ({ ...r, summary: summary(r) })) };
const outDir = path.join(root, 'stress', 'results');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(report, null, 1)}\n`);
const plots = {};
for (const r of records) {
  if (r.scenario === 'churn') plots[`churn-${r.server}.svg`] = churnSvg(r, info);
  if (r.scenario === 'load') plots[`load-${r.server}.svg`] = seriesSvg(r, info, `load: ${r.client?.connections} connections held open (${r.server} server)`);
}
for (const [file, svg] of Object.entries(plots)) fs.writeFileSync(path.join(outDir, file), svg);
if (flag('record') && !quick) {
  const docDir = path.join(root, 'docs', 'reliability');
  fs.mkdirSync(docDir, { recursive: true });
  // The record keeps the figures, not the raw samples. A partial run (--only,
  // --servers) replaces its own records and keeps the others.
  const file = path.join(docDir, 'results.json');
  const previous = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).records ?? [] : [];
  const fresh = report.records.map(({ series, serverStderr, ...r }) => ({ ...r, ranAt: { date: info.date, commit: info.commit } }));
  const kept = previous.filter((p) => !fresh.some((r) => r.scenario === p.scenario && r.server === p.server));
  const slim = { ...report, records: [...kept, ...fresh] };
  fs.writeFileSync(file, `${JSON.stringify(slim, null, 1)}\n`);
  for (const [file, svg] of Object.entries(plots)) fs.writeFileSync(path.join(docDir, file), svg);
  log(`recorded in docs/reliability/: ${[...Object.keys(plots), 'results.json'].join(', ')}`);
}
const failed = records.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `${r.scenario}/${r.server}: ${c.what}`));
const total = records.reduce((n, r) => n + r.checks.length, 0);
console.log('');
for (const r of records) console.log(`  ${r.scenario.padEnd(12)} ${r.server.padEnd(5)} ${summary(r)}`);
for (const f of failed) console.log(`  FAILED: ${f}`);
console.log(`stress: ${total - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length === 0 ? 0 : 1);
