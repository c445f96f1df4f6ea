// The simulation driven by JavaScript programs, as users write them (docs/benchmarks-sim.md):
// the workloads `pnpm bench:sim` runs beside the Rust-driven scenario of bench/sim-scale.mjs, in
// Node and in Chromium (bench/sim-scale.html imports this file), plus the reference figure of
// evloop's native loop in Node (`callLater` callbacks on a SelectorEventLoop, `nativeTimers`,
// Node only, imported lazily).
//
//   timers      one host schedules `n` callLater timers spread over 1 virtual second; all run.
//   echo        two hosts: `rounds` stream round trips (write a line, readline the echo).
//   gossip      `hosts` hosts, each with a server and connections to `fanout` random peers; every
//               host writes one message to one of them every virtual second (each active), for
//               `seconds` virtual seconds; the trace on or off.
//   sequential  `sims` simulations one after the other in this process (50 gossiping hosts for
//               2 virtual s each, trace on, closed or not), with RSS and the JS heap after the
//               first 10 and at the end (Node only: the browser has no RSS).
//
// This module is loaded by the page too: nothing Node-only at the top level.
import { liveObjects, Simulation } from 'evloop/sim';

const clock = () => globalThis.performance.now() / 1000;
// CPU seconds of this process (Node; the browser has none: null). On a machine shared with other
// work, wall-clock figures vary with the load; the CPU time spent by the process much less.
const cpuClock = () => {
  const u = globalThis.process?.cpuUsage?.();
  return u ? (u.user + u.system) / 1e6 : null;
};
const since = (c0) => (c0 === null ? null : round6(cpuClock() - c0));
const round6 = (x) => Math.round(x * 1e6) / 1e6;

/** Timer callbacks on one host: `n` timers, delays spread over [0, 1) virtual s. */
export async function simTimers({ n = 200_000, trace = false } = {}) {
  const sim = new Simulation({ seed: 1, trace });
  let fired = 0;
  const cb = () => {
    fired += 1;
  };
  const host = sim.host('h');
  const t0 = clock();
  const c0 = cpuClock();
  await sim.runUntilComplete(
    (async () => {
      // Scheduling happens inside the simulation, as a program's would.
      host.callSoon(() => {
        for (let i = 0; i < n; i++) host.callLater((i % 1000) * 1e-3, cb);
      });
    })(),
  );
  await sim.runFor(1.5);
  const seconds = clock() - t0;
  const cpu = since(c0);
  const events = sim.events();
  sim.close();
  if (fired !== n) throw new Error(`sim timers: ${fired} of ${n} ran`);
  return {
    workload: 'timers', n, trace, events, seconds: round6(seconds), callbacks_per_s: Math.round(n / seconds),
    cpu_seconds: cpu, callbacks_per_cpu_s: cpu ? Math.round(n / cpu) : null,
  };
}

/** Stream round trips between two hosts. */
export async function simEcho({ rounds = 20_000, trace = false } = {}) {
  const sim = new Simulation({ seed: 2, trace, latency: [0.001, 0.002] });
  const enc = new TextEncoder();
  sim.host('server', async (h) => {
    await h.startServer(async (reader, writer) => {
      for (;;) {
        const line = await reader.readline();
        if (line.length === 0) break;
        writer.write(line);
      }
      writer.close();
    }, null, 7);
  });
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => {
    finish = resolve;
  });
  const msg = enc.encode('ping 0123456789\n');
  sim.host('client', async (h) => {
    await h.sleep(0.01);
    const [reader, writer] = await h.openConnection('server', 7);
    for (let k = 0; k < rounds; k++) {
      writer.write(msg);
      const line = await reader.readline();
      if (line.length !== msg.length) throw new Error('echo: short line');
      done += 1;
    }
    writer.close();
    finish();
  });
  const t0 = clock();
  const c0 = cpuClock();
  await sim.runUntilComplete(finished);
  const seconds = clock() - t0;
  const cpu = since(c0);
  const events = sim.events();
  sim.close();
  if (done !== rounds) throw new Error(`echo: ${done} of ${rounds} rounds`);
  return {
    workload: 'echo', rounds, trace, events, seconds: round6(seconds),
    round_trips_per_s: Math.round(rounds / seconds), events_per_s: Math.round(events / seconds),
    cpu_seconds: cpu, round_trips_per_cpu_s: cpu ? Math.round(rounds / cpu) : null,
  };
}

/** Counts what a gossip server receives (a protocol). */
class Sink {
  constructor(counter) {
    this.counter = counter;
  }
  dataReceived(data) {
    this.counter.bytes += data.length;
  }
}

/** Builds the gossip hosts on `sim`; `counter.bytes` counts the bytes received. */
function gossipHosts(sim, hosts, fanout, counter) {
  const msg = new TextEncoder().encode('gossip: 0123456789abcdef\n');
  for (let i = 0; i < hosts; i++) {
    sim.host(`g${i}`, async (h) => {
      await h.createServer(() => new Sink(counter), null, 7);
      // Let every server listen before connecting.
      await h.sleep(0.5 + h.random() * 0.25);
      const peers = [];
      for (let k = 0; k < fanout; k++) {
        let j = Math.floor(h.random() * hosts);
        if (j === i) j = (j + 1) % hosts;
        const [transport] = await h.createConnection(() => ({}), `g${j}`, 7);
        peers.push(transport);
      }
      for (;;) {
        await h.sleep(1);
        peers[Math.floor(h.random() * peers.length)].write(msg);
      }
    });
  }
}

/** `hosts` gossiping hosts for `seconds` virtual seconds. */
export async function simGossip({ hosts = 1000, seconds: virtual = 60, fanout = 3, trace = false } = {}) {
  const sim = new Simulation({ seed: 3, trace, latency: [0.001, 0.01] });
  const counter = { bytes: 0 };
  const b0 = clock();
  gossipHosts(sim, hosts, fanout, counter);
  const built = clock() - b0;
  const t0 = clock();
  const c0 = cpuClock();
  await sim.runFor(virtual);
  const seconds = clock() - t0;
  const cpu = since(c0);
  const events = sim.events();
  const traceLength = trace ? sim.trace(0).length : 0;
  sim.close();
  if (counter.bytes === 0) throw new Error('gossip: nothing was received');
  return {
    workload: 'gossip', hosts, fanout, virtual_seconds: virtual, trace, events, trace_records: traceLength,
    build_seconds: round6(built), seconds: round6(seconds), events_per_s: Math.round(events / seconds),
    wall_per_virtual: round6(seconds / virtual), bytes: counter.bytes,
    cpu_seconds: cpu, cpu_per_virtual: cpu === null ? null : round6(cpu / virtual),
  };
}

/**
 * `sims` simulations in sequence; `memory()` (Node: `{ rss, heap }` in MiB after a GC) is read
 * after the first 10 and at the end. `close` false leaves each to the garbage collector.
 */
export async function simSequential({ sims = 1000, hosts = 50, seconds: virtual = 2, close = true, memory, gc } = {}) {
  const t0 = clock();
  let first10 = null;
  const times = [];
  for (let s = 0; s < sims; s++) {
    const r0 = clock();
    const sim = new Simulation({ seed: s, latency: [0.001, 0.01] });
    const counter = { bytes: 0 };
    gossipHosts(sim, hosts, 2, counter);
    await sim.runFor(virtual);
    if (close) sim.close();
    times.push(clock() - r0);
    if (s === 9 && memory) {
      gc?.();
      first10 = memory();
    }
  }
  gc?.();
  // Let finalizers run (a simulation left without close()).
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 20));
    gc?.();
  }
  const end = memory ? memory() : null;
  const live = liveObjects();
  const avg = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    workload: 'sequential', sims, hosts, virtual_seconds: virtual, close, seconds: round6(clock() - t0),
    first10_ms_per_sim: round6(avg(times.slice(0, 10)) * 1000), last10_ms_per_sim: round6(avg(times.slice(-10)) * 1000),
    after10: first10, end, rss_ratio: first10 && end ? round6(end.rss / first10.rss) : null, live,
  };
}

/** The reference: `n` callLater callbacks (delays spread over 0-1 ms) on evloop's native loop in Node. */
export async function nativeTimers({ n = 200_000 } = {}) {
  const { SelectorEventLoop } = await import(/* @vite-ignore */ 'evloop');
  const loop = new SelectorEventLoop();
  let fired = 0;
  const cb = () => {
    if (++fired === n) loop.stop();
  };
  const t0 = clock();
  const c0 = cpuClock();
  for (let i = 0; i < n; i++) loop.callLater((i % 1000) * 1e-6, cb);
  await loop.runForever();
  const seconds = clock() - t0;
  const cpu = since(c0);
  loop.close();
  if (fired !== n) throw new Error(`native timers: ${fired} of ${n} ran`);
  return {
    workload: 'native timers', n, seconds: round6(seconds), callbacks_per_s: Math.round(n / seconds),
    cpu_seconds: cpu, callbacks_per_cpu_s: cpu ? Math.round(n / cpu) : null,
  };
}

/** The workloads by name, with the settings a full run uses. */
export const WORKLOADS = {
  timers: (o) => simTimers(o),
  echo: (o) => simEcho(o),
  gossip: (o) => simGossip(o),
  sequential: (o) => simSequential(o),
};

// ---- standalone: node bench/sim-js.mjs WORKLOAD [json options] --------------------------------
const isMain =
  typeof process !== 'undefined' &&
  process.versions?.node &&
  process.argv[1] &&
  import.meta.url === (await import(/* @vite-ignore */ 'node:url')).pathToFileURL(process.argv[1]).href;
if (isMain) {
  const [name, json] = process.argv.slice(2).filter((a) => a !== '--');
  const opts = json ? JSON.parse(json) : {};
  if (name === 'sequential') {
    opts.memory = () => {
      const m = process.memoryUsage();
      // `external` holds the wasm memory (which never shrinks); `heapTotal` is what V8 reserved.
      return {
        rss: round6(m.rss / 2 ** 20), heap: round6(m.heapUsed / 2 ** 20),
        heapTotal: round6(m.heapTotal / 2 ** 20), external: round6(m.external / 2 ** 20),
      };
    };
    opts.gc = globalThis.gc;
  }
  const run = name === 'native' ? nativeTimers : WORKLOADS[name];
  if (!run) {
    console.error('usage: node bench/sim-js.mjs timers|echo|gossip|sequential|native [json options]');
    process.exit(2);
  }
  console.log(JSON.stringify(await run(opts)));
}
