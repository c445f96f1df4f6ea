// "evloop/sim": a deterministic simulation of many hosts, each an evloop
// event loop, on one virtual clock and a simulated network (API.md,
// "TypeScript, subpath evloop/sim"; docs/simulation.md).
//
// The Rust core (crates/evloop/src/sim, through crates/evloop-wasm) runs
// the events; this module checks arguments, gives each host the Node
// loop's interface, and drives the core one event at a time, letting
// promise continuations run between two events. Browser-safe: the entries
// (node.js, browser.js) instantiate the wasm module, then re-export this.

import { CancelledError, NotImplementedError, RuntimeError, ValueError } from '../src/errors.js';
import { Future, Task, sleepOn } from './futures.js';
import { hostNetMethods, makeError, wrapTransport } from './net.js';
import { buggifyArgs, buggifyOption, faultArgs, replayOption } from './power.js';
import { clearRunningHost, jsEntries, runningHostName, setHooks, SimulationCore } from './pkg/evloop_wasm.js';
import {
  activity,
  formatCallback,
  hostGroup,
  internal,
  isCoroutineFunction,
  isFatal,
  isThenable,
  latencyPair,
  repr,
  touch,
  typeName,
} from './util.js';

/** Lets the package construct hosts; users get them from `sim.host()`. */
const kToken = Symbol('evloop.sim');

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

/** Report errors without ever throwing back into the binding; a fatal error ends the step. */
function guard(host, fn) {
  try {
    fn();
  } catch (e) {
    if (isFatal(e)) {
      try {
        internal.raiseFatal(host, e);
      } catch {
        /* the host is gone */
      }
      return;
    }
    try {
      console.error('evloop: an error escaped the exception handler', e);
    } catch {
      /* nowhere to report */
    }
  }
}

function checkName(call, name) {
  if (typeof name !== 'string') throw new TypeError(`${call}(): a host name must be a string, got ${typeName(name)}`);
  return name;
}

function groupArg(call, group, which) {
  const hosts = hostGroup(group);
  if (hosts !== undefined) return hosts;
  throw new TypeError(`${call}(): ${which} must be a host name or an array of host names, got ${typeName(group)}`);
}

function numberArg(call, name, value) {
  if (typeof value !== 'number') throw new TypeError(`${call}(): ${name} must be a number, got ${typeName(value)}`);
  return value;
}

function latencyArg(call, latency) {
  const pair = latencyPair(latency);
  if (pair !== undefined) return pair;
  throw new TypeError(`${call}(): latency must be a number of seconds or [min, max], got ${typeName(latency)}`);
}

function optionsArg(call, opts, allowed) {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object') throw new TypeError(`${call}(): options must be an object, got ${typeName(opts)}`);
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) throw new TypeError(`${call}(): unknown option '${key}'`);
  }
  return opts;
}

// ---------------------------------------------------------------- Host

/**
 * A simulated host: an event loop with the Node loop's interface (callSoon,
 * callLater, callAt, time, createFuture, createTask, createServer,
 * createConnection, the exception handler, ...), plus `name` and
 * `wallTime()`. The object stays the host's across restarts: its methods
 * use the current life's loop (after a crash, the closed one: RuntimeError
 * 'Event loop is closed').
 */
export class Host {
  #sim;
  #core;
  #name;
  #program;
  /** The current life's NativeHostLoop. */
  #life = null;
  #handler = null;
  #debug = false;
  #slow = 0.1;
  #tasks = new Set();

  static {
    internal.tasksOf = (host) => (#tasks in host ? host.#tasks : undefined);
    internal.raiseFatal = (host, exc) => host.#life.raiseFatal(exc);
    internal.nativeOf = (host) => host.#life;
    internal.isHost = (value) => value !== null && typeof value === 'object' && #life in value;
  }

  constructor(token, sim, core, name, program) {
    if (token !== kToken) throw new TypeError('Host objects are made by sim.host()');
    this.#sim = sim;
    this.#core = core;
    this.#name = name;
    this.#program = program;
  }

  /** Installs the loop of a new life (creation, restart). */
  static setLife(host, life) {
    host.#life = life;
    life.setReporter((context) => host.#report(context));
  }

  /** Forgets the reporter of the current life (Simulation.close). */
  static release(host) {
    host.#life?.clearReporter();
  }

  /** Runs the program (the binding calls it, as a callback labelled `program`). */
  static start(host) {
    const program = host.#program;
    if (typeof program !== 'function') return;
    let result;
    try {
      result = program(host);
    } catch (exc) {
      host.#programError(exc);
      return;
    }
    if (isThenable(result)) {
      Promise.resolve(result).then(undefined, (exc) => host.#programError(exc));
    }
  }

  /** The host's name. */
  get name() {
    return this.#name;
  }

  /** The simulation the host belongs to. */
  get simulation() {
    return this.#sim;
  }

  /** The host's wall clock, in seconds since the Unix epoch: 2026-01-01T00:00:00Z + time() + its skew. */
  wallTime() {
    return this.#core.wallTime(this.#name);
  }

  /** The next number in [0, 1) of the host's own random stream (from the seed and the name only). */
  random() {
    return this.#core.random(this.#name);
  }

  /**
   * Fault point `name`: true with probability `p` when the simulation
   * enables it (option `buggify`), always false otherwise. A true is
   * recorded as a `buggify` trace record of this host.
   */
  buggify(name, p = 0.25) {
    buggifyArgs('buggify', name, p);
    return this.#core.buggify(name, p, this.#name);
  }

  /** Whether the host is crashed (and not restarted). */
  isCrashed() {
    return this.#core.isCrashed(this.#name);
  }

  /** The simulation's virtual clock, in seconds (the same for every host). */
  time() {
    return this.#core.now();
  }

  /** Runs `callback(...args)` in the host's next iteration, after those queued before (FIFO). */
  callSoon(callback, ...args) {
    return this.#schedule('callSoon', 0, undefined, callback, args);
  }

  /** `callSoon`: the simulation has one thread. */
  callSoonThreadsafe(callback, ...args) {
    return this.#schedule('callSoonThreadsafe', 0, undefined, callback, args);
  }

  /** Runs `callback(...args)` after `delay` virtual seconds. */
  callLater(delay, callback, ...args) {
    return this.#schedule('callLater', 1, numberArg('callLater', 'delay', delay), callback, args);
  }

  /** Runs `callback(...args)` at virtual time `when`. */
  callAt(when, callback, ...args) {
    return this.#schedule('callAt', 2, numberArg('callAt', 'when', when), callback, args);
  }

  /** A Future of this host completing with `value` after `delay` virtual seconds (asyncio.sleep). */
  sleep(delay, value = undefined) {
    return sleepOn(this, delay, value);
  }

  /** A host's loop is driven by its simulation: use `sim.runFor()` or `sim.runUntilComplete()`. */
  runForever() {
    return Promise.reject(new RuntimeError(`the loop of host '${this.#name}' is driven by its Simulation: use sim.runFor() or sim.runUntilComplete()`));
  }

  /** As `runForever`: the simulation drives the host. */
  runUntilComplete(_future) {
    return this.runForever();
  }

  stop() {
    this.#life.stop();
  }

  /** Closes the current life's loop (pending callbacks are dropped); `sim.crash()` is the fault. */
  close() {
    touch();
    this.#life.close();
  }

  isRunning() {
    return this.#life.isRunning();
  }

  isClosed() {
    return this.#life.isClosed();
  }

  /** A new Future of this host. */
  createFuture() {
    return new Future(this);
  }

  /** A Task running `coro` on this host (an async function called in the next iteration, or a PromiseLike). */
  createTask(coro, options = undefined) {
    if (this.isClosed()) throw new RuntimeError('Event loop is closed');
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw new TypeError(`createTask(): options must be an object, got ${typeName(options)}`);
    }
    return new Task(coro, { name: options?.name, loop: this });
  }

  addReader(_fd, _callback, ..._args) {
    throw new NotImplementedError('addReader() is not supported on a simulated host');
  }

  addWriter(_fd, _callback, ..._args) {
    throw new NotImplementedError('addWriter() is not supported on a simulated host');
  }

  removeReader(_fd) {
    return false;
  }

  removeWriter(_fd) {
    return false;
  }

  // -------------------------------------------------------- exception handler

  setExceptionHandler(handler) {
    if (handler !== null && typeof handler !== 'function') {
      throw new TypeError(`A callable object or None is expected, got ${repr(handler)}`);
    }
    this.#handler = handler;
  }

  getExceptionHandler() {
    return this.#handler;
  }

  /** Logs `context` with console.error, as asyncio's default handler (the host's name first). */
  defaultExceptionHandler(context) {
    if (context === null || typeof context !== 'object') {
      throw new TypeError(`defaultExceptionHandler(): context must be an object, got ${typeName(context)}`);
    }
    const lines = [`[${this.#name}] ${context.message ? String(context.message) : 'Unhandled exception in event loop'}`];
    for (const key of Object.keys(context).sort()) {
      if (key === 'message' || key === 'exception') continue;
      lines.push(`${key}: ${repr(context[key])}`);
    }
    if (context.exception !== undefined && context.exception !== null) {
      const e = context.exception;
      lines.push(e instanceof Error && e.stack ? e.stack : repr(e));
    }
    console.error(lines.join('\n'));
  }

  callExceptionHandler(context) {
    if (context === null || typeof context !== 'object') {
      throw new TypeError(`callExceptionHandler(): context must be an object, got ${typeName(context)}`);
    }
    const handler = this.#handler;
    if (handler === null) {
      try {
        this.defaultExceptionHandler(context);
      } catch (e) {
        if (isFatal(e)) throw e;
        console.error('Exception in default exception handler', e);
      }
      return;
    }
    try {
      handler(this, context);
    } catch (exc) {
      if (isFatal(exc)) throw exc;
      try {
        this.defaultExceptionHandler({ message: 'Unhandled error in exception handler', exception: exc, context });
      } catch (e) {
        if (isFatal(e)) throw e;
        console.error('Exception in default exception handler while handling an unexpected error in custom exception handler', e);
      }
    }
  }

  // -------------------------------------------------------- debug mode

  /** Debug mode: checks for async functions passed as callbacks (slow callbacks are not timed: time is virtual). */
  setDebug(enabled) {
    if (typeof enabled !== 'boolean') {
      throw new TypeError(`setDebug(): enabled must be a boolean, got ${typeName(enabled)}`);
    }
    this.#debug = enabled;
  }

  getDebug() {
    return this.#debug;
  }

  /** Kept for the interface; a simulation does not time callbacks. */
  get slowCallbackDuration() {
    return this.#slow;
  }

  set slowCallbackDuration(seconds) {
    if (typeof seconds !== 'number') {
      throw new TypeError(`slowCallbackDuration must be a number, got ${typeName(seconds)}`);
    }
    if (Number.isNaN(seconds) || seconds < 0) {
      throw new RangeError(`slowCallbackDuration must be a non-negative number, got ${seconds}`);
    }
    this.#slow = seconds;
  }

  toString() {
    return `<Host name=${repr(this.#name)} running=${this.isRunning()} closed=${this.isClosed()} debug=${this.#debug}>`;
  }

  // -------------------------------------------------------- internals

  #schedule(call, kind, when, callback, args) {
    if (typeof callback !== 'function') {
      throw new TypeError(`${call}(): callback must be a function, got ${typeName(callback)}`);
    }
    if (this.#debug && (isCoroutineFunction(callback) || isThenable(callback))) {
      throw new TypeError(`coroutines cannot be used with ${call}()`);
    }
    let handle;
    const run = () => this.#invoke(callback, args, handle);
    const label = callback.name || '<anonymous>';
    const life = this.#life;
    if (kind === 0) handle = life.callSoon(label, run);
    else if (kind === 1) handle = life.callLater(when, label, run);
    else handle = life.callAt(when, label, run);
    touch();
    return handle;
  }

  #invoke(callback, args, handle) {
    try {
      callback(...args);
    } catch (exc) {
      if (isFatal(exc)) {
        this.#life.raiseFatal(exc);
        return;
      }
      guard(this, () => {
        const context = { message: `Exception in callback ${formatCallback(callback, args)}`, exception: exc };
        if (handle !== undefined) context.handle = handle;
        this.callExceptionHandler(context);
      });
    }
  }

  #report(context) {
    guard(this, () => this.callExceptionHandler(context));
  }

  #programError(exc) {
    if (exc instanceof CancelledError) return;
    if (isFatal(exc)) {
      guard(this, () => this.#life.raiseFatal(exc));
      return;
    }
    guard(this, () =>
      this.callExceptionHandler({ message: `Exception in the program of host '${this.#name}'`, exception: exc }),
    );
  }
}

for (const [name, fn] of Object.entries(hostNetMethods)) {
  Object.defineProperty(Host.prototype, name, { value: fn, writable: true, configurable: true });
}

// ---------------------------------------------------------------- Simulation

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
