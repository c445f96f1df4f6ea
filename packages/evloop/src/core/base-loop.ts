// BaseLoop: what every loop of the package does above its I/O, written once for Node's loops
// and simulated hosts: callbacks and timers (over a LoopBackend, backend.ts), the exception
// handler, debug mode, futures and tasks.
//
// Subclasses provide:
// - `protected get backend(): LoopBackend`: the current back end (a simulated host's changes
//   on restart; read on every call, so return a field). Give the back end `this.driver` (the
//   loop's LoopDriver): it runs due handles through it.
// - `runForever`, `runUntilComplete` (Node runs; a simulated host refuses: its simulation
//   drives it), `addReader`/`addWriter`/`removeReader`/`removeWriter`, and whatever networking
//   NetLoop adds.
// - optionally: `reprInfo()` (` selector=epoll`, ` name='a'` in the repr), `reportPrefix()`
//   (the default exception handler's first line: a host writes `[name] `), `taskStepName()`
//   (a simulation's trace wants no counter in it), `onFutureDone()` (a simulation counts it).
// Whoever runs a loop sets it as the running loop (running.ts).

import { AbstractEventLoop, type ExceptionHandler } from './abstract-loop.js';
import type { ExceptionContext, LoopBackend, LoopDriver } from './backend.js';
import { RuntimeError, ValueError } from './errors.js';
import { formatCallback, inspectCustom } from './format.js';
import { type Coroutine, Future, Task, type TaskFactory, type TaskOptions } from './futures.js';
import {
  type AnyCallback,
  descriptions,
  Handle,
  type HandleReport,
  handleRepr,
  kHandle,
  runHandle,
  setTimerWhen,
  TimerHandle,
} from './handles.js';
import { loopInternals } from './internal.js';
import { logError, logWarning } from './log.js';
import { platform, repr } from './platform.js';
import { type Executor, type ExecutorCallable, LoopExecutors } from './executor.js';
import { SignalHandlers } from './signals.js';
import { captureContext } from './task-context.js';
import { isCoroutineFunction, isFatal, isThenable, typeName } from './values.js';

export type { ExceptionContext } from './backend.js';

export { AbstractEventLoop, type ExceptionHandler, type FileLike } from './abstract-loop.js';

/** asyncio's repr of a bad callback, for messages: strings quoted. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'symbol') return 'a symbol';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

/** Refuses non-callables (always, not only in debug mode), in asyncio's words. */
export function checkCallable(call: string, callback: unknown): asserts callback is AnyCallback {
  if (typeof callback !== 'function') {
    throw new TypeError(`a callable object was expected by ${call}(), got ${describeValue(callback)}`);
  }
}

/** A delay or loop time: `null`/`undefined` is asyncio's TypeError for None. */
function checkSeconds(call: string, param: string, value: unknown, noneMessage: string): asserts value is number {
  if (value === null || value === undefined) throw new TypeError(noneMessage);
  if (typeof value !== 'number') throw new TypeError(`${call}(): ${param} must be a number, got ${typeof value}`);
  if (Number.isNaN(value)) throw new RangeError(`${call}(): ${param} must not be NaN`);
}

/** A context argument: an object. */
function checkContext(call: string, context: unknown): asserts context is ExceptionContext {
  if (context === null || typeof context !== 'object') {
    throw new TypeError(`${call}(): context must be an object, got ${typeName(context)}`);
  }
}

/**
 * What every loop shares (asyncio's BaseEventLoop above its selector): the public API of
 * callbacks, timers, futures, tasks, the exception handler and debug mode, over `backend`.
 */
export abstract class BaseLoop extends AbstractEventLoop {
  #handler: ExceptionHandler<this> | null = null;
  #debug = false;
  #slowCallbackDuration = 0.1;
  /** Pending tasks (asyncio's all_tasks). */
  #tasks = new Set<Task<unknown>>();
  #taskFactory: TaskFactory | null = null;
  /** The default executor and its shutdown state (executor.ts). */
  #executors = new LoopExecutors();
  /** Signal handlers (signals.ts): each arrival queues its handler with callSoon. */
  #signals = new SignalHandlers((context, callback, args) => {
    if (!this.backend.isClosed()) this.#soonHandle('addSignalHandler', callback, args, context);
  });

  /** Shared by every handle of this loop: no closure per call. */
  #report: HandleReport = (exc, handle, callback, args) => this.#callbackError(exc, handle, callback, args);
  #cancelSoon = (handle: Handle): void => this.backend.cancelSoon(handle);
  #cancelTimer = (handle: Handle): void => this.backend.cancelTimer(handle as TimerHandle);

  /** What the back end calls: give it to the back end when making one. */
  protected readonly driver: LoopDriver = {
    runHandle: (handle) => this.#runHandle(handle),
    callbackError: (exc, handle, callback, args) => this.#callbackError(exc, handle, callback, args),
    slowCallback: (seconds, handle, callback, args) => this.#slowCallback(seconds, handle, callback, args),
    report: (context) => this.#guard(() => this.callExceptionHandler(context)),
  };

  /** The back end in use (read on every call: a simulated host's changes on restart). */
  protected abstract get backend(): LoopBackend;

  static {
    loopInternals.isLoop = (value: unknown): value is BaseLoop =>
      value !== null && typeof value === 'object' && #tasks in value;
    loopInternals.backendOf = (loop) => loop.backend;
    loopInternals.tasksOf = (loop) => loop.#tasks;
    loopInternals.raiseFatal = (loop, exc) => loop.backend.raiseFatal(exc);
    loopInternals.futureDone = (loop) => loop.onFutureDone();
    loopInternals.taskStepName = (loop, name) => loop.taskStepName(name);
    loopInternals.guard = (loop, fn) => loop.#guard(fn);
    loopInternals.callSoonIn = (loop, context, callback, arg) => {
      loop.#soonHandle('callSoon', callback, [arg], context ?? captureContext());
    };
  }

  // -------------------------------------------------------- callbacks and timers

  /** The loop's monotonic clock, in seconds. */
  time(): number {
    return this.backend.time();
  }

  /** Runs `callback(...args)` in the next iteration, after those queued before (FIFO). */
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle {
    return this.#soonHandle('callSoon', callback, args, captureContext());
  }

  /**
   * `callSoon` that also wakes the loop. On the loop's thread it is callSoon (libuv, or the
   * simulation's single thread, does the waiting); Node's other threads use a LoopRemote.
   */
  callSoonThreadsafe<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle {
    return this.#soonHandle('callSoonThreadsafe', callback, args, captureContext());
  }

  /** Runs `callback(...args)` after `delay` seconds (negative: due now). */
  callLater<A extends unknown[]>(delay: number, callback: (...args: A) => unknown, ...args: A): TimerHandle {
    return this.#timerHandle('callLater', delay, true, callback, args);
  }

  /** Runs `callback(...args)` at loop time `when` (seconds, as `time()`). */
  callAt<A extends unknown[]>(when: number, callback: (...args: A) => unknown, ...args: A): TimerHandle {
    return this.#timerHandle('callAt', when, false, callback, args);
  }

  /** `context`: the async context the callback runs in (task-context.ts; asyncio copies it). */
  #soonHandle(call: string, callback: unknown, args: readonly unknown[], context: object | null): Handle {
    const backend = this.backend;
    if (backend.isClosed()) throw new RuntimeError('Event loop is closed');
    checkCallable(call, callback);
    if (this.#debug) this.#checkCallback(call, callback);
    const handle = new Handle(kHandle, callback, args, this.#cancelSoon, context);
    backend.scheduleSoon(handle);
    if (this.#debug) descriptions.set(handle, formatCallback(callback, args, repr));
    return handle;
  }

  #timerHandle(call: string, seconds: unknown, relative: boolean, callback: unknown, args: readonly unknown[]): TimerHandle {
    const backend = this.backend;
    if (backend.isClosed()) throw new RuntimeError('Event loop is closed');
    checkCallable(call, callback);
    checkSeconds(call, relative ? 'delay' : 'when', seconds, relative ? 'delay must not be None' : 'when cannot be None');
    if (this.#debug) this.#checkCallback(call, callback);
    const handle = new TimerHandle(kHandle, callback, args, this.#cancelTimer, captureContext());
    setTimerWhen(handle, backend.scheduleTimer(handle, seconds, relative));
    if (this.#debug) descriptions.set(handle, formatCallback(callback, args, repr));
    return handle;
  }

  /** asyncio's debug-mode check (`_check_callback`); non-callables are always refused. */
  #checkCallback(call: string, callback: AnyCallback): void {
    if (isCoroutineFunction(callback) || isThenable(callback)) {
      throw new TypeError(`coroutines cannot be used with ${call}()`);
    }
  }

  /** The back end reached a due handle. */
  #runHandle(handle: Handle): void {
    if (!this.#debug) {
      runHandle(handle, true, this.#report);
      return;
    }
    const timed = this.backend.clock === 'real';
    const started = timed ? performance.now() : 0;
    runHandle(handle, true, this.#report);
    if (!timed) return;
    const took = (performance.now() - started) / 1000;
    if (took >= this.#slowCallbackDuration) {
      logWarning(`Executing ${handleRepr(handle)} took ${took.toFixed(3)} seconds`);
    }
  }

  #callbackError(exc: unknown, handle: Handle | undefined, callback: AnyCallback | undefined, args: readonly unknown[] | null | undefined): void {
    this.#guard(() => {
      if (isFatal(exc)) {
        this.backend.raiseFatal(exc);
        return;
      }
      const desc = callback === undefined ? undefined : formatCallback(callback, args ?? [], repr);
      if (handle !== undefined && desc !== undefined) descriptions.set(handle, desc);
      const context: ExceptionContext = {
        message: desc === undefined ? 'Exception in callback' : `Exception in callback ${desc}`,
        exception: exc,
      };
      if (handle !== undefined) context.handle = handle;
      this.callExceptionHandler(context);
    });
  }

  #slowCallback(seconds: number, handle: Handle | undefined, callback: AnyCallback | undefined, args: readonly unknown[] | null | undefined): void {
    this.#guard(() => {
      const desc = formatCallback(callback, args ?? [], repr);
      if (handle !== undefined) descriptions.set(handle, desc);
      const what = handle === undefined ? desc : handleRepr(handle);
      logWarning(`Executing ${what} took ${seconds.toFixed(3)} seconds`);
    });
  }

  /**
   * Runs a report without ever throwing back into the back end; a fatal error (SystemExit,
   * KeyboardInterrupt) raised by a handler ends the run.
   */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (isFatal(e)) {
        try {
          this.backend.raiseFatal(e);
        } catch {
          /* the loop is gone */
        }
        return;
      }
      logError('evloop: an error escaped the exception handler', e);
    }
  }

  // -------------------------------------------------------- running

  /** Stops the loop after the current iteration (not an error when it is not running). */
  stop(): void {
    this.backend.stop();
  }

  /** Closes the loop; pending callbacks are dropped, signal handlers removed. RuntimeError while running. */
  close(): void {
    const backend = this.backend;
    backend.close();
    this.#signals.clear(backend);
    this.#executors.close();
  }

  isRunning(): boolean {
    return this.backend.isRunning();
  }

  isClosed(): boolean {
    return this.backend.isClosed();
  }

  // -------------------------------------------------------- signals

  /**
   * Runs `callback(...args)` as a loop callback each time signal `sig` (a number, or a name such
   * as `'SIGTERM'`) arrives, until `removeSignalHandler(sig)`; replaces an earlier handler of
   * `sig`. ValueError for an unknown signal, RuntimeError on a closed loop and for SIGKILL and
   * SIGSTOP (`sig 9 cannot be caught`), TypeError for async functions.
   */
  addSignalHandler<A extends unknown[]>(sig: number | string, callback: (...args: A) => unknown, ...args: A): void {
    this.#signals.add(this.backend, sig, callback, args);
  }

  /** Removes the handler of `sig` and restores the signal's default behaviour; whether there was one. */
  removeSignalHandler(sig: number | string): boolean {
    return this.#signals.remove(this.backend, sig);
  }

  // -------------------------------------------------------- executors

  /**
   * Runs `fn(...args)` on `executor` (null: the loop's default one) without blocking the loop;
   * the Future completes, in the loop's order, with its result or its error, and cancelling it
   * drops the job if it has not started. What `fn` may be depends on the runtime (docs/processes.md,
   * "Executors"): in Node, a self-contained function or a `workerFunction(module, name)`.
   */
  runInExecutor<A extends unknown[], R>(
    executor: Executor | null,
    fn: ExecutorCallable<A, R | PromiseLike<R>>,
    ...args: A
  ): Future<R> {
    return this.#executors.run<R>(this, this.backend, executor, fn, args);
  }

  /** Makes `executor` the one `runInExecutor(null, ...)` uses. */
  setDefaultExecutor(executor: Executor): void {
    this.#executors.setDefault(executor);
  }

  /**
   * Shuts the default executor down (later `runInExecutor(null, ...)` throws RuntimeError); the
   * Future completes once its workers have exited, or after `timeout` seconds with a warning.
   */
  shutdownDefaultExecutor(timeout?: number | null): Future<void> {
    return this.#executors.shutdown(this, timeout);
  }

  // -------------------------------------------------------- futures and tasks

  /** A new Future of this loop (allowed on a closed loop, as in asyncio). */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>(this);
  }

  /**
   * A Task running `coro`: an async function (called with no arguments in the next
   * iteration) or a PromiseLike, made by the task factory if one is set. Options: `name`, and
   * `context` (a function that runs a function in a context: Node's
   * `AsyncLocalStorage.snapshot()`); by default the task runs in the current context.
   * See Task for cancellation.
   */
  createTask<T>(coro: Coroutine<T>, options?: TaskOptions): Task<T> {
    if (this.backend.isClosed()) throw new RuntimeError('Event loop is closed');
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw new TypeError(`createTask(): options must be an object, got ${typeName(options)}`);
    }
    const opts: TaskOptions = {};
    if (options?.name !== undefined) opts.name = options.name;
    if (options?.context !== undefined) opts.context = options.context;
    const factory = this.#taskFactory;
    if (factory === null) return new Task<T>(coro, { ...opts, loop: this });
    const task = factory(this, coro, opts);
    if (!(task instanceof Future)) {
      throw new TypeError(`the task factory must return a Task, got ${typeName(task)}`);
    }
    return task;
  }

  /** Makes `createTask` call `factory(loop, coro, options)` (asyncio's task factory); null restores the default. */
  setTaskFactory(factory: TaskFactory | null): void {
    if (factory !== null && typeof factory !== 'function') {
      throw new TypeError(`task factory must be a callable or None, got ${repr(factory)}`);
    }
    this.#taskFactory = factory;
  }

  /** The task factory, or null for the default. */
  getTaskFactory(): TaskFactory | null {
    return this.#taskFactory;
  }

  // -------------------------------------------------------- exception handler

  /** Installs `handler(loop, context)`, or restores the default with null. */
  setExceptionHandler(handler: ExceptionHandler<this> | null): void {
    if (handler !== null && typeof handler !== 'function') {
      throw new TypeError(`A callable object or None is expected, got ${repr(handler)}`);
    }
    this.#handler = handler;
  }

  /** The custom handler, null while the default is active. */
  getExceptionHandler(): ExceptionHandler<this> | null {
    return this.#handler;
  }

  /**
   * Logs `context` (to the logger, log.ts) as asyncio's default handler does: the message,
   * then one `key: value` line per other key (sorted), then the exception.
   */
  defaultExceptionHandler(context: ExceptionContext): void {
    checkContext('defaultExceptionHandler', context);
    const message = context.message ? String(context.message) : 'Unhandled exception in event loop';
    const lines = [`${this.reportPrefix()}${message}`];
    for (const key of Object.keys(context).sort()) {
      if (key === 'message' || key === 'exception') continue;
      lines.push(`${key}: ${platform.inspect(context[key])}`);
    }
    if (context.exception !== undefined && context.exception !== null) {
      lines.push(platform.formatException(context.exception));
    }
    logError(lines.join('\n'));
  }

  /**
   * Passes `context` to the custom handler as `handler(loop, context)`, or to the default one.
   * A handler that throws is reported to the default handler ('Unhandled error in exception
   * handler'); SystemExit and KeyboardInterrupt propagate.
   */
  callExceptionHandler(context: ExceptionContext): void {
    checkContext('callExceptionHandler', context);
    const handler = this.#handler;
    if (handler === null) {
      try {
        this.defaultExceptionHandler(context);
      } catch (e) {
        if (isFatal(e)) throw e;
        logError('Exception in default exception handler', e);
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
        logError('Exception in default exception handler while handling an unexpected error in custom exception handler', e);
      }
    }
  }

  // -------------------------------------------------------- debug mode

  /** Debug mode: slow-callback warnings, checks for async functions passed as callbacks. */
  setDebug(enabled: boolean): void {
    if (typeof enabled !== 'boolean') {
      throw new TypeError(`setDebug(): enabled must be a boolean, got ${typeName(enabled)}`);
    }
    this.#debug = enabled;
    this.backend.setDebug(enabled);
  }

  getDebug(): boolean {
    return this.#debug;
  }

  /** In debug mode, callbacks taking at least this many seconds are reported (default 0.1). */
  get slowCallbackDuration(): number {
    return this.#slowCallbackDuration;
  }

  set slowCallbackDuration(seconds: number) {
    if (typeof seconds !== 'number') {
      throw new TypeError(`slowCallbackDuration must be a number, got ${typeName(seconds)}`);
    }
    if (Number.isNaN(seconds) || seconds < 0) {
      throw new RangeError(`slowCallbackDuration must be a non-negative number, got ${seconds}`);
    }
    this.#slowCallbackDuration = seconds;
    this.backend.setSlowCallbackDuration(seconds);
  }

  /** Hands the loop's settings to a new back end (a simulated host's next life). */
  protected applySettings(backend: LoopBackend): void {
    // A new life is a new process: the old life's signal handlers and executor went with it.
    this.#signals.forget();
    this.#executors = new LoopExecutors();
    backend.setDebug(this.#debug);
    backend.setSlowCallbackDuration(this.#slowCallbackDuration);
  }

  /**
   * A simulation's fault point (`evloop/sim`'s hosts override it): false on a real loop, after
   * checking the arguments as the simulation does.
   */
  buggify(name: string, p = 0.25): boolean {
    checkBuggify(name, p);
    return false;
  }

  // -------------------------------------------------------- repr

  override toString(): string {
    return `<${this.constructor.name}${this.reprInfo()} running=${this.isRunning()} closed=${this.isClosed()} debug=${this.#debug}>`;
  }

  [inspectCustom](): string {
    return this.toString();
  }

  // -------------------------------------------------------- what subclasses may change

  /** Written after the class name in the repr, with a leading space (` selector=epoll`). */
  protected reprInfo(): string {
    return '';
  }

  /** Starts the default exception handler's first line (a simulated host: `[name] `). */
  protected reportPrefix(): string {
    return '';
  }

  /** The name of a task's first-step callback, as reports show it. */
  protected taskStepName(taskName: string): string {
    return `Task.step(${taskName})`;
  }

  /** A future of this loop completed. */
  protected onFutureDone(): void {}
}

/** buggify's argument checks, shared by real loops and simulated hosts. */
export function checkBuggify(name: unknown, p: unknown): void {
  if (typeof name !== 'string') throw new TypeError(`buggify(): name must be a string, got ${typeName(name)}`);
  if (name === '') throw new ValueError('buggify(): name must not be empty');
  if (typeof p !== 'number') throw new TypeError(`buggify(): p must be a number, got ${typeName(p)}`);
  if (!(p >= 0 && p <= 1)) throw new ValueError(`buggify(): p must be a probability in [0, 1], got ${p}`);
}

/** asyncio.sleep on `loop`: a Future of it that completes with `value` after `delay` seconds. */
export function sleepOn<T>(loop: BaseLoop, call: string, delay: unknown, value: T): Future<T> {
  if (typeof delay !== 'number') throw new TypeError(`${call}(): delay must be a number, got ${typeName(delay)}`);
  if (Number.isNaN(delay)) throw new RangeError(`${call}(): delay must not be NaN`);
  const fut = loop.createFuture<T>();
  const handle = loop.callLater(delay, function sleep() {
    if (!fut.done()) fut.setResult(value);
  });
  fut.addDoneCallback(() => {
    if (fut.cancelled()) handle.cancel();
  });
  return fut;
}
