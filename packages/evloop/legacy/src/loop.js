// The loop classes: asyncio's SelectorEventLoop over the native addon, which
// runs it from Node's own libuv loop (docs/node.md, docs/architecture.md).
// This layer checks arguments, maps native errors to the package's classes,
// and holds what is JavaScript by nature: runForever's promise, the exception
// handler (it receives JS values), futures and tasks, the running loop.

import { inspect } from 'node:util';
import { NativeEventLoop } from '../../native/index.js';
import { fromNative, NotImplementedError, RuntimeError, ValueError } from './errors.js';
import { Future, Task, isFuture } from './futures.js';
import {
  cancelHandleQuietly,
  descriptions,
  Handle,
  handleRepr,
  kHandle,
  runHandle,
  TimerHandle,
  timerIdOf,
} from './handles.js';
import {
  formatCallback,
  internal,
  isCoroutineFunction,
  isFatal,
  isThenable,
  repr,
  typeName,
} from './internal.js';
import { LoopRemote } from './remote.js';

/** The loop running in this thread (a worker has its own), or null. */
let running = null;

/** The running loop of this thread. Throws RuntimeError('no running event loop') without one. */
export function getRunningLoop() {
  if (running === null) throw new RuntimeError('no running event loop');
  return running;
}

/** The running loop of this thread, or null (asyncio's `_get_running_loop()`). */
export function getRunningLoopOrNull() {
  return running;
}

// ---------------------------------------------------------------- arguments

const SELECTORS = process.platform === 'linux'
  ? ['default', 'epoll', 'poll', 'select']
  : ['default', 'kqueue', 'poll', 'select'];

function selectorOption(options) {
  if (options === undefined || options === null) return 'default';
  if (typeof options !== 'object') {
    throw new TypeError(`SelectorEventLoop(): options must be an object, got ${typeName(options)}`);
  }
  const selector = options.selector ?? 'default';
  if (typeof selector !== 'string') {
    throw new TypeError(`SelectorEventLoop(): option selector must be a string, got ${typeName(selector)}`);
  }
  if (!SELECTORS.includes(selector)) {
    throw new ValueError(
      `SelectorEventLoop(): unknown selector ${repr(selector)}; option selector must be one of ${SELECTORS.map((s) => `"${s}"`).join(', ')}`,
    );
  }
  return selector;
}

/** An fd number, or an object's `fileno()` (asyncio's `_fileobj_to_fd`). */
function fdOf(call, fd) {
  if (fd !== null && typeof fd === 'object' && typeof fd.fileno === 'function') {
    const n = fd.fileno();
    if (typeof n !== 'number') {
      throw new ValueError(`${call}(): Invalid file object: ${repr(fd)}`);
    }
    return n;
  }
  return fd;
}

/** asyncio's repr of a bad callback, for messages: strings quoted. */
function describeValue(value) {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'symbol') return 'a symbol';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

/** Refuses non-callables (always, not only in debug mode). */
function checkCallable(name, callback) {
  if (typeof callback !== 'function') {
    throw new TypeError(`a callable object was expected by ${name}(), got ${describeValue(callback)}`);
  }
}

/** A delay or loop time: `null`/`undefined` is asyncio's TypeError for None. */
function checkSeconds(name, param, value, noneMessage) {
  if (value === null || value === undefined) throw new TypeError(noneMessage);
  if (typeof value !== 'number') throw new TypeError(`${name}(): ${param} must be a number, got ${typeof value}`);
  if (Number.isNaN(value)) throw new RangeError(`${name}(): ${param} must not be NaN`);
}

/** Compacts the callSoon FIFO once this many entries before its head ran. */
const SOON_COMPACT = 4096;

function call(fn) {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e);
  }
}

// ---------------------------------------------------------------- the loop

/** The base class of event loops (asyncio's AbstractEventLoop); `setEventLoop` accepts its instances. */
export class AbstractEventLoop {}

/** Hooks the native loop calls (module-level: holding them makes no cycle). */
let hooks;

/**
 * Report errors in the package's own reporting without ever throwing back
 * into the native side; a fatal error raised by a handler ends the run.
 */
function guard(loop, fn) {
  try {
    fn();
  } catch (e) {
    if (isFatal(e)) {
      try {
        internal.raiseFatal(loop, e);
      } catch {
        /* the loop is gone */
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

/** Passed by the loop classes to the shared base class; nothing else can. */
const kBackend = Symbol('evloop.backend');

/**
 * What every native loop class shares (asyncio's BaseEventLoop): the
 * native loop, its handler, tasks and the runForever promise. Not exported:
 * `SelectorEventLoop` and `ProactorEventLoop` are the classes to use.
 */
export class BaseEventLoop extends AbstractEventLoop {
  #native;
  #handler = null;
  #debug = false;
  /** fd -> [reader handle, writer handle]: keeps them for reports. */
  #io = new Map();
  /** Pending tasks (asyncio's all_tasks). */
  #tasks = new Set();
  /** A runForever in progress: its settle functions. */
  #settle = null;
  /** Mirrors the native loop's closed state (checked on every call). */
  #closed = false;
  /**
   * callSoon's FIFO: the native loop holds one entry per handle, in the same
   * order, and runs the one at `#soonHead` (js_ready.rs in the addon).
   */
  #soon = [];
  #soonHead = 0;
  /** Pending timers by id; ids of fired or cancelled timers are reused. */
  #timers = [];
  #freeTimerIds = [];
  /** The native loop's functions for callSoon and timers (js_ready.rs in the addon). */
  #enqueueSoon;
  #scheduleTimer;
  #nativeCancelTimer;
  /** Shared by every handle of this loop (no closure per call). */
  #report = (exc, handle, callback, args) => hooks.callbackError(this, exc, handle, callback, args ?? undefined);
  #cancelTimer = (handle) => {
    const id = timerIdOf(handle);
    if (this.#timers[id] !== handle) return;
    this.#timers[id] = undefined;
    this.#freeTimerIds.push(id);
    this.#nativeCancelTimer(id);
  };

  static {
    internal.nativeOf = (loop) => loop.#native;
    internal.raiseFatal = (loop, exc) => loop.#native.raiseFatal(exc);
    internal.tasksOf = (loop) => (#tasks in loop ? loop.#tasks : undefined);
    hooks = {
      callbackError(loop, exc, handle, func, args) {
        guard(loop, () => {
          if (isFatal(exc)) {
            loop.#native.raiseFatal(exc);
            return;
          }
          const desc = func === undefined ? undefined : formatCallback(func, args ?? []);
          if (handle !== undefined && desc !== undefined) descriptions.set(handle, desc);
          const context = {
            message: desc === undefined ? 'Exception in callback' : `Exception in callback ${desc}`,
            exception: exc,
          };
          if (handle !== undefined) context.handle = handle;
          loop.callExceptionHandler(context);
        });
      },
      slowCallback(loop, seconds, handle, func, args) {
        guard(loop, () => {
          if (handle !== undefined) descriptions.set(handle, formatCallback(func, args ?? []));
          const what = handle === undefined ? formatCallback(func, args ?? []) : handleRepr(handle);
          console.warn(`Executing ${what} took ${seconds.toFixed(3)} seconds`);
        });
      },
      context(loop, context) {
        guard(loop, () => loop.callExceptionHandler(context));
      },
      remoteCall(loop, callback, buffer) {
        guard(loop, () => LoopRemote.deliver(loop, callback, buffer));
      },
      runSoon(loop) {
        loop.#runSoon();
      },
      runTimer(loop, id) {
        loop.#runTimer(id);
      },
    };
  }

  /** @param {symbol} token @param {string} backend a selector name, or "proactor" */
  constructor(token, backend) {
    super();
    if (token !== kBackend) throw new TypeError('BaseEventLoop is abstract: use SelectorEventLoop or ProactorEventLoop');
    this.#native = call(() => new NativeEventLoop(backend, this, hooks));
    ({ enqueueSoon: this.#enqueueSoon, scheduleTimer: this.#scheduleTimer, cancelTimer: this.#nativeCancelTimer } =
      this.#native.fastCalls());
  }

  /** The mechanism in use: "epoll", "kqueue", "poll", "select" or "io_uring". */
  get selector() {
    return this.#native.selector;
  }

  /** The loop's monotonic clock, in seconds. */
  time() {
    return this.#native.time();
  }

  callSoon(callback, ...args) {
    return this.#soonHandle('callSoon', callback, args);
  }

  /**
   * callSoon that also wakes the loop. On the loop's thread it is callSoon
   * (libuv does the waiting); other threads use a LoopRemote
   * (`createRemote`), as JS functions cannot cross threads.
   */
  callSoonThreadsafe(callback, ...args) {
    return this.#soonHandle('callSoonThreadsafe', callback, args);
  }

  callLater(delay, callback, ...args) {
    return this.#timerHandle('callLater', delay, true, callback, args);
  }

  callAt(when, callback, ...args) {
    return this.#timerHandle('callAt', when, false, callback, args);
  }

  /** Calls `callback(...args)` whenever `fd` is readable, until `removeReader(fd)`. */
  addReader(fd, callback, ...args) {
    this.#addIo('addReader', 0, fd, callback, args);
  }

  /** Calls `callback(...args)` whenever `fd` is writable, until `removeWriter(fd)`. */
  addWriter(fd, callback, ...args) {
    this.#addIo('addWriter', 1, fd, callback, args);
  }

  /** Stops watching `fd` for reading; whether a reader was registered. */
  removeReader(fd) {
    return this.#removeIo('removeReader', 0, fd);
  }

  /** Stops watching `fd` for writing; whether a writer was registered. */
  removeWriter(fd) {
    return this.#removeIo('removeWriter', 1, fd);
  }

  #addIo(name, slot, fd, callback, args) {
    this.#checkClosed();
    checkCallable(name, callback);
    this.#checkCallback(name, callback);
    const n = fdOf(name, fd);
    const handle = new Handle(kHandle, callback, args, (h) => {
      if (this.#io.get(n)?.[slot] === h) this.#removeIo(name, slot, n);
    });
    call(() =>
      slot === 0
        ? this.#native.addReader(n, handle, callback, args)
        : this.#native.addWriter(n, handle, callback, args),
    );
    descriptions.set(handle, formatCallback(callback, args));
    const pair = this.#io.get(n) ?? [undefined, undefined];
    // asyncio cancels the handle a new registration replaces.
    if (pair[slot] !== undefined) cancelHandleQuietly(pair[slot]);
    pair[slot] = handle;
    this.#io.set(n, pair);
  }

  #removeIo(name, slot, fd) {
    const n = fdOf(name, fd);
    const removed = call(() => (slot === 0 ? this.#native.removeReader(n) : this.#native.removeWriter(n)));
    const pair = this.#io.get(n);
    if (pair !== undefined) {
      if (pair[slot] !== undefined) cancelHandleQuietly(pair[slot]);
      pair[slot] = undefined;
      if (pair[0] === undefined && pair[1] === undefined) this.#io.delete(n);
    }
    return removed;
  }

  #soonHandle(name, callback, args) {
    this.#checkClosed();
    checkCallable(name, callback);
    this.#checkCallback(name, callback);
    const handle = new Handle(kHandle, callback, args, null);
    this.#enqueueSoon();
    this.#soon.push(handle);
    if (this.#debug) descriptions.set(handle, formatCallback(callback, args));
    return handle;
  }

  #timerHandle(name, seconds, relative, callback, args) {
    this.#checkClosed();
    checkCallable(name, callback);
    checkSeconds(name, relative ? 'delay' : 'when', seconds, relative ? 'delay must not be None' : 'when cannot be None');
    this.#checkCallback(name, callback);
    const id = this.#freeTimerIds.length > 0 ? this.#freeTimerIds.pop() : this.#timers.length;
    const when = call(() => this.#scheduleTimer(id, seconds, relative));
    const handle = new TimerHandle(kHandle, callback, args, this.#cancelTimer, when, id);
    this.#timers[id] = handle;
    if (this.#debug) descriptions.set(handle, formatCallback(callback, args));
    return handle;
  }

  /** The native loop reached the next callSoon entry. */
  #runSoon() {
    const queue = this.#soon;
    const head = this.#soonHead;
    const handle = queue[head];
    queue[head] = undefined;
    if (head + 1 === queue.length) {
      queue.length = 0;
      this.#soonHead = 0;
    } else if (head + 1 >= SOON_COMPACT && (head + 1) * 2 >= queue.length) {
      // A loop that never drains its FIFO would otherwise keep every slot it ever used.
      queue.splice(0, head + 1);
      this.#soonHead = 0;
    } else {
      this.#soonHead = head + 1;
    }
    if (handle !== undefined) this.#run(handle);
  }

  /** Timer `id` fell due. */
  #runTimer(id) {
    const handle = this.#timers[id];
    if (handle === undefined) return;
    this.#timers[id] = undefined;
    this.#freeTimerIds.push(id);
    this.#run(handle);
  }

  #run(handle) {
    if (!this.#debug) {
      runHandle(handle, true, this.#report);
      return;
    }
    const started = performance.now();
    runHandle(handle, true, this.#report);
    const took = (performance.now() - started) / 1000;
    if (took >= this.#native.slowCallbackDuration) {
      guard(this, () => console.warn(`Executing ${handleRepr(handle)} took ${took.toFixed(3)} seconds`));
    }
  }

  /** Runs until `stop()`; resolves once the loop has stopped. */
  runForever() {
    try {
      return this.#start();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Runs until `future` (a Future of this loop, or any PromiseLike) is done,
   * then resolves with its value or rejects with its error. As asyncio: if
   * the loop stops first, rejects with RuntimeError('Event loop stopped
   * before Future completed.').
   */
  runUntilComplete(future) {
    let run;
    try {
      this.#checkClosed();
      if (this.isRunning()) throw new RuntimeError('This event loop is already running');
      if (isFuture(future)) {
        if (future.getLoop() !== this) {
          throw new ValueError('The future belongs to a different loop than the one specified as the loop argument');
        }
      } else if (!isThenable(future)) {
        throw new TypeError('An asyncio.Future, a coroutine or an awaitable is required');
      }
      run = this.#start();
    } catch (e) {
      return Promise.reject(e);
    }
    return isFuture(future) ? this.#untilFuture(future, run) : this.#untilPromise(future, run);
  }

  #untilFuture(future, run) {
    // asyncio's _run_until_complete_cb: no stop for SystemExit/KeyboardInterrupt,
    // which already ended the run (a stop would stay pending for the next one).
    const stopper = (f) => {
      if (!f.cancelled() && isFatal(f.exception())) return;
      this.stop();
    };
    future.addDoneCallback(stopper);
    return run.then(
      () => {
        future.removeDoneCallback(stopper);
        if (!future.done()) throw new RuntimeError('Event loop stopped before Future completed.');
        return future.result();
      },
      (err) => {
        future.removeDoneCallback(stopper);
        throw err;
      },
    );
  }

  #untilPromise(promise, run) {
    const outcome = { done: false, ok: false, value: undefined };
    let attached = true; // asyncio removes its done callback when run_forever returns
    const settle = (ok, value) => {
      Object.assign(outcome, { done: true, ok, value });
      if (attached && !(!ok && isFatal(value))) this.stop();
    };
    Promise.resolve(promise).then(
      (value) => settle(true, value),
      (reason) => settle(false, reason),
    );
    return run.then(
      () => {
        attached = false;
        if (!outcome.done) throw new RuntimeError('Event loop stopped before Future completed.');
        if (!outcome.ok) throw outcome.value;
        return outcome.value;
      },
      (err) => {
        attached = false;
        throw err;
      },
    );
  }

  /** Stops the loop after the current iteration. */
  stop() {
    this.#native.stop();
  }

  /** Closes the loop; pending callbacks are dropped. RuntimeError while running. */
  close() {
    call(() => this.#native.close());
    this.#closed = true;
    this.#io.clear();
    // The native loop dropped its entries: these will never run.
    this.#soon = [];
    this.#soonHead = 0;
    this.#timers = [];
    this.#freeTimerIds = [];
  }

  isRunning() {
    return this.#native.isRunning();
  }

  isClosed() {
    return this.#native.isClosed();
  }

  /** A new Future of this loop (allowed on a closed loop, as in asyncio). */
  createFuture() {
    return new Future(this);
  }

  /**
   * A Task running `coro`: an async function (called with no arguments in
   * the next iteration) or a PromiseLike. See Task for cancellation.
   */
  createTask(coro, options = undefined) {
    this.#checkClosed();
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw new TypeError(`createTask(): options must be an object, got ${typeName(options)}`);
    }
    return new Task(coro, { name: options?.name, loop: this });
  }

  /**
   * A LoopRemote: other threads (workers) reach this loop through its
   * `token`; their `callSoonThreadsafe(...args)` calls `callback(...args)`
   * here, in a coming iteration (arguments are copied with the structured
   * clone algorithm).
   */
  createRemote(callback = undefined) {
    if (callback !== undefined && callback !== null) this.#checkCallback('createRemote', callback);
    const token = call(() => this.#native.createRemote(callback ?? undefined));
    return LoopRemote.own(this, token, callback ?? null);
  }

  // -------------------------------------------------------- exception handler

  /** Installs `handler(loop, context)`, or restores the default with null. */
  setExceptionHandler(handler) {
    if (handler !== null && typeof handler !== 'function') {
      throw new TypeError(`A callable object or None is expected, got ${repr(handler)}`);
    }
    this.#handler = handler;
  }

  /** The custom handler, null while the default is active. */
  getExceptionHandler() {
    return this.#handler;
  }

  /**
   * Logs `context` to stderr as asyncio's default handler does: the message,
   * then one `key: value` line per other key (sorted), then the exception.
   */
  defaultExceptionHandler(context) {
    if (context === null || typeof context !== 'object') {
      throw new TypeError(`defaultExceptionHandler(): context must be an object, got ${typeName(context)}`);
    }
    const lines = [context.message ? String(context.message) : 'Unhandled exception in event loop'];
    for (const key of Object.keys(context).sort()) {
      if (key === 'message' || key === 'exception') continue;
      lines.push(`${key}: ${inspect(context[key], { depth: 2, breakLength: Infinity })}`);
    }
    if (context.exception !== undefined && context.exception !== null) {
      lines.push(inspect(context.exception));
    }
    console.error(lines.join('\n'));
  }

  /**
   * Passes `context` to the custom handler as `handler(loop, context)`, or to
   * the default one. A handler that throws is reported to the default handler
   * ('Unhandled error in exception handler'); SystemExit and
   * KeyboardInterrupt propagate.
   */
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
        console.error(
          'Exception in default exception handler while handling an unexpected error in custom exception handler',
          e,
        );
      }
    }
  }

  // -------------------------------------------------------- debug mode

  /** Debug mode: slow-callback warnings, checks for async functions passed as callbacks. */
  setDebug(enabled) {
    if (typeof enabled !== 'boolean') {
      throw new TypeError(`setDebug(): enabled must be a boolean, got ${typeName(enabled)}`);
    }
    this.#debug = enabled;
    this.#native.setDebug(enabled);
  }

  getDebug() {
    return this.#debug;
  }

  /**
   * A simulation's fault point (`evloop/sim`'s `sim.buggify`): always false
   * on a real loop, after checking the arguments as the simulation does.
   */
  buggify(name, p = 0.25) {
    if (typeof name !== 'string') throw new TypeError(`buggify(): name must be a string, got ${typeName(name)}`);
    if (name === '') throw new ValueError('buggify(): name must not be empty');
    if (typeof p !== 'number') throw new TypeError(`buggify(): p must be a number, got ${typeName(p)}`);
    if (!(p >= 0 && p <= 1)) throw new ValueError(`buggify(): p must be a probability in [0, 1], got ${p}`);
    return false;
  }

  /** In debug mode, callbacks taking at least this many seconds are reported (default 0.1). */
  get slowCallbackDuration() {
    return this.#native.slowCallbackDuration;
  }

  set slowCallbackDuration(seconds) {
    if (typeof seconds !== 'number') {
      throw new TypeError(`slowCallbackDuration must be a number, got ${typeName(seconds)}`);
    }
    if (Number.isNaN(seconds) || seconds < 0) {
      throw new RangeError(`slowCallbackDuration must be a non-negative number, got ${seconds}`);
    }
    this.#native.slowCallbackDuration = seconds;
  }

  [inspect.custom]() {
    return this.toString();
  }

  toString() {
    return `<${this.constructor.name} selector=${this.selector} running=${this.isRunning()} closed=${this.isClosed()} debug=${this.#debug}>`;
  }

  // -------------------------------------------------------- internals

  #checkClosed() {
    if (this.#closed) throw new RuntimeError('Event loop is closed');
  }

  /** asyncio's debug-mode checks (`_check_callback`); non-callables are always refused (`checkCallable`). */
  #checkCallback(name, callback) {
    if (!this.#debug) return;
    this.#checkClosed();
    if (isCoroutineFunction(callback) || isThenable(callback)) {
      throw new TypeError(`coroutines cannot be used with ${name}()`);
    }
  }

  /** Starts the run synchronously; throws (mapped) if it cannot. */
  #start() {
    let settle;
    const done = new Promise((resolve, reject) => {
      settle = { resolve, reject };
    });
    // The native side holds this callback strongly until the run ends; it
    // refers to `this`, so a running loop is never garbage-collected.
    call(() => this.#native.runForever((err) => this.#finished(settle, err)));
    this.#settle = settle;
    running = this;
    return done;
  }

  #finished(settle, err) {
    this.#settle = null;
    if (running === this) running = null;
    if (err === undefined) settle.resolve();
    else settle.reject(fromNative(err));
  }
}

/**
 * asyncio's SelectorEventLoop: a loop over a readiness selector, driven
 * from Node's libuv loop. `selector` is "default" (epoll on Linux, kqueue on
 * macOS), "epoll"/"kqueue", "poll" or "select".
 */
export class SelectorEventLoop extends BaseEventLoop {
  /**
   * @param {{ selector?: "default" | "epoll" | "kqueue" | "poll" | "select" }} [options]
   */
  constructor(options = undefined) {
    super(kBackend, selectorOption(options));
  }
}

/** The platform's default loop class: SelectorEventLoop (asyncio.EventLoop on Unix). */
export const EventLoop = SelectorEventLoop;

/**
 * asyncio's ProactorEventLoop, on Linux's io_uring (docs/proactor.md):
 * accepting, receiving, sending and connecting are operations submitted to
 * the kernel whose completions run the callbacks. Where io_uring is not
 * available (another OS, an old kernel, a seccomp filter), constructing it
 * throws an OSError that says why; nothing falls back to a selector.
 */
export class ProactorEventLoop extends BaseEventLoop {
  constructor() {
    if (process.platform !== 'linux') {
      throw new NotImplementedError(`ProactorEventLoop needs io_uring, which only Linux has (this is ${process.platform})`);
    }
    super(kBackend, 'proactor');
  }
}

export { Handle, TimerHandle };
