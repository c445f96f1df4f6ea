// "evloop/sim": a deterministic simulation of many hosts, each an event
// loop, on one virtual clock and a simulated network (API.md, "TypeScript,
// subpath evloop/sim"; docs/simulation.md).
//
// The Rust core (crates/evloop/src/sim, through crates/evloop-wasm) runs
// the events; this module makes the simulation and drives the core one
// event at a time, letting promise continuations run between two events.
// host.ts gives each host the loop interface; args.ts and power.ts check
// arguments. Browser-safe: the entries instantiate the wasm module first.

import { resolveSignal } from '../core/signals.js';
import { RuntimeError, ValueError } from '../core/errors.js';
import { repr } from '../core/format.js';
import { getRunningLoopOrNull, setRunningLoop, setRunningLoopLookup } from '../core/running.js';
import { isThenable, typeName } from '../core/values.js';
import { optionsArg } from '../core/net/args.js';
import {
  clearRunningHost,
  jsEntries,
  runningHostName,
  setLogHook,
  SimulationCore,
  type NativeHostLoop,
} from '../../wasm/evloop_wasm.js';
import { touch } from './activity.js';
import { drained, idleTurns, pump } from './drain.js';
import { checkName, groupArg, latencyArg, numberArg } from './args.js';
import { hostLife, type Host } from './host.js';
import { installNetHooks } from './net-backend.js';
import { logRecord } from '../core/log.js';
import { simulationOptions, SIM_KEYS } from './options.js';
import { buggifyArgs, faultArgs } from './power.js';
import { drivingSimulation, lastHost, setDriving } from './running.js';
import type {
  Decisions,
  DeterminismReport,
  Divergence,
  Fault,
  HostGroup,
  HostProgram,
  HostState,
  SimulationOptions,
  SimulationOptionsJson,
  SimulationStats,
  TraceRecord,
} from './types.js';

/** How a `runUntilComplete` future ended, seen from outside the step loop. */
interface Outcome {
  done: boolean;
  ok: boolean;
  value: unknown;
}

/**
 * A deterministic simulation: hosts on one virtual clock and a simulated
 * network; the same seed and the same program give the same trace, byte for
 * byte (`JSON.stringify(sim.trace())`), in Node and in the browser alike.
 */
// Inside a step, the wasm core calls protocol methods and factories directly: the running loop
// is then the host the binding is in.
setRunningLoopLookup(lastHost);

/** What a simulation holds that must be let go of, without the Simulation object itself. */
interface Held {
  core: SimulationCore;
  hosts: Map<string, Host>;
}

/** Lets go of what `held` holds: every host's hooks in the core, the core's programs and loops. */
function release(held: Held): void {
  for (const host of held.hosts.values()) hostLife.release(host);
  held.core.close();
}

/**
 * A simulation the program forgot to close: once it is collected, its core
 * and hosts are released and the core's memory freed. Nothing the core holds
 * refers to the Simulation object (hosts hold it weakly), so it can be collected.
 */
const finalizer =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<Held>((held) => {
        release(held);
        held.core.free();
      })
    : undefined;

export class Simulation {
  /** The core the binding exports: the network, the clock, the hosts' native loops. */
  readonly #core: SimulationCore;
  /** The hosts by name, in creation order. */
  readonly #hosts = new Map<string, Host>();
  /** Whether a step, runFor or runUntilComplete is in progress. */
  #busy = false;
  #closed = false;
  /** With the option `microtaskTurns`: idle microtask turns that end a drain (drain.ts); else the drain is exact. */
  readonly #turns: number | undefined;
  /** Whether the last `#stepSync` ran JavaScript. */
  #entered = false;
  /** The running loop when the drive began (a Node loop's), handed back while other work may run. */
  #previousLoop: ReturnType<typeof getRunningLoopOrNull> = null;
  /** The simulation driven when the drive began, handed back likewise. */
  #previousDriving: ReturnType<typeof drivingSimulation> = null;

  constructor(options?: SimulationOptions) {
    const o = simulationOptions('Simulation', options);
    installNetHooks();
    // The core's log records (asyncio's logger.warning) go to the package's logger.
    setLogHook(logRecord);
    const [lo, hi] = o.latency;
    const [buggifyMode, buggifyNames] = o.buggify;
    this.#core = new SimulationCore(
      o.seed, lo, hi, o.loss, o.connectTimeout, o.streamTimeout, o.trace,
      o.replay?.names, o.replay?.lengths, o.replay?.values, buggifyMode, buggifyNames,
    );
    this.#turns = o.microtaskTurns;
    // A scheduled restart happens inside a step: the host object moves to
    // the new life before its program runs there. (The hook refers to the
    // hosts, not to `this`: see `finalizer`.)
    const hosts = this.#hosts;
    this.#core.setRestartHook((name: string, life: NativeHostLoop) => {
      const host = hosts.get(name);
      if (host !== undefined) hostLife.set(host, life);
    });
    finalizer?.register(this, { core: this.#core, hosts }, this);
  }

  /**
   * Adds a host named `name` and returns it. Its `program(host)` (an async
   * function, optional) runs when the simulation starts, at once if it has
   * started, and again after each restart. Names are unique; hosts reach
   * each other by name.
   */
  host(name: string, program?: HostProgram | null): Host {
    checkName('host', name);
    if (program !== undefined && program !== null && typeof program !== 'function') {
      throw new TypeError(`host(): program must be a function, got ${typeName(program)}`);
    }
    this.#checkOpen();
    const host = hostLife.make(this, this.#core, name, program ?? undefined, (starter) => this.#core.addHost(name, starter));
    this.#hosts.set(name, host);
    touch();
    return host;
  }

  /** The host named `name`, or undefined. */
  getHost(name: string): Host | undefined {
    return this.#hosts.get(name);
  }

  /** The hosts, in creation order. */
  get hosts(): Host[] {
    return [...this.#hosts.values()];
  }

  /** Virtual seconds since the start. */
  now(): number {
    return this.#core.now();
  }

  /** Events run so far (host iterations and network events). */
  events(): number {
    return this.#core.events();
  }

  /** Runs one event, then lets promise continuations run; resolves false when nothing was left. */
  step(): Promise<boolean> {
    return this.#drive(async () => {
      if (this.#stepSync()) {
        if (this.#entered) await this.#settle();
        return true;
      }
      // Nothing was due: continuations still running may schedule more.
      await this.#settle();
      const ran = this.#stepSync();
      if (this.#entered) await this.#settle();
      return ran;
    });
  }

  /** Runs the events due within `seconds` virtual seconds; `now()` then advances by exactly `seconds`. */
  runFor(seconds: number): Promise<void> {
    return this.#drive(async () => {
      numberArg('runFor', 'seconds', seconds);
      if (!(seconds >= 0) || !Number.isFinite(seconds)) {
        throw new ValueError(`runFor() needs a finite duration >= 0, got ${seconds}`);
      }
      const core = this.#core;
      const end = core.now() + seconds;
      let settled = false;
      await this.#run(() => {
        for (;;) {
          const t = core.nextEventTime();
          if (t === undefined || t > end) {
            // Continuations still running may schedule more: let them finish once.
            if (settled) return false;
            settled = true;
            return true;
          }
          settled = false;
          this.#stepSync();
          if (this.#entered) return true;
        }
      }, true);
      core.advanceTo(end);
    });
  }

  /**
   * Runs events until `future` (a Future of a host, or any PromiseLike) is
   * settled, and resolves with its value or rejects with its error.
   * RuntimeError('Simulation ran out of events before the Future completed.')
   * when nothing is left to run first.
   */
  runUntilComplete<T>(future: PromiseLike<T>): Promise<T> {
    if (!isThenable(future)) {
      return Promise.reject(new TypeError('An asyncio.Future, a coroutine or an awaitable is required'));
    }
    const outcome: Outcome = { done: false, ok: false, value: undefined };
    Promise.resolve(future).then(
      (value) => Object.assign(outcome, { done: true, ok: true, value }),
      (value: unknown) => Object.assign(outcome, { done: true, ok: false, value }),
    );
    return this.#drive(async () => {
      let empty = false;
      // The first call comes after the continuations pending now ran.
      await this.#run(() => {
        if (outcome.done) return false;
        if (empty) throw new RuntimeError('Simulation ran out of events before the Future completed.');
        for (;;) {
          if (!this.#stepSync()) {
            // Nothing is left: the continuations may still finish the future.
            empty = true;
            return true;
          }
          if (this.#entered) return true;
          if (outcome.done) return false;
        }
      }, false);
      if (!outcome.ok) throw outcome.value;
      return outcome.value as T;
    });
  }

  // -------------------------------------------------------- faults

  /** Messages between the groups are lost (with `oneWay`, only those from A to B). */
  partition(groupA: HostGroup, groupB: HostGroup, options?: { oneWay?: boolean }): void {
    const o = optionsArg('partition', options, ['oneWay']) as { oneWay?: unknown };
    const a = groupArg('partition', groupA, 'groupA');
    const b = groupArg('partition', groupB, 'groupB');
    touch();
    this.#core.partition(a, b, Boolean(o.oneWay));
  }

  /** Removes partitions: all (no arguments), those touching groupA, or those between the groups. */
  heal(groupA?: HostGroup | null, groupB?: HostGroup | null): void {
    const a = groupA === undefined || groupA === null ? undefined : groupArg('heal', groupA, 'groupA');
    const b = groupB === undefined || groupB === null ? undefined : groupArg('heal', groupB, 'groupB');
    if (a === undefined && b !== undefined) throw new TypeError('heal(): groupB needs groupA');
    touch();
    this.#core.heal(a, b);
  }

  /** Messages from a to b wait until `release(a, b)`. */
  hold(a: string, b: string): void {
    touch();
    this.#core.hold(checkName('hold', a), checkName('hold', b));
  }

  /** The messages held from a to b flow again, in order. */
  release(a: string, b: string): void {
    touch();
    this.#core.release(checkName('release', a), checkName('release', b));
  }

  /**
   * Per-link latency and loss, both directions unless `oneWay`; for
   * datagrams also the probabilities that one is delivered twice
   * (`duplicate`) or out of order (`reorder`).
   */
  setLink(
    a: string,
    b: string,
    options?: { latency?: number | [number, number]; loss?: number; duplicate?: number; reorder?: number; oneWay?: boolean },
  ): void {
    const o = optionsArg('setLink', options, ['latency', 'loss', 'duplicate', 'reorder', 'oneWay']) as Record<string, unknown>;
    const [lo, hi] = o['latency'] === undefined || o['latency'] === null ? [undefined, undefined] : latencyArg('setLink', o['latency']);
    const prob = (name: string): number | undefined =>
      o[name] === undefined || o[name] === null ? undefined : numberArg('setLink', name, o[name]);
    const [loss, duplicate, reorder] = [prob('loss'), prob('duplicate'), prob('reorder')];
    touch();
    this.#core.setLink(checkName('setLink', a), checkName('setLink', b), lo, hi, loss, Boolean(o['oneWay']), duplicate, reorder);
  }

  /** The host's process dies: timers, state and sockets are gone; peers see ECONNRESET. */
  crash(name: string): void {
    touch();
    this.#core.crash(checkName('crash', name));
  }

  /** A fresh loop under the same name runs the host's program again; returns the host (the same object). */
  restart(name: string): Host {
    checkName('restart', name);
    const host = this.#hosts.get(name);
    touch();
    const life = this.#core.restart(name);
    if (host !== undefined) hostLife.set(host, life);
    // The core refuses unknown names above, so the host exists here.
    return host as Host;
  }

  /** Nothing runs on the host until `resume(name)`; the network still delivers to it. */
  pause(name: string): void {
    touch();
    this.#core.pause(checkName('pause', name));
  }

  /** The host runs again; its due timers run late, in order. */
  resume(name: string): void {
    touch();
    this.#core.resume(checkName('resume', name));
  }

  /** Sets (does not add to) the offset of the host's `wallTime()`. */
  setClockSkew(name: string, seconds: number): void {
    numberArg('setClockSkew', 'seconds', seconds);
    touch();
    this.#core.setClockSkew(checkName('setClockSkew', name), seconds);
  }

  /**
   * Signal `sig` (a number, or a name such as `'SIGTERM'`) reaches host `name`: its handler
   * (`host.addSignalHandler`) runs as a loop callback. A traced fault (`fault: 'signal'`, with
   * `sig` and whether a handler `handled` it); a host without a handler lets it pass.
   */
  signal(name: string, sig: number | string): void {
    const { num } = resolveSignal('signal', sig);
    touch();
    this.#core.signal(checkName('signal', name), num);
  }

  /**
   * Applies `fault` at virtual time `at` (>= now) as an event of the
   * simulation, recorded as the usual `fault` trace record. `fault` has the
   * shape of a trace fault record (an `at` key is ignored); host names are
   * looked up when it applies.
   */
  schedule(at: number, fault: Fault): void {
    this.#checkOpen();
    numberArg('schedule', 'at', at);
    if (!Number.isFinite(at) || at < this.#core.now()) {
      throw new ValueError(`schedule(): at must be a finite time >= now (${this.#core.now()}), got ${at}`);
    }
    const f = faultArgs('schedule', fault);
    touch();
    this.#core.schedule(at, f.fault, f.a, f.b, f.host, f.seconds, f.latencyMin, f.latencyMax, f.loss, f.oneWay, f.sig);
  }

  /**
   * Fault point `name`: true with probability `p` (default 0.25) when the
   * option `buggify` enables it, drawing from stream `buggify:<name>`;
   * always false otherwise (no draw). A true is recorded as a `buggify`
   * trace record of the running host (`""` outside any).
   */
  buggify(name: string, p = 0.25): boolean {
    buggifyArgs('buggify', name, p);
    const host = drivingSimulation() === this ? runningHostName() : undefined;
    return this.#core.buggify(name, p, host ?? undefined);
  }

  // -------------------------------------------------------- observation

  /** Every random decision so far: `{ [stream]: number[] }` (`host:<name>`, `link:<src>><dst>`, `buggify:<point>`). */
  decisions(): Decisions {
    return JSON.parse(this.#core.decisionsJson()) as Decisions;
  }

  /** In a replay, the first draw the record did not cover: `{ stream, index, event }`, or null. */
  divergence(): Divergence | null {
    const json = this.#core.divergenceJson();
    return json === undefined ? null : (JSON.parse(json) as Divergence);
  }

  /** The options the simulation was made with, but the seed and the replay record (what a trace file stores). */
  options(): SimulationOptionsJson {
    return { ...(JSON.parse(this.#core.optionsJson()) as Omit<SimulationOptionsJson, 'microtaskTurns'>), ...(this.#turns === undefined ? {} : { microtaskTurns: this.#turns }) };
  }

  /**
   * What host `name` is about to do: `{ ready, timers }`, the labels of its
   * ready callbacks in run order and its timers `{ when, label }` in run
   * order, cancelled ones left out (a crashed host: both empty).
   */
  hostState(name: string): HostState {
    return JSON.parse(this.#core.hostStateJson(checkName('hostState', name))) as HostState;
  }

  /** The trace: JSON-serialisable records `{ t, host, kind, ...fields }`, in order (from index `from`). */
  trace(from = 0): TraceRecord[] {
    if (!Number.isInteger(from) || from < 0) throw new RangeError(`trace(): from must be an integer >= 0, got ${repr(from)}`);
    return JSON.parse(this.#core.traceJson(from)) as TraceRecord[];
  }

  /** Running totals: `{ sent, delivered, held, dropped: { loss, partition, crash }, faults: {...} }`. */
  stats(): SimulationStats {
    return JSON.parse(this.#core.statsJson()) as SimulationStats;
  }

  /**
   * Ends the simulation and releases its memory: every host's loop is
   * closed. The trace and stats stay readable; nothing runs any more.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    finalizer?.unregister(this);
    release({ core: this.#core, hosts: this.#hosts });
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `<Simulation t=${this.now()} hosts=${this.#hosts.size}>`;
  }

  /**
   * Runs `setup(sim)` (which adds the hosts and drives the run itself) on
   * two fresh simulations with the same options and compares the traces:
   * `{ identical, firstDivergence?: { index, a, b } }`.
   */
  static async checkDeterminism(setup: (sim: Simulation) => unknown, options?: SimulationOptions): Promise<DeterminismReport> {
    if (typeof setup !== 'function') {
      throw new TypeError(`checkDeterminism(): setup must be a function, got ${typeName(setup)}`);
    }
    const opts = optionsArg('checkDeterminism', options, SIM_KEYS) as SimulationOptions;
    const once = async (): Promise<string[]> => {
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
        const parse = (s: string | undefined): TraceRecord | null => (s === undefined ? null : (JSON.parse(s) as TraceRecord));
        return { identical: false, firstDivergence: { index: i, a: parse(a[i]), b: parse(b[i]) } };
      }
    }
    return { identical: true };
  }

  // -------------------------------------------------------- driving

  #checkOpen(): void {
    if (this.#closed) throw new RuntimeError('the simulation is closed');
  }

  async #drive<T>(body: () => Promise<T>): Promise<T> {
    this.#checkOpen();
    if (this.#busy) {
      throw new RuntimeError('the simulation is already running: await the step, runFor or runUntilComplete in progress');
    }
    this.#busy = true;
    // A simulation may be driven from inside a Node loop's task: its loop comes back after.
    const previousLoop = getRunningLoopOrNull();
    this.#previousLoop = previousLoop;
    const previous = setDriving(this);
    this.#previousDriving = previous;
    try {
      this.#core.start();
      return await body();
    } finally {
      this.#busy = false;
      setDriving(previous);
      clearRunningHost();
      setRunningLoop(previousLoop);
    }
  }

  /** One event, synchronously; `#entered` then says whether it ran JavaScript (continuations may be pending). */
  #stepSync(): boolean {
    setDriving(this);
    const before = jsEntries();
    // The host's back end makes it the running loop as the step enters it (host.ts);
    // its promise continuations then run with it, until the next step.
    setRunningLoop(null);
    try {
      return this.#core.step();
    } finally {
      this.#entered = jsEntries() !== before;
      // The core forgets the running host as a step begins: a step that ran no JavaScript
      // leaves none (and asking would cost a host name across the boundary per event).
      setRunningLoop(this.#entered ? lastHost() : null);
    }
  }

  /**
   * Calls `tick` (at once when `now`) and again after each drain of the
   * continuations while it returns true (drain.ts): exactly after all of
   * them, or, with the option `microtaskTurns`, after that many idle turns.
   */
  async #run(tick: () => boolean, now: boolean): Promise<void> {
    const turns = this.#turns;
    if (turns === undefined) {
      const previousLoop = this.#previousLoop;
      const previousDriving = this.#previousDriving;
      await pump(
        {
          tick,
          pause: () => {
            setDriving(previousDriving);
            clearRunningHost();
            setRunningLoop(previousLoop);
          },
          // `#stepSync` takes the running loop again.
          resume: () => {},
        },
        now,
      );
      return;
    }
    if (!now) await idleTurns(turns);
    while (tick()) await idleTurns(turns);
  }

  /** Lets the pending promise continuations run (drain.ts). */
  #settle(): Promise<void> {
    return this.#turns === undefined ? drained() : idleTurns(this.#turns);
  }
}
