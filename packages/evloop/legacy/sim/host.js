// Host: a simulated host as the program sees it, an event loop with the
// Node loop's interface over the current life's native loop (the binding's
// NativeHostLoop). Simulation (simulation.js) makes hosts and moves them
// from life to life.

import { CancelledError, NotImplementedError, RuntimeError } from '../src/errors.js';
import { numberArg } from './args.js';
import { Future, Task, sleepOn } from './futures.js';
import { hostNetMethods } from './net.js';
import { buggifyArgs } from './power.js';
import { formatCallback, internal, isCoroutineFunction, isFatal, isThenable, repr, touch, typeName } from './util.js';

/** Lets the package construct hosts; users get them from `sim.host()`. */
export const kToken = Symbol('evloop.sim');

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
