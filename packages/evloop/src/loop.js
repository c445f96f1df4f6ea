// The loop classes: asyncio's SelectorEventLoop over the native addon, which
// runs it from Node's own libuv loop (docs/node.md, docs/architecture.md).
// This layer checks arguments, maps native errors to the package's classes,
// and holds what is JavaScript by nature: runForever's promise, the exception
// handler (it receives JS values), futures and tasks, the running loop.

import { inspect } from 'node:util';
import {
  Handle as NativeHandle,
  NativeEventLoop,
  TimerHandle as NativeTimerHandle,
} from '../native/index.js';
import { fromNative, NotImplementedError, RuntimeError, ValueError } from './errors.js';
import { Future, Task, isFuture } from './futures.js';
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

// ---------------------------------------------------------------- handles

/** What a handle runs, once known (debug mode, or after a report). */
const descriptions = new WeakMap();

/** asyncio's Handle repr: `<Handle cb(1, 'a')>`, `<TimerHandle when=12.5 cancelled cb()>`. */
function handleRepr(handle) {
  const timer = handle instanceof NativeTimerHandle;
  const info = [timer ? 'TimerHandle' : 'Handle'];
  if (handle.cancelled()) info.push('cancelled');
  if (timer) info.push(`when=${handle.when()}`);
  const desc = descriptions.get(handle);
  if (desc !== undefined) info.push(desc);
  return `<${info.join(' ')}>`;
}

for (const cls of [NativeHandle, NativeTimerHandle]) {
  Object.defineProperty(cls.prototype, 'toString', {
    value() {
      return handleRepr(this);
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(cls.prototype, inspect.custom, {
    value() {
      return handleRepr(this);
    },
    writable: true,
    configurable: true,
  });
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
    };
  }

  /** @param {symbol} token @param {string} backend a selector name, or "proactor" */
  constructor(token, backend) {
    super();
    if (token !== kBackend) throw new TypeError('BaseEventLoop is abstract: use SelectorEventLoop or ProactorEventLoop');
    this.#native = call(() => new NativeEventLoop(backend, this, hooks));
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
    this.#checkCallback('callSoon', callback);
    const handle = call(() => this.#native.callSoon(callback, args));
    if (this.#debug) descriptions.set(handle, formatCallback(callback, args));
    return handle;
  }

  /**
   * callSoon that also wakes the loop. On the loop's thread it is callSoon
   * (libuv does the waiting); other threads use a LoopRemote
   * (`createRemote`), as JS functions cannot cross threads.
   */
  callSoonThreadsafe(callback, ...args) {
    this.#checkCallback('callSoonThreadsafe', callback);
    const handle = call(() => this.#native.callSoonThreadsafe(callback, args));
    if (this.#debug) descriptions.set(handle, formatCallback(callback, args));
    return handle;
  }

  callLater(delay, callback, ...args) {
    this.#checkCallback('callLater', callback);
    const handle = call(() => this.#native.callLater(delay, callback, args));
    if (this.#debug) descriptions.set(handle, formatCallback(callback, args));
    return handle;
  }

  callAt(when, callback, ...args) {
    this.#checkCallback('callAt', callback);
    const handle = call(() => this.#native.callAt(when, callback, args));
    if (this.#debug) descriptions.set(handle, formatCallback(callback, args));
    return handle;
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
    this.#checkCallback(name, callback);
    const n = fdOf(name, fd);
    const handle = call(() =>
      slot === 0 ? this.#native.addReader(n, callback, args) : this.#native.addWriter(n, callback, args),
    );
    descriptions.set(handle, formatCallback(callback, args));
    const pair = this.#io.get(n) ?? [undefined, undefined];
    pair[slot] = handle;
    this.#io.set(n, pair);
  }

  #removeIo(name, slot, fd) {
    const n = fdOf(name, fd);
    const removed = call(() => (slot === 0 ? this.#native.removeReader(n) : this.#native.removeWriter(n)));
    const pair = this.#io.get(n);
    if (pair !== undefined) {
      pair[slot] = undefined;
      if (pair[0] === undefined && pair[1] === undefined) this.#io.delete(n);
    }
    return removed;
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
    this.#io.clear();
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
    if (this.#native.isClosed()) throw new RuntimeError('Event loop is closed');
  }

  /** asyncio's debug-mode checks (`_check_callback`); non-callables are always refused natively. */
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

export { NativeHandle as Handle, NativeTimerHandle as TimerHandle };
