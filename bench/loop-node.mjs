// Loop microbenchmarks in Node: evloop's callSoon / callLater+cancel against Node's own
// setImmediate / setTimeout+clearTimeout. The Node twin of crates/evloop/examples/bench_loop.rs.
//
//   node bench/loop-node.mjs [--n 1000000] [--only evloop|node] [--figures name,name]
//
// Prints one JSON object per figure and implementation:
//   {"name", "impl", "count", "seconds", "per_op_us", "ops_per_s", "cpu_us"}
// (`cpu_us`: the process's user + system CPU per operation, which a loaded machine distorts
// less than the wall time). Figures (the first three as in the Rust example):
//   "call_soon+run": n callbacks scheduled, then drained (setImmediate for Node);
//   "timers schedule+half cancel+run": n timers with delays spread over 0-1 ms, every other one
//       cancelled, the rest run (setTimeout / clearTimeout for Node);
//   "iteration (one callback each)": a callback that re-schedules itself n times;
//   "timers schedule+run": n timers with delays spread over 0-1 ms, all of them run.
// `--figures` runs only the figures named (comma-separated; a prefix of the name will do).
import { newEventLoop } from 'evloop';

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const n = Number(flag('--n', 1_000_000));
const only = flag('--only', null);
const figures = flag('--figures', null)?.split(',') ?? null;

/** The process's CPU time (user + system) in microseconds, at the start of the figure. */
let cpuStart = 0;
const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

function report(name, impl, count, ms) {
  const seconds = ms / 1000;
  console.log(JSON.stringify({
    name, impl, count,
    seconds: +seconds.toFixed(6),
    per_op_us: +((seconds * 1e6) / count).toFixed(4),
    ops_per_s: Math.round(count / seconds),
    cpu_us: +((cpuNow() - cpuStart) / count).toFixed(4),
  }));
}

// Lets Node's loop settle (pending immediates, GC of the previous figure) between figures.
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function evloopCallSoon() {
  const loop = newEventLoop();
  let count = 0;
  const cb = () => { count++; };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) loop.callSoon(cb);
  loop.callSoon(() => loop.stop());
  await loop.runForever();
  const ms = performance.now() - t0;
  loop.close();
  if (count !== n) throw new Error(`evloop callSoon: ${count} of ${n} ran`);
  report('call_soon+run', 'evloop', n, ms);
}

async function nodeSetImmediate() {
  let count = 0;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const cb = () => { if (++count === n) done(); };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) setImmediate(cb);
  await finished;
  report('call_soon+run', 'node', n, performance.now() - t0);
}

async function evloopTimers() {
  const loop = newEventLoop();
  const half = n - Math.ceil(n / 2);
  let fired = 0;
  const cb = () => { if (++fired === half) loop.stop(); };
  const t0 = performance.now();
  const handles = new Array(n);
  for (let i = 0; i < n; i++) handles[i] = loop.callLater((i % 1000) * 1e-6, cb);
  for (let i = 0; i < n; i += 2) handles[i].cancel();
  await loop.runForever();
  const ms = performance.now() - t0;
  loop.close();
  if (fired !== half) throw new Error(`evloop timers: ${fired} of ${half} ran`);
  report('timers schedule+half cancel+run', 'evloop', n, ms);
}

async function nodeTimers() {
  const half = n - Math.ceil(n / 2);
  let fired = 0;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const cb = () => { if (++fired === half) done(); };
  const t0 = performance.now();
  const handles = new Array(n);
  for (let i = 0; i < n; i++) handles[i] = setTimeout(cb, (i % 1000) * 1e-3);
  for (let i = 0; i < n; i += 2) clearTimeout(handles[i]);
  await finished;
  report('timers schedule+half cancel+run', 'node', n, performance.now() - t0);
}

async function evloopTimersAllRun() {
  const loop = newEventLoop();
  let fired = 0;
  const cb = () => { if (++fired === n) loop.stop(); };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) loop.callLater((i % 1000) * 1e-6, cb);
  await loop.runForever();
  const ms = performance.now() - t0;
  loop.close();
  if (fired !== n) throw new Error(`evloop timers: ${fired} of ${n} ran`);
  report('timers schedule+run', 'evloop', n, ms);
}

async function nodeTimersAllRun() {
  let fired = 0;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const cb = () => { if (++fired === n) done(); };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) setTimeout(cb, (i % 1000) * 1e-3);
  await finished;
  report('timers schedule+run', 'node', n, performance.now() - t0);
}

async function evloopIteration() {
  const loop = newEventLoop();
  let left = n;
  const tick = () => {
    if (left-- === 0) loop.stop();
    else loop.callSoon(tick);
  };
  const t0 = performance.now();
  loop.callSoon(tick);
  await loop.runForever();
  const ms = performance.now() - t0;
  loop.close();
  report('iteration (one callback each)', 'evloop', n, ms);
}

async function nodeIteration() {
  let left = n;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const tick = () => {
    if (left-- === 0) done();
    else setImmediate(tick);
  };
  const t0 = performance.now();
  setImmediate(tick);
  await finished;
  report('iteration (one callback each)', 'node', n, performance.now() - t0);
}

const pairs = [
  ['call_soon+run', evloopCallSoon, nodeSetImmediate],
  ['timers schedule+half cancel+run', evloopTimers, nodeTimers],
  ['iteration (one callback each)', evloopIteration, nodeIteration],
  ['timers schedule+run', evloopTimersAllRun, nodeTimersAllRun],
];
for (const [name, ev, nd] of pairs) {
  if (figures !== null && !figures.some((f) => name.startsWith(f))) continue;
  if (only !== 'node') { cpuStart = cpuNow(); await ev(); await settle(); }
  if (only !== 'evloop') { cpuStart = cpuNow(); await nd(); await settle(); }
}
