// The target table's ratios, made robust to a shared, virtualised machine (docs/benchmarks.md,
// "How the targets are measured"). On a 2-core VM one server's CPU per request moves by a
// quarter to a half between repetitions of the same run (steal by other guests, the load
// generator's speed, how much each wake-up batches), and two servers move together when they
// run close in time. So a target compares its two servers within each repetition (a paired
// ratio) and reports the median of those ratios with their spread, instead of dividing two
// medians taken over different moments.
//
// Run as a script, it prints the paired ratios of any pairs from one results file:
//   node bench/paired.mjs [RESULTS.json] [--pair A/B ...] [--figures echo-1k,echo-100k]
// (without RESULTS, the newest file of bench/results/tmp/, where a --quick run writes).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Per-CPU tick counters from /proc/stat: { all: {steal, total}, 0: {...}, 1: {...} }. */
export function readCpuStat() {
  const out = {};
  let text = '';
  try { text = fs.readFileSync('/proc/stat', 'utf8'); } catch { return out; }
  for (const line of text.split('\n')) {
    const m = /^cpu(\d*)\s+(.*)$/.exec(line);
    if (!m) continue;
    // user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
    const f = m[2].trim().split(/\s+/).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    out[m[1] === '' ? 'all' : m[1]] = { steal: f[7] ?? 0, total };
  }
  return out;
}

/**
 * The share of time the hypervisor gave to other guests during a window, on each CPU of
 * `cpus` (the pinned server and load generator) or on the whole machine: the largest of them.
 */
export function stealShare(before, after, cpus) {
  const keys = cpus.length ? cpus.map(String) : ['all'];
  let worst = null;
  for (const k of keys) {
    const a = before[k];
    const b = after[k];
    if (!a || !b || b.total <= a.total) continue;
    const share = (b.steal - a.steal) / (b.total - a.total);
    worst = Math.max(worst ?? 0, share);
  }
  return worst == null ? null : +worst.toFixed(4);
}

function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** The key tagging the runs made for one pair in the target repetitions. */
export const pairKey = (num, den) => `${num}/${den}`;

/**
 * Paired ratios of server CPU per request, num / den, one per repetition in which both ran:
 * runs tagged for this pair (run back to back) where there are, else the repetition's
 * ordinary runs. byServer: server id -> runs ({ rep, pair?, server_cpu_us_per_req, rps }), or
 * -> { runs } as in the results file's `echo`.
 * Returns { value (median), min, max, n, ratios, rps_ratio (median of num rps / den rps) } or null.
 */
export function pairedRatio(byServer, num, den) {
  const runsOf = (id) => { const x = byServer?.[id]; return Array.isArray(x) ? x : x?.runs ?? []; };
  const a = runsOf(num);
  const b = runsOf(den);
  const key = pairKey(num, den);
  const pick = (runs, rep) => runs.find((r) => r.rep === rep && r.pair === key) ?? runs.find((r) => r.rep === rep && !r.pair);
  const reps = [...new Set([...a, ...b].map((r) => r.rep))].sort((x, y) => x - y);
  const ratios = [];
  const rpsRatios = [];
  for (const rep of reps) {
    const x = pick(a, rep);
    const y = pick(b, rep);
    const cx = x?.server_cpu_us_per_req;
    const cy = y?.server_cpu_us_per_req;
    if (cx == null || cy == null || !(cy > 0)) continue;
    ratios.push(+(cx / cy).toFixed(4));
    if (x.rps > 0 && y.rps > 0) rpsRatios.push(x.rps / y.rps);
  }
  if (ratios.length === 0) return null;
  return {
    value: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    n: ratios.length,
    ratios,
    rps_ratio: rpsRatios.length ? +median(rpsRatios).toFixed(3) : null,
  };
}

const DEFAULT_PAIRS = [
  'node-net/evloop-node-default',
  'evloop-node-default/evloop-node-select',
  'evloop-node-default/evloop-node-poll',
  'evloop-node-default/rawmio',
  'node-net/rawmio',
];

function cli(argv) {
  const die = (msg) => {
    console.error(`paired: ${msg}`);
    process.exit(2);
  };
  const pairs = [];
  let figures = null;
  let file = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--pair') pairs.push(argv[++i]);
    else if (argv[i] === '--figures') figures = argv[++i].split(',');
    else if (argv[i].startsWith('--')) die(`unknown option ${argv[i]}`);
    else file = argv[i];
  }
  if (!file) {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'tmp');
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
    if (!files.length) die(`no results in ${dir}; run bench/run.mjs --quick first, or name a file`);
    file = path.join(dir, files.map((f) => [fs.statSync(path.join(dir, f)).mtimeMs, f]).sort((p, q) => q[0] - p[0])[0][1]);
  }
  const echo = JSON.parse(fs.readFileSync(file, 'utf8')).echo ?? die(`${file}: no echo figures`);
  console.log(`${path.relative(process.cwd(), file)}: server CPU µs per request, ratio A / B within each repetition`);
  for (const [fid, servers] of Object.entries(echo)) {
    if (figures && !figures.includes(fid)) continue;
    for (const pair of pairs.length ? pairs : DEFAULT_PAIRS) {
      const [a, b] = pair.split('/');
      // A results file from before runs carried `rep` stores them in repetition order.
      const withRep = (id) => (servers[id]?.runs ?? []).map((run, i) => ({ rep: i + 1, ...run }));
      const r = pairedRatio({ [a]: withRep(a), [b]: withRep(b) }, a, b);
      if (!r) {
        if (pairs.length) console.log(`${fid} ${pair}: not both in this run`);
        continue;
      }
      console.log(`${fid.padEnd(10)} ${pair.padEnd(40)} ${r.ratios.map((x) => x.toFixed(2)).join(' ')}   median ${r.value.toFixed(2)}, ${r.min.toFixed(2)}-${r.max.toFixed(2)}`);
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) cli(process.argv.slice(2));
