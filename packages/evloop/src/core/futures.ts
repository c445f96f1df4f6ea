// Future and Task: asyncio's result holders, bound to a loop (any BaseLoop: Node's loops and
// simulated hosts), and awaitable (thenable) in JavaScript. One implementation for every entry.
//
// Done callbacks run through loop.callSoon, never synchronously, as in asyncio. `await future`
// resumes as a JavaScript microtask right after the callback that completed the future (the JS
// model; asyncio resumes the awaiting task one iteration later). In a simulation the driver runs
// those continuations after the step that completed the future, before the next event
// (docs/simulation.md).

import type { AbstractEventLoop, BaseLoop } from './base-loop.js';
import { CancelledError, InvalidStateError, RuntimeError } from './errors.js';
import { inspectCustom } from './format.js';
import { loopInternals } from './internal.js';
import { logError } from './log.js';
import { repr } from './platform.js';
import { getDefaultLoop, getRunningLoop } from './running.js';
import { isFatal, isThenable, typeName } from './values.js';

type State = 'PENDING' | 'CANCELLED' | 'FINISHED';

interface Outcome {
  value?: unknown;
  exception?: object | null;
  message?: string | undefined;
}

/** Options of `createTask` and `new Task`. */
export interface TaskOptions {
  name?: string;
}

function checkException(call: string, exception: unknown): object {
  if (typeof exception === 'function' && exception.prototype instanceof Error) {
    return new (exception as new () => Error)(); // asyncio instantiates an exception class
  }
  if (exception === null || typeof exception !== 'object') {
    throw new TypeError(`${call}(): exception must be an Error, got ${typeName(exception)}`);
  }
  return exception;
}

/** Completes a future from outside its class (a Task's own outcome). */
let complete: (fut: Future<unknown>, state: State, outcome: Outcome) => void;

/** asyncio's Future: a result (or error) that will be set later. Awaitable. */
export class Future<T = unknown> implements PromiseLike<T> {
  #loop: BaseLoop;
  #state: State = 'PENDING';
  #result: unknown = undefined;
  #exception: object | null = null;
  #cancelMessage: string | undefined = undefined;
  /** Done callbacks, each called with this future (typed `this` where they are added). */
  #callbacks: ((future: never) => unknown)[] = [];
  /** Made on the first `then`, so an unobserved failure is never an unhandled rejection. */
  #promise: Promise<T> | null = null;
  #resolve: ((value: T) => void) | null = null;
  #reject: ((reason: unknown) => void) | null = null;

  static {
    complete = (fut, state, outcome) => fut.#complete(state, outcome);
  }

  /** A future of `loop` (by default the running loop, else the current loop: `getEventLoop()`). */
  constructor(loop?: AbstractEventLoop) {
    const lp: unknown = loop === undefined ? getDefaultLoop() : loop;
    if (!loopInternals.isLoop(lp)) {
      throw new TypeError(`Future(): loop must be an event loop, got ${typeName(lp)}`);
    }
    this.#loop = lp;
  }

  /** The loop (or simulated host) the future is bound to. */
  getLoop(): AbstractEventLoop {
    return this.#loop;
  }

  done(): boolean {
    return this.#state !== 'PENDING';
  }

  cancelled(): boolean {
    return this.#state === 'CANCELLED';
  }

  /** The result; throws the error it was set with, CancelledError, or InvalidStateError('Result is not set.'). */
  result(): T {
    if (this.#state === 'CANCELLED') throw this.#cancelledError();
    if (this.#state === 'PENDING') throw new InvalidStateError('Result is not set.');
    if (this.#exception !== null) throw this.#exception;
    return this.#result as T;
  }

  /** The error it was set with (null if none); CancelledError or InvalidStateError('Exception is not set.'). */
  exception(): unknown {
    if (this.#state === 'CANCELLED') throw this.#cancelledError();
    if (this.#state === 'PENDING') throw new InvalidStateError('Exception is not set.');
    return this.#exception;
  }

  /** Marks the future done with `value`; InvalidStateError('invalid state') if it is done. */
  setResult(value: T): void {
    if (this.#state !== 'PENDING') throw new InvalidStateError('invalid state');
    this.#complete('FINISHED', { value });
  }

  /** Marks the future failed with `exception` (an Error, or an Error class to instantiate). */
  setException(exception: unknown): void {
    if (this.#state !== 'PENDING') throw new InvalidStateError('invalid state');
    this.#complete('FINISHED', { exception: checkException('setException', exception) });
  }

  /**
   * Cancels the future: done, `cancelled()` true, awaiters reject with CancelledError(msg).
   * False if it was already done.
   */
  cancel(msg?: string): boolean {
    if (this.#state !== 'PENDING') return false;
    this.#complete('CANCELLED', { message: msg });
    return true;
  }

  /** Calls `callback(future)` through `loop.callSoon` once the future is done. */
  addDoneCallback(callback: (future: this) => unknown): void {
    if (typeof callback !== 'function') {
      throw new TypeError(`addDoneCallback(): callback must be a function, got ${typeName(callback)}`);
    }
    if (this.#state !== 'PENDING') this.#loop.callSoon(callback as (future: unknown) => unknown, this);
    else this.#callbacks.push(callback);
  }

  /** Removes every registration of `callback`; returns how many. */
  removeDoneCallback(callback: (future: this) => unknown): number {
    const before = this.#callbacks.length;
    this.#callbacks = this.#callbacks.filter((cb) => cb !== (callback as unknown));
    return before - this.#callbacks.length;
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#awaitable().then(onFulfilled, onRejected);
  }

  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#awaitable().then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#awaitable().finally(onFinally);
  }

  get [Symbol.toStringTag](): string {
    return this.constructor.name;
  }

  toString(): string {
    let info: string = this.#state.toLowerCase();
    if (this.#state === 'FINISHED') {
      info += this.#exception !== null ? ` exception=${repr(this.#exception)}` : ` result=${repr(this.#result)}`;
    }
    return `<${this.constructor.name} ${info}>`;
  }

  /** `util.inspect` (console.log, the REPL) shows a future as its repr, as asyncio does. */
  [inspectCustom](): string {
    return this.toString();
  }

  #cancelledError(): CancelledError {
    return new CancelledError(this.#cancelMessage === undefined ? '' : String(this.#cancelMessage));
  }

  #complete(state: State, { value, exception = null, message }: Outcome): void {
    this.#state = state;
    this.#result = value;
    this.#exception = exception;
    this.#cancelMessage = message;
    loopInternals.futureDone(this.#loop);
    if (this.#promise !== null) this.#settlePromise();
    const callbacks = this.#callbacks;
    this.#callbacks = [];
    for (const cb of callbacks) this.#loop.callSoon(cb as (future: unknown) => unknown, this);
  }

  #awaitable(): Promise<T> {
    if (this.#promise === null) {
      this.#promise = new Promise<T>((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
      if (this.#state !== 'PENDING') this.#settlePromise();
    }
    return this.#promise;
  }

  #settlePromise(): void {
    if (this.#state === 'CANCELLED') this.#reject?.(this.#cancelledError());
    else if (this.#exception !== null) this.#reject?.(this.#exception);
    else this.#resolve?.(this.#result as T);
  }
}

/** Whether `value` is a Future (or Task) of this package. */
export function isFuture(value: unknown): value is Future<unknown> {
  return value instanceof Future;
}

let taskCounter = 0;

/**
 * asyncio's Task: runs an async function (or waits for a PromiseLike) and holds its outcome.
 * The function is called, with no arguments, in the next iteration of the loop, as asyncio runs
 * a task's first step.
 *
 * Cancellation differs from asyncio, because a JavaScript promise cannot have an error thrown
 * into it: `cancel(msg)` makes the task cancelled at once (awaiters reject with
 * CancelledError(msg), done callbacks run) and aborts `task.signal`, so code that wants to stop
 * early can listen to it; what the function later returns or throws is ignored. A function that
 * throws CancelledError makes its task cancelled, as in asyncio.
 */
export class Task<T = unknown> extends Future<T> {
  #name: string;
  #controller = new AbortController();

  constructor(coro: (() => PromiseLike<T> | T) | PromiseLike<T>, options: TaskOptions & { loop?: AbstractEventLoop } = {}) {
    super(options.loop ?? getRunningLoop());
    if (typeof coro !== 'function' && !isThenable(coro)) {
      throw new TypeError(`a coroutine was expected, got ${repr(coro)}`);
    }
    const name: unknown = options.name;
    if (name !== undefined && name !== null && typeof name !== 'string') {
      throw new TypeError(`Task(): name must be a string, got ${typeName(name)}`);
    }
    this.#name = name ?? `Task-${++taskCounter}`;
    const lp = this.getLoop() as BaseLoop;
    // asyncio schedules the first step with call_soon (which also checks closed).
    const step = (): void => this.#step(coro);
    Object.defineProperty(step, 'name', { value: loopInternals.taskStepName(lp, this.#name) });
    lp.callSoon(step);
    loopInternals.tasksOf(lp).add(this as Task<unknown>);
  }

  /** Aborted (with the CancelledError) when the task is cancelled. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  getName(): string {
    return this.#name;
  }

  setName(name: string): void {
    this.#name = String(name);
  }

  /** Always RuntimeError: a task completes itself. */
  override setResult(_value: T): never {
    throw new RuntimeError('Task does not support set_result operation');
  }

  /** Always RuntimeError: a task completes itself. */
  override setException(_exception: unknown): never {
    throw new RuntimeError('Task does not support set_exception operation');
  }

  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    complete(this as unknown as Future<unknown>, 'CANCELLED', { message: msg });
    this.#finish();
    this.#controller.abort(new CancelledError(msg === undefined ? '' : String(msg)));
    return true;
  }

  override toString(): string {
    return super.toString().replace(/^<Task /, `<Task name=${repr(this.#name)} `);
  }

  #step(coro: (() => PromiseLike<T> | T) | PromiseLike<T>): void {
    if (this.done()) return; // cancelled before its first step
    let promise: PromiseLike<T> | T;
    try {
      promise = typeof coro === 'function' ? coro() : coro;
    } catch (e) {
      this.#fail(e);
      return;
    }
    Promise.resolve(promise).then(
      (value) => {
        if (this.done()) return;
        this.#settle('FINISHED', { value });
      },
      (e: unknown) => this.#fail(e),
    );
  }

  #fail(exception: unknown): void {
    if (this.done()) return; // cancelled meanwhile: its outcome no longer matters
    if (exception instanceof CancelledError) {
      this.#settle('CANCELLED', { message: exception.message || undefined });
      return;
    }
    const exc = exception !== null && typeof exception === 'object' ? exception : new Error(String(exception));
    this.#settle('FINISHED', { exception: exc });
    if (isFatal(exc)) loopInternals.raiseFatal(this.getLoop() as BaseLoop, exc);
  }

  #settle(state: State, outcome: Outcome): void {
    try {
      complete(this as unknown as Future<unknown>, state, outcome);
    } catch (e) {
      // Done callbacks could not be scheduled (the loop is closed, or the simulated host
      // crashed): nobody is left to run them; say so rather than fail silently.
      logError(`evloop: ${this} completed after its loop closed:`, e);
    }
    this.#finish();
  }

  #finish(): void {
    loopInternals.tasksOf(this.getLoop() as BaseLoop).delete(this as Task<unknown>);
  }
}

/** The pending tasks of `loop` (the running loop by default), as asyncio.all_tasks. */
export function allTasks(loop?: AbstractEventLoop): Set<Task<unknown>> {
  const lp: unknown = loop ?? getRunningLoop();
  return new Set(loopInternals.isLoop(lp) ? loopInternals.tasksOf(lp) : []);
}
