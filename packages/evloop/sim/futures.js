// Future and Task of "evloop/sim": asyncio's result holders, bound to a
// simulated host, and awaitable (thenable). The same semantics as the
// Node package's (packages/evloop/src/futures.js), without Node modules.
//
// Done callbacks run through host.callSoon, never synchronously, as in
// asyncio. `await future` resumes as a JavaScript microtask; in a
// simulation the driver runs those continuations after the step that
// completed the future, before the next event (docs/simulation.md).

import { CancelledError, InvalidStateError, RuntimeError } from '../src/errors.js';
import { internal, isFatal, isThenable, repr, touch, typeName } from './util.js';

const PENDING = 'PENDING';
const CANCELLED = 'CANCELLED';
const FINISHED = 'FINISHED';

/** Completes a future from inside this module (a Task's own outcome). */
let complete;

/** asyncio's Future: a result (or error) that will be set later. Awaitable. */
export class Future {
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

  /** A future of `loop` (a host of a simulation; by default the running one). */
  constructor(loop = undefined) {
    if (loop === undefined) loop = internal.runningHost();
    if (!internal.isHost(loop)) {
      throw new TypeError(`Future(): loop must be a host of a Simulation, got ${typeName(loop)}`);
    }
    this.#loop = loop;
  }

  /** The host the future is bound to. */
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

  setResult(value) {
    if (this.#state !== PENDING) throw new InvalidStateError('invalid state');
    this.#complete(FINISHED, { value });
  }

  setException(exception) {
    if (this.#state !== PENDING) throw new InvalidStateError('invalid state');
    this.#complete(FINISHED, { exception: checkException('setException', exception) });
  }

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
    touch();
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

function checkException(call, exception) {
  if (typeof exception === 'function' && exception.prototype instanceof Error) {
    return new exception(); // asyncio instantiates an exception class
  }
  if (exception === null || typeof exception !== 'object') {
    throw new TypeError(`${call}(): exception must be an Error, got ${typeName(exception)}`);
  }
  return exception;
}

/** Whether `value` is a Future (or Task) of "evloop/sim". */
export function isFuture(value) {
  return value instanceof Future;
}

let taskCounter = 0;

/**
 * asyncio's Task on a simulated host: runs an async function (called with
 * no arguments in the host's next iteration) or waits for a PromiseLike.
 * Cancellation is the Node package's: `cancel(msg)` makes the task
 * cancelled at once and aborts `task.signal`.
 */
export class Task extends Future {
  #name;
  #controller = new AbortController();

  constructor(coro, { loop = undefined, name = undefined } = {}) {
    super(loop ?? internal.runningHost());
    if (typeof coro !== 'function' && !isThenable(coro)) {
      throw new TypeError(`a coroutine was expected, got ${repr(coro)}`);
    }
    if (name !== undefined && name !== null && typeof name !== 'string') {
      throw new TypeError(`Task(): name must be a string, got ${typeName(name)}`);
    }
    this.#name = name ?? `Task-${++taskCounter}`;
    const lp = this.getLoop();
    const step = () => this.#step(coro);
    Object.defineProperty(step, 'name', { value: 'Task.step' });
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
    if (this.done()) return;
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
    if (this.done()) return;
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
      // Done callbacks could not be scheduled (the host crashed): nobody
      // is left to run them; say so rather than fail silently.
      console.error(`evloop: ${this} completed after its loop closed:`, e);
    }
    this.#finish();
  }

  #finish() {
    internal.tasksOf(this.getLoop())?.delete(this);
  }
}

/** The pending tasks of `loop` (the running host by default), as asyncio.all_tasks. */
export function allTasks(loop = undefined) {
  const lp = loop ?? internal.runningHost();
  return new Set(internal.tasksOf(lp) ?? []);
}

/**
 * A Future of the running host that completes with `value` after `delay`
 * virtual seconds (asyncio.sleep). Also `host.sleep(delay, value)`.
 */
export function sleep(delay, value = undefined) {
  return sleepOn(internal.runningHost(), delay, value);
}

/** `sleep` on a given host. */
export function sleepOn(loop, delay, value = undefined) {
  const fut = loop.createFuture();
  const handle = loop.callLater(delay, function sleep() {
    if (!fut.done()) fut.setResult(value);
  });
  fut.addDoneCallback(() => {
    if (fut.cancelled()) handle.cancel();
  });
  return fut;
}
