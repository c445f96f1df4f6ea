// Future: asyncio's result holder, bound to a loop (any BaseLoop: Node's loops and simulated
// hosts), and awaitable (thenable) in JavaScript. One implementation for every entry; Task
// (task.ts) extends it. futures.ts re-exports both.
//
// Done callbacks run through loop.callSoon, never synchronously, as in asyncio. `await future`
// resumes as a JavaScript microtask right after the callback that completed the future (the JS
// model; asyncio resumes the awaiting task one iteration later). In a simulation the driver runs
// those continuations after the step that completed the future, before the next event
// (docs/simulation.md).
//
// `then` (what `await future` calls) tells the task running it that it awaits this future, so
// cancelling that task cancels this future (task.ts). A failure nobody retrieves is reported when
// the future is collected (unretrieved.ts).

import type { AbstractEventLoop, BaseLoop } from './base-loop.js';
import { CancelledError, InvalidStateError } from './errors.js';
import { inspectCustom } from './format.js';
import { loopInternals } from './internal.js';
import { repr } from './platform.js';
import { getDefaultLoop } from './running.js';
import { captureContext, currentRunningTask, hasAsyncContext, kAwaiting, kWake, type RunningTask } from './task-context.js';
import { retrieved, watchUnretrieved } from './unretrieved.js';
import { typeName } from './values.js';

export type State = 'PENDING' | 'CANCELLED' | 'FINISHED';

export interface Outcome {
  value?: unknown;
  exception?: object | null;
  message?: string | undefined;
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
export let completeFuture: (fut: Future<unknown>, state: State, outcome: Outcome) => void;

/**
 * Gives a pending future work to stop, synchronously, when it is completed from outside (a
 * binding's call in flight, net/pending.ts: cancelled, or given a result by its user): a read
 * must stop before the next bytes arrive, not one callback later. `stop` runs before the state
 * changes, once.
 */
export let onCancel: (fut: Future<unknown>, stop: () => void) => void;

/** A done callback and the async context it was added in. */
type DoneCallback = [callback: (future: never) => unknown, context: object | null];

/** asyncio's Future: a result (or error) that will be set later. Awaitable. */
export class Future<T = unknown> implements PromiseLike<T> {
  #loop: BaseLoop;
  #state: State = 'PENDING';
  #result: unknown = undefined;
  #exception: object | null = null;
  #cancelMessage: string | undefined = undefined;
  /** Done callbacks, each called with this future (typed `this` where they are added). */
  #callbacks: DoneCallback[] = [];
  /** Where it was made, in debug mode (the never-retrieved report's source_traceback). */
  #createdAt: string | undefined = undefined;
  /** Reported at collection unless retrieved (set when it fails). */
  #watched = false;
  /**
   * Without async context (browsers): the task whose synchronous step made this future, taken as
   * its awaiter when `then` runs in a later job where no task is known (task-context.ts).
   */
  #maker: RunningTask | null = null;
  /** Made on the first `then`, so an unobserved failure is never an unhandled rejection. */
  #promise: Promise<T> | null = null;
  #resolve: ((value: T) => void) | null = null;
  #reject: ((reason: unknown) => void) | null = null;
  /** What completing it stops first (onCancel), or null. */
  #stop: (() => void) | null = null;

  static {
    completeFuture = (fut, state, outcome) => fut.#complete(state, outcome);
    onCancel = (fut, stop) => {
      fut.#stop = stop;
    };
  }

  /** A future of `loop` (by default the running loop, else the current loop: `getEventLoop()`). */
  constructor(loop?: AbstractEventLoop) {
    const lp: unknown = loop === undefined ? getDefaultLoop() : loop;
    if (!loopInternals.isLoop(lp)) {
      throw new TypeError(`Future(): loop must be an event loop, got ${typeName(lp)}`);
    }
    this.#loop = lp;
    if (lp.getDebug()) this.#createdAt = new Error('created at').stack;
    if (!hasAsyncContext()) this.#maker = currentRunningTask();
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
    this.#retrieve();
    if (this.#state === 'CANCELLED') throw this.#cancelledError();
    if (this.#state === 'PENDING') throw new InvalidStateError('Result is not set.');
    if (this.#exception !== null) throw this.#exception;
    return this.#result as T;
  }

  /** The error it was set with (null if none); CancelledError or InvalidStateError('Exception is not set.'). */
  exception(): unknown {
    this.#retrieve();
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

  /**
   * Calls `callback(future)` through `loop.callSoon` once the future is done, in the async
   * context of this call (asyncio copies the current context).
   */
  addDoneCallback(callback: (future: this) => unknown): void {
    if (typeof callback !== 'function') {
      throw new TypeError(`addDoneCallback(): callback must be a function, got ${typeName(callback)}`);
    }
    if (this.#state !== 'PENDING') this.#loop.callSoon(callback as (future: unknown) => unknown, this);
    else this.#callbacks.push([callback, captureContext()]);
  }

  /** Removes every registration of `callback`; returns how many. */
  removeDoneCallback(callback: (future: this) => unknown): number {
    const before = this.#callbacks.length;
    this.#callbacks = this.#callbacks.filter(([cb]) => cb !== (callback as unknown));
    return before - this.#callbacks.length;
  }

  /**
   * What `await future` calls. Retrieves the outcome (no never-retrieved report) and, while the
   * future is pending, tells the running task (if any) that it awaits this future.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const task = this.#awaited();
    if (task === null) return this.#awaitable().then(onFulfilled, onRejected);
    // The task resumes through here: a cancel that came after this future completed (but
    // before the task resumed) is thrown instead of the outcome, as asyncio's wake-up does.
    return this.#awaitable().then(
      (value) => {
        const cancelled = task[kWake](this);
        if (cancelled === null) return onFulfilled ? onFulfilled(value) : (value as unknown as R1);
        if (onRejected) return onRejected(cancelled);
        throw cancelled;
      },
      (reason: unknown) => {
        task[kWake](this);
        if (onRejected) return onRejected(reason);
        throw reason;
      },
    );
  }

  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    this.#awaited();
    return this.#awaitable().then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    this.#awaited();
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

  /** Retrieves the outcome; while pending, the running task awaits this future (returned, or null). */
  #awaited(): RunningTask | null {
    this.#retrieve();
    if (this.#state !== 'PENDING') return null;
    const task = currentRunningTask() ?? this.#maker;
    if (task === null || task === (this as object)) return null;
    task[kAwaiting](this);
    return task;
  }

  #retrieve(): void {
    if (this.#watched) {
      this.#watched = false;
      retrieved(this);
    }
  }

  #complete(state: State, { value, exception = null, message }: Outcome): void {
    const stop = this.#stop;
    this.#stop = null;
    stop?.();
    this.#state = state;
    this.#result = value;
    this.#exception = exception;
    this.#cancelMessage = message;
    loopInternals.futureDone(this.#loop);
    if (exception !== null && this.#promise === null) {
      // Nobody awaits it yet: report it at collection unless someone retrieves it first.
      this.#watched = true;
      watchUnretrieved(this, {
        loop: this.#loop,
        exception,
        message: `${this.constructor.name} exception was never retrieved`,
        repr: this.toString(),
        createdAt: this.#createdAt,
      });
    }
    if (this.#promise !== null) this.#settlePromise();
    const callbacks = this.#callbacks;
    this.#callbacks = [];
    for (const [cb, context] of callbacks) loopInternals.callSoonIn(this.#loop, context, cb as (future: unknown) => unknown, this);
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

