// "evloop/sim": a deterministic simulation of many hosts, each an evloop
// event loop, on one virtual clock and a simulated network (API.md,
// "TypeScript, subpath evloop/sim"; docs/simulation.md).
//
// The Rust core (crates/evloop/src/sim, through crates/evloop-wasm) runs
// the events; this module makes the simulation and drives the core one
// event at a time, letting promise continuations run between two events
// (host.js gives each host the Node loop's interface; args.js checks
// arguments). Browser-safe: the entries (node.js, browser.js) instantiate
// the wasm module, then re-export index.js.

import { RuntimeError, ValueError } from '../src/errors.js';
import { checkName, groupArg, latencyArg, numberArg, optionsArg } from './args.js';
import { Host, kToken } from './host.js';
import { makeError, wrapTransport } from './net.js';
import { buggifyArgs, buggifyOption, faultArgs, replayOption } from './power.js';
import { clearRunningHost, jsEntries, runningHostName, setHooks, SimulationCore } from '../../wasm/evloop_wasm.js';
import { activity, internal, isThenable, repr, touch, typeName } from './util.js';

/** The simulation being driven (step, runFor, runUntilComplete), or null. */
let driving = null;

let hooksInstalled = false;
function installHooks() {
  if (hooksInstalled) return;
  setHooks(makeError, wrapTransport);
  hooksInstalled = true;
}

/**
 * The host whose callback is running, or whose promise continuations run
 * after its step: RuntimeError('no running event loop') elsewhere.
 */
export function getRunningLoop() {
  const name = driving === null ? undefined : runningHostName();
  const host = name === undefined ? undefined : driving.getHost(name);
  if (host === undefined) throw new RuntimeError('no running event loop');
  return host;
}

internal.runningHost = getRunningLoop;

const SIM_KEYS = ['seed', 'latency', 'loss', 'connectTimeout', 'streamTimeout', 'trace', 'microtaskTurns', 'replay', 'buggify'];

/** Default microtask turns without activity after a step before the next event. */
const MICROTASK_TURNS = 32;

/**
 * A deterministic simulation: hosts on one virtual clock and a simulated
 * network; the same seed and the same program give the same trace.
 */
export class Simulation {
  #core;
  #hosts = new Map();
  #busy = false;
  #closed = false;
  #turns;

  /**
   * @param {{ seed?: number, latency?: number | [number, number], loss?: number,
   *   connectTimeout?: number, streamTimeout?: number, trace?: boolean, microtaskTurns?: number,
   *   replay?: Record<string, number[]>, buggify?: boolean | string[] }} [options]
   */
  constructor(options = undefined) {
    const c = 'Simulation';
    const o = optionsArg(c, options, SIM_KEYS);
    const seed = o.seed ?? 0;
    if (typeof seed !== 'number') throw new TypeError(`${c}(): seed must be an integer, got ${typeName(seed)}`);
    if (!Number.isSafeInteger(seed)) throw new RangeError(`${c}(): seed must be a safe integer, got ${seed}`);
    const [lo, hi] = o.latency === undefined ? [0.001, 0.005] : latencyArg(c, o.latency);
    const loss = o.loss === undefined ? 0 : numberArg(c, 'loss', o.loss);
    const connectTimeout = o.connectTimeout === undefined ? 10 : numberArg(c, 'connectTimeout', o.connectTimeout);
    const streamTimeout = o.streamTimeout === undefined ? 30 : numberArg(c, 'streamTimeout', o.streamTimeout);
    const trace = o.trace ?? true;
    if (typeof trace !== 'boolean') throw new TypeError(`${c}(): trace must be a boolean, got ${typeName(trace)}`);
    const turns = o.microtaskTurns ?? MICROTASK_TURNS;
    if (!Number.isInteger(turns) || turns < 1) {
      throw new RangeError(`${c}(): microtaskTurns must be an integer >= 1, got ${repr(turns)}`);
    }
    const replay = replayOption(c, o.replay);
    const [buggifyMode, buggifyNames] = buggifyOption(c, o.buggify);
    installHooks();
    this.#core = new SimulationCore(
      seed, lo, hi, loss, connectTimeout, streamTimeout, trace,
      replay?.names, replay?.lengths, replay?.values, buggifyMode, buggifyNames,
    );
    this.#turns = turns;
    // A scheduled restart happens inside a step: the host object moves to
    // the new life before its program runs there.
    this.#core.setRestartHook((name, life) => {
      const host = this.#hosts.get(name);
      if (host !== undefined) Host.setLife(host, life);
    });
  }

  /**
   * Adds a host named `name` and returns it. Its `program(host)` (an async
   * function, optional) runs when the simulation starts, at once if it has
   * started, and again after each restart.
   */
  host(name, program = undefined) {
    checkName('host', name);
    if (program !== undefined && program !== null && typeof program !== 'function') {
      throw new TypeError(`host(): program must be a function, got ${typeName(program)}`);
    }
    this.#checkOpen();
    const host = new Host(kToken, this, this.#core, name, program ?? undefined);
    const starter = program ? () => Host.start(host) : undefined;
    const life = this.#core.addHost(name, starter);
    Host.setLife(host, life);
    this.#hosts.set(name, host);
    touch();
    return host;
  }

  /** The host named `name`, or undefined. */
  getHost(name) {
    return this.#hosts.get(name);
  }

  /** The hosts, in creation order. */
  get hosts() {
    return [...this.#hosts.values()];
  }

  /** Virtual seconds since the start. */
  now() {
    return this.#core.now();
  }

  /** Events run so far (host iterations and network events). */
  events() {
    return this.#core.events();
  }

  /** Runs one event, then lets promise continuations run; resolves false when nothing was left. */
  step() {
    return this.#drive(async () => {
      if (await this.#stepOnce()) return true;
      // Nothing was due: continuations still running may schedule more.
      await this.#settle();
      return this.#stepOnce();
    });
  }

  /** Runs the events due within `seconds` virtual seconds; `now()` then advances by exactly `seconds`. */
  runFor(seconds) {
    return this.#drive(async () => {
      numberArg('runFor', 'seconds', seconds);
      if (!(seconds >= 0) || !Number.isFinite(seconds)) {
        throw new ValueError(`runFor() needs a finite duration >= 0, got ${seconds}`);
      }
      const end = this.#core.now() + seconds;
      let settled = false;
      for (;;) {
        const t = this.#core.nextEventTime();
        if (t === undefined || t > end) {
          // Continuations still running may schedule more: let them finish once.
          if (settled) break;
          await this.#settle();
          settled = true;
          continue;
        }
        settled = false;
        await this.#stepOnce();
      }
      this.#core.advanceTo(end);
    });
  }

  /**
   * Runs events until `future` (a Future of a host, or any PromiseLike) is
   * settled, and resolves with its value or rejects with its error.
   * RuntimeError('Simulation ran out of events before the Future completed.')
   * when nothing is left to run first.
   */
  runUntilComplete(future) {
    if (!isThenable(future)) {
      return Promise.reject(new TypeError('An asyncio.Future, a coroutine or an awaitable is required'));
    }
    const outcome = { done: false, ok: false, value: undefined };
    Promise.resolve(future).then(
      (value) => Object.assign(outcome, { done: true, ok: true, value }),
      (value) => Object.assign(outcome, { done: true, ok: false, value }),
    );
    return this.#drive(async () => {
      await this.#settle();
      while (!outcome.done) {
        const ran = await this.#stepOnce();
        if (outcome.done) break;
        if (!ran) {
          await this.#settle();
          if (!outcome.done) throw new RuntimeError('Simulation ran out of events before the Future completed.');
        }
      }
      if (!outcome.ok) throw outcome.value;
      return outcome.value;
    });
  }

  // -------------------------------------------------------- faults

  /** Messages between the groups are lost (with `oneWay`, only those from A to B). */
  partition(groupA, groupB, options = undefined) {
    const o = optionsArg('partition', options, ['oneWay']);
    const a = groupArg('partition', groupA, 'groupA');
    const b = groupArg('partition', groupB, 'groupB');
    touch();
    this.#core.partition(a, b, Boolean(o.oneWay));
  }

  /** Removes partitions: all (no arguments), those touching groupA, or those between the groups. */
  heal(groupA = undefined, groupB = undefined) {
    const a = groupA === undefined || groupA === null ? undefined : groupArg('heal', groupA, 'groupA');
    const b = groupB === undefined || groupB === null ? undefined : groupArg('heal', groupB, 'groupB');
    if (a === undefined && b !== undefined) throw new TypeError('heal(): groupB needs groupA');
    touch();
    this.#core.heal(a, b);
  }

  /** Messages from a to b wait until `release(a, b)`. */
  hold(a, b) {
    touch();
    this.#core.hold(checkName('hold', a), checkName('hold', b));
  }

  /** The messages held from a to b flow again, in order. */
  release(a, b) {
    touch();
    this.#core.release(checkName('release', a), checkName('release', b));
  }

  /** Per-link latency and loss, both directions unless `oneWay`. */
  setLink(a, b, options = undefined) {
    const o = optionsArg('setLink', options, ['latency', 'loss', 'oneWay']);
    const [lo, hi] = o.latency === undefined || o.latency === null ? [undefined, undefined] : latencyArg('setLink', o.latency);
    const loss = o.loss === undefined || o.loss === null ? undefined : numberArg('setLink', 'loss', o.loss);
    touch();
    this.#core.setLink(checkName('setLink', a), checkName('setLink', b), lo, hi, loss, Boolean(o.oneWay));
  }

  /** The host's process dies: timers, state and sockets are gone; peers see ECONNRESET. */
  crash(name) {
    touch();
    this.#core.crash(checkName('crash', name));
  }

  /** A fresh loop under the same name runs the host's program again; returns the host. */
  restart(name) {
    checkName('restart', name);
    const host = this.#hosts.get(name);
    touch();
    const life = this.#core.restart(name);
    if (host !== undefined) Host.setLife(host, life);
    return host;
  }

  /** Nothing runs on the host until `resume(name)`; the network still delivers to it. */
  pause(name) {
    touch();
    this.#core.pause(checkName('pause', name));
  }

  /** The host runs again; its due timers run late, in order. */
  resume(name) {
    touch();
    this.#core.resume(checkName('resume', name));
  }

  /** Sets (does not add to) the offset of the host's `wallTime()`. */
  setClockSkew(name, seconds) {
    numberArg('setClockSkew', 'seconds', seconds);
    touch();
    this.#core.setClockSkew(checkName('setClockSkew', name), seconds);
  }

  /**
   * Applies `fault` at virtual time `at` (>= now) as an event of the
   * simulation, recorded as the usual `fault` trace record. `fault` has the
   * shape of a trace fault record: `{ fault: 'partition', a, b, oneWay? }`,
   * `{ fault: 'heal', a?, b? }`, `{ fault: 'hold' | 'release', a, b }`,
   * `{ fault: 'link', a, b, latency?, loss?, oneWay? }`,
   * `{ fault: 'crash' | 'restart' | 'pause' | 'resume', host }`,
   * `{ fault: 'skew', host, seconds }` (an `at` key is ignored). Host names
   * are looked up when it applies.
   */
  schedule(at, fault) {
    this.#checkOpen();
    numberArg('schedule', 'at', at);
    if (!Number.isFinite(at) || at < this.#core.now()) {
      throw new ValueError(`schedule(): at must be a finite time >= now (${this.#core.now()}), got ${at}`);
    }
    const f = faultArgs('schedule', fault);
    touch();
    this.#core.schedule(at, f.fault, f.a, f.b, f.host, f.seconds, f.latencyMin, f.latencyMax, f.loss, f.oneWay);
  }

  /**
   * Fault point `name`: true with probability `p` when the simulation
   * enables it (option `buggify`), drawing from stream `buggify:<name>`;
   * always false otherwise (no draw). A true is recorded as a `buggify`
   * trace record of the running host (`""` outside any).
   */
  buggify(name, p = 0.25) {
    buggifyArgs('buggify', name, p);
    const host = driving === this ? runningHostName() : undefined;
    return this.#core.buggify(name, p, host ?? undefined);
  }

  // -------------------------------------------------------- observation

  /** Every random decision so far: `{ [stream]: number[] }` (`host:<name>`, `link:<src>><dst>`, `buggify:<point>`). */
  decisions() {
    return JSON.parse(this.#core.decisionsJson());
  }

  /** In a replay, the first draw the record did not cover: `{ stream, index, event }`, or null. */
  divergence() {
    const json = this.#core.divergenceJson();
    return json === undefined ? null : JSON.parse(json);
  }

  /** The options the simulation was made with, but the seed and the replay record (plain JSON). */
  options() {
    return { ...JSON.parse(this.#core.optionsJson()), microtaskTurns: this.#turns };
  }

  /**
   * What host `name` is about to do: `{ ready, timers }`, the labels of its
   * ready callbacks in run order and its timers `{ when, label }` in run
   * order, cancelled ones left out (a crashed host: both empty).
   */
  hostState(name) {
    return JSON.parse(this.#core.hostStateJson(checkName('hostState', name)));
  }

  /** The trace: JSON-serialisable records `{ t, host, kind, ...fields }`, in order (from index `from`). */
  trace(from = 0) {
    if (!Number.isInteger(from) || from < 0) throw new RangeError(`trace(): from must be an integer >= 0, got ${repr(from)}`);
    return JSON.parse(this.#core.traceJson(from));
  }

  /** Running totals: `{ sent, delivered, held, dropped: { loss, partition, crash }, faults: {...} }`. */
  stats() {
    return JSON.parse(this.#core.statsJson());
  }

  /**
   * Ends the simulation and releases its memory: every host's loop is
   * closed. The trace and stats stay readable; nothing runs any more.
   */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    for (const host of this.#hosts.values()) Host.release(host);
    this.#core.close();
  }

  [Symbol.dispose]() {
    this.close();
  }

  toString() {
    return `<Simulation t=${this.now()} hosts=${this.#hosts.size}>`;
  }

  /**
   * Runs `setup(sim)` (which adds the hosts and drives the run itself) on
   * two fresh simulations with the same options and compares the traces:
   * `{ identical, firstDivergence?: { index, a, b } }`.
   */
  static async checkDeterminism(setup, options = undefined) {
    if (typeof setup !== 'function') {
      throw new TypeError(`checkDeterminism(): setup must be a function, got ${typeName(setup)}`);
    }
    const opts = optionsArg('checkDeterminism', options, SIM_KEYS);
    const once = async () => {
      const sim = new Simulation(opts);
      try {
        await setup(sim);
        return sim.trace().map((r) => JSON.stringify(r));
      } finally {
        sim.close();
      }
    };
    const a = await once();
    const b = await once();
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) {
        const parse = (s) => (s === undefined ? null : JSON.parse(s));
        return { identical: false, firstDivergence: { index: i, a: parse(a[i]), b: parse(b[i]) } };
      }
    }
    return { identical: true };
  }

  // -------------------------------------------------------- driving

  #checkOpen() {
    if (this.#closed) throw new RuntimeError('the simulation is closed');
  }

  async #drive(body) {
    this.#checkOpen();
    if (this.#busy) {
      throw new RuntimeError('the simulation is already running: await the step, runFor or runUntilComplete in progress');
    }
    this.#busy = true;
    const previous = driving;
    driving = this;
    try {
      this.#core.start();
      return await body();
    } finally {
      this.#busy = false;
      driving = previous;
      clearRunningHost();
    }
  }

  /** One event, then the continuations it released. */
  async #stepOnce() {
    driving = this;
    const before = jsEntries();
    const ran = this.#core.step();
    if (jsEntries() !== before) await this.#settle();
    return ran;
  }

  /**
   * Lets pending promise continuations run: one microtask turn at a time,
   * until `#turns` turns in a row did no work for the simulation. The count
   * depends only on what the continuations do, never on real time.
   */
  async #settle() {
    let seen = activity.count;
    let idle = 0;
    while (idle < this.#turns) {
      await undefined;
      if (activity.count !== seen) {
        seen = activity.count;
        idle = 0;
      } else {
        idle += 1;
      }
    }
  }
}
