// The cost of keeping each callback's async context (docs/tasks.md, "Cost"): evloop's callSoon,
// callLater+cancel and a self-scheduling callback against setImmediate / setTimeout, with the
// package's context capture ("cached": one AsyncResource per context, node/async-context.ts) and
// with one AsyncResource per callback ("per-callback", the capture before it), and without any
// capture (the floor: what the rest of the call costs), in one process,
// alternating, median of the runs. An AsyncLocalStorage is enabled, as in any program that uses one.
//
//   node bench/context-capture.mjs [--n 200000] [--runs 5]
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { newEventLoop } from 'evloop';
import { platform } from '../packages/evloop/dist/core/platform.js';

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const n = flag('--n', 200_000);
const runs = flag('--runs', 5);

const als = new AsyncLocalStorage();
als.enterWith('app');

const cached = platform.asyncContext;
const perCallback = {
  ...cached,
  capture: () => new AsyncResource('evloop.callback', { requireManualDestroy: true }),
  runIn: (c, fn, args) => (args === null ? c.runInAsyncScope(fn) : c.runInAsyncScope(fn, null, ...args)),
};

/** No capture at all: the floor, what the rest of callSoon costs (not a mode the package has). */
const noContext = { ...cached, capture: () => null, runIn: (_c, fn, args) => (args === null ? fn() : fn(...args)) };

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function callSoon() {
  const loop = newEventLoop();
  let count = 0;
  const cb = () => { count++; };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) loop.callSoon(cb);
  loop.callSoon(() => loop.stop());
  await loop.runForever();
  const ms = performance.now() - t0;
  loop.close();
  if (count !== n) throw new Error('lost callbacks');
  return ms;
}

async function setImmediateN() {
  let count = 0;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const cb = () => { if (++count === n) done(); };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) setImmediate(cb);
  await finished;
  return performance.now() - t0;
}

async function timers() {
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
  return ms;
}

async function setTimeoutN() {
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
  return performance.now() - t0;
}

async function chain() {
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
  return ms;
}

async function setImmediateChain() {
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
  return performance.now() - t0;
}

const figures = [
  ['callSoon+run', callSoon, setImmediateN, 'setImmediate'],
  ['callLater+half cancel+run', timers, setTimeoutN, 'setTimeout/clearTimeout'],
  ['self-scheduling callback', chain, setImmediateChain, 'setImmediate chain'],
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, ev, node, nodeName] of figures) {
  const t = { cached: [], perCallback: [], none: [], node: [] };
  for (let r = 0; r < runs; r++) {
    platform.asyncContext = perCallback;
    t.perCallback.push(await ev()); await settle();
    platform.asyncContext = cached;
    t.cached.push(await ev()); await settle();
    platform.asyncContext = noContext;
    t.none.push(await ev()); await settle();
    platform.asyncContext = cached;
    t.node.push(await node()); await settle();
  }
  const row = (label, ms) => {
    const us = (median(ms) * 1000) / n;
    console.log(JSON.stringify({ name, impl: label, per_op_us: +us.toFixed(3), ops_per_s: Math.round(1e6 / us) }));
  };
  row('evloop, per-callback context', t.perCallback);
  row('evloop, cached context', t.cached);
  row('evloop, no context (floor)', t.none);
  row(`node ${nodeName}`, t.node);
}
