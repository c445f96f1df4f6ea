// Future and Task: asyncio's result holders, bound to a loop, and awaitable
// (thenable) in JavaScript. One implementation for both entries: "evloop"
// (src/futures.js, a loop) and "evloop/sim" (sim/futures.js, a simulated
// host) each call defineFutures with their loop lookups. The simulation runs
// in browsers too, so this module imports no Node modules.
//
// Done callbacks run through loop.callSoon, never synchronously, as in
// asyncio. `await future` resumes as a JavaScript microtask right after the
// callback that completed the future (the JS model; asyncio resumes the
// awaiting task one iteration later). In a simulation the driver runs those
// continuations after the step that completed the future, before the next
// event (docs/simulation.md).

import { CancelledError, InvalidStateError, RuntimeError } from './errors.js';
import { isFatal, isThenable, typeName } from './values.js';

const PENDING = 'PENDING';
const CANCELLED = 'CANCELLED';
const FINISHED = 'FINISHED';

function checkException(call, exception) {
  if (typeof exception === 'function' && exception.prototype instanceof Error) {
    return new exception(); // asyncio instantiates an exception class
  }
  if (exception === null || typeof exception !== 'object') {
    throw new TypeError(`${call}(): exception must be an Error, got ${typeName(exception)}`);
  }
  return exception;
}

/**
 * The classes and functions of one entry, bound to its loops. Each call
 * makes new classes, so a Future of one entry is no Future of the other.
 *
 * @param {object} env
 * @param {() => object | null} env.defaultLoop The loop of `new Future()` without one.
 * @param {() => object | null} env.runningLoop The loop of a Task, `allTasks` and `sleep` without one.
 * @param {(value: unknown) => boolean} env.isLoop Whether a value is a loop a Future can be bound to.
 * @param {string} env.loopKind What `isLoop` accepts, for the TypeError ("an event loop").
 * @param {{ tasksOf: (loop: object) => Set<object> | undefined,
 *   raiseFatal: (loop: object, exc: unknown) => void }} env.internal The loop's private accessors
 *   (filled in later, by the loop class's static block, so read at call time).
 * @param {(value: unknown) => string} env.repr A short repr of a value for messages.
 * @param {() => void} env.onComplete Called when a future completes (the simulation counts it as activity).
 * @param {(taskName: string) => string} env.stepName The name of a Task's first-step callback, as reports show it.
 */
export function defineFutures({ defaultLoop, runningLoop, isLoop, loopKind, internal, repr, onComplete, stepName }) {
  /** Completes a future from inside this function (a Task's own outcome). */
  let complete;

  /** asyncio's Future: a result (or error) that will be set later. Awaitable. */
  class Future {
    #loop;
    #state = PENDING;
    #result = undefined;
    #exception = null;
    #cancelMessage = undefined;
    #callbacks = [];
    /** Created on the first `then`, so an unobserved failure is never an unhandled rejection. */
    #promise = null;
    #resolve = null;
    #reject = null;

    static {
      complete = (fut, state, value) => fut.#complete(state, value);
    }

    /** A future of `loop` (by default the entry's default loop). */
    constructor(loop = undefined) {
      if (loop === undefined) loop = defaultLoop();
      if (!isLoop(loop)) {
        throw new TypeError(`Future(): loop must be ${loopKind}, got ${typeName(loop)}`);
      }
      this.#loop = loop;
    }

    /** The loop (or simulated host) the future is bound to. */
    getLoop() {
      return this.#loop;
    }

    done() {
      return this.#state !== PENDING;
    }

    cancelled() {
      return this.#state === CANCELLED;
    }

    /** The result; throws the error it was set with, CancelledError, or InvalidStateError('Result is not set.'). */
    result() {
      if (this.#state === CANCELLED) throw this.#cancelledError();
      if (this.#state === PENDING) throw new InvalidStateError('Result is not set.');
      if (this.#exception !== null) throw this.#exception;
      return this.#result;
    }

    /** The error it was set with (null if none); CancelledError or InvalidStateError('Exception is not set.'). */
    exception() {
      if (this.#state === CANCELLED) throw this.#cancelledError();
      if (this.#state === PENDING) throw new InvalidStateError('Exception is not set.');
      return this.#exception;
    }

    /** Marks the future done with `value`; InvalidStateError('invalid state') if it is done. */
    setResult(value) {
      if (this.#state !== PENDING) throw new InvalidStateError('invalid state');
      this.#complete(FINISHED, { value });
    }

    /** Marks the future failed with `exception` (an Error, or an Error class to instantiate). */
    setException(exception) {
      if (this.#state !== PENDING) throw new InvalidStateError('invalid state');
      this.#complete(FINISHED, { exception: checkException('setException', exception) });
    }

    /**
     * Cancels the future: done, `cancelled()` true, awaiters reject with
     * CancelledError(msg). False if it was already done.
     */
    cancel(msg = undefined) {
      if (this.#state !== PENDING) return false;
      this.#complete(CANCELLED, { message: msg });
      return true;
    }

    /** Calls `callback(future)` through `loop.callSoon` once the future is done. */
    addDoneCallback(callback) {
      if (typeof callback !== 'function') {
        throw new TypeError(`addDoneCallback(): callback must be a function, got ${typeName(callback)}`);
      }
      if (this.#state !== PENDING) this.#loop.callSoon(callback, this);
      else this.#callbacks.push(callback);
    }

    /** Removes every registration of `callback`; returns how many. */
    removeDoneCallback(callback) {
      const before = this.#callbacks.length;
      this.#callbacks = this.#callbacks.filter((cb) => cb !== callback);
      return before - this.#callbacks.length;
    }

    then(onFulfilled, onRejected) {
      return this.#awaitable().then(onFulfilled, onRejected);
    }

    catch(onRejected) {
      return this.#awaitable().then(undefined, onRejected);
    }

    finally(onFinally) {
      return this.#awaitable().finally(onFinally);
    }

    get [Symbol.toStringTag]() {
      return this.constructor.name;
    }

    toString() {
      const state = this.#state.toLowerCase();
      let info = state;
      if (this.#state === FINISHED) {
        info += this.#exception !== null ? ` exception=${repr(this.#exception)}` : ` result=${repr(this.#result)}`;
      }
      return `<${this.constructor.name} ${info}>`;
    }

    #cancelledError() {
      return new CancelledError(this.#cancelMessage === undefined ? '' : String(this.#cancelMessage));
    }

    #complete(state, { value, exception = null, message } = {}) {
      this.#state = state;
      this.#result = value;
      this.#exception = exception;
      this.#cancelMessage = message;
      onComplete();
      if (this.#promise !== null) this.#settlePromise();
      const callbacks = this.#callbacks;
      this.#callbacks = [];
      for (const cb of callbacks) this.#loop.callSoon(cb, this);
    }

    #awaitable() {
      if (this.#promise === null) {
        this.#promise = new Promise((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        });
        if (this.#state !== PENDING) this.#settlePromise();
      }
      return this.#promise;
    }

    #settlePromise() {
      if (this.#state === CANCELLED) this.#reject(this.#cancelledError());
      else if (this.#exception !== null) this.#reject(this.#exception);
      else this.#resolve(this.#result);
    }
  }

  /** Whether `value` is a Future (or Task) of this entry. */
  function isFuture(value) {
    return value instanceof Future;
  }

  let taskCounter = 0;

  /**
   * asyncio's Task: runs an async function (or waits for a PromiseLike) and
   * holds its outcome. The function is called, with no arguments, in the next
   * iteration of the loop, as asyncio runs a task's first step.
   *
   * Cancellation differs from asyncio, because a JavaScript promise cannot
   * have an error thrown into it: `cancel(msg)` makes the task cancelled at
   * once (awaiters reject with CancelledError(msg), done callbacks run) and
   * aborts `task.signal`, so code that wants to stop early can listen to it;
   * what the function later returns or throws is ignored. A function that
   * throws CancelledError makes its task cancelled, as in asyncio.
   */
  class Task extends Future {
    #name;
    #controller = new AbortController();

    constructor(coro, { loop = undefined, name = undefined } = {}) {
      super(loop ?? runningLoop());
      if (typeof coro !== 'function' && !isThenable(coro)) {
        throw new TypeError(`a coroutine was expected, got ${repr(coro)}`);
      }
      if (name !== undefined && name !== null && typeof name !== 'string') {
        throw new TypeError(`Task(): name must be a string, got ${typeName(name)}`);
      }
      this.#name = name ?? `Task-${++taskCounter}`;
      const lp = this.getLoop();
      // asyncio schedules the first step with call_soon (which also checks closed).
      const step = () => this.#step(coro);
      Object.defineProperty(step, 'name', { value: stepName(this.#name) });
      lp.callSoon(step);
      internal.tasksOf(lp)?.add(this);
    }

    /** Aborted (with the CancelledError) when the task is cancelled. */
    get signal() {
      return this.#controller.signal;
    }

    getName() {
      return this.#name;
    }

    setName(name) {
      this.#name = String(name);
    }

    /** Tasks complete themselves: RuntimeError, as asyncio. */
    setResult(_value) {
      throw new RuntimeError('Task does not support set_result operation');
    }

    setException(_exception) {
      throw new RuntimeError('Task does not support set_exception operation');
    }

    cancel(msg = undefined) {
      if (this.done()) return false;
      complete(this, CANCELLED, { message: msg });
      this.#finish();
      this.#controller.abort(new CancelledError(msg === undefined ? '' : String(msg)));
      return true;
    }

    toString() {
      return super.toString().replace(/^<Task /, `<Task name=${repr(this.#name)} `);
    }

    #step(coro) {
      if (this.done()) return; // cancelled before its first step
      let promise;
      try {
        promise = typeof coro === 'function' ? coro() : coro;
      } catch (e) {
        this.#fail(e);
        return;
      }
      Promise.resolve(promise).then(
        (value) => {
          if (this.done()) return;
          this.#settle(FINISHED, { value });
        },
        (e) => this.#fail(e),
      );
    }

    #fail(exception) {
      if (this.done()) return; // cancelled meanwhile: its outcome no longer matters
      if (exception instanceof CancelledError) {
        this.#settle(CANCELLED, { message: exception.message || undefined });
        return;
      }
      const exc = exception !== null && typeof exception === 'object' ? exception : new Error(String(exception));
      this.#settle(FINISHED, { exception: exc });
      if (isFatal(exc)) internal.raiseFatal(this.getLoop(), exc);
    }

    #settle(state, outcome) {
      try {
        complete(this, state, outcome);
      } catch (e) {
        // Done callbacks could not be scheduled (the loop is closed, or the
        // simulated host crashed): nobody is left to run them; say so rather
        // than fail silently.
        console.error(`evloop: ${this} completed after its loop closed:`, e);
      }
      this.#finish();
    }

    #finish() {
      internal.tasksOf(this.getLoop())?.delete(this);
    }
  }

  /** The pending tasks of `loop` (the running loop by default), as asyncio.all_tasks. */
  function allTasks(loop = undefined) {
    const lp = loop ?? runningLoop();
    return new Set(internal.tasksOf(lp) ?? []);
  }

  /** asyncio.sleep on `loop`: a Future of it that completes with `value` after `delay` seconds. */
  function sleepOn(loop, delay, value = undefined) {
    const fut = loop.createFuture();
    const handle = loop.callLater(delay, function sleep() {
      if (!fut.done()) fut.setResult(value);
    });
    fut.addDoneCallback(() => {
      if (fut.cancelled()) handle.cancel();
    });
    return fut;
  }

  return { Future, Task, isFuture, allTasks, sleepOn };
}
