// The package's Node entry: asyncio's event loop, from the native addon.
// This layer only maps native errors to the package's classes and adds what
// is pure JS (`runForever`'s promise, `runUntilComplete`).

import { NativeEventLoop, coreVersion } from '../native/index.js';
import { fromNative, RuntimeError } from './errors.js';

export * from './errors.js';
export { coreVersion };

/** asyncio's event loop, driven from Node's own event loop (never blocking it). */
export class EventLoop {
  #native;

  constructor() {
    try {
      this.#native = new NativeEventLoop();
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** The loop's monotonic clock, in seconds. */
  time() {
    return this.#native.time();
  }

  callSoon(callback, ...args) {
    try {
      return this.#native.callSoon(callback, args);
    } catch (e) {
      throw fromNative(e);
    }
  }

  callLater(delay, callback, ...args) {
    try {
      return this.#native.callLater(delay, callback, args);
    } catch (e) {
      throw fromNative(e);
    }
  }

  callAt(when, callback, ...args) {
    try {
      return this.#native.callAt(when, callback, args);
    } catch (e) {
      throw fromNative(e);
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
   * Runs until `future` settles, then resolves with its value or rejects
   * with its reason. As asyncio: if the loop stops first, rejects with
   * RuntimeError('Event loop stopped before Future completed.').
   */
  runUntilComplete(future) {
    if (future === null || (typeof future !== 'object' && typeof future !== 'function') || typeof future.then !== 'function') {
      return Promise.reject(new TypeError('An asyncio.Future, a coroutine or an awaitable is required'));
    }
    let run;
    try {
      run = this.#start(); // asyncio checks closed/running before it attaches the done callback
    } catch (e) {
      return Promise.reject(e);
    }
    const outcome = { done: false, ok: false, value: undefined };
    let attached = true; // asyncio removes its done callback when run_forever returns
    const settle = (ok, value) => {
      Object.assign(outcome, { done: true, ok, value });
      if (attached) this.stop();
    };
    Promise.resolve(future).then(
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

  /** Closes the loop; pending callbacks are dropped. */
  close() {
    try {
      this.#native.close();
    } catch (e) {
      throw fromNative(e);
    }
  }

  isRunning() {
    return this.#native.isRunning();
  }

  isClosed() {
    return this.#native.isClosed();
  }

  /** Starts the run synchronously; throws (mapped) if it cannot. */
  #start() {
    let settle;
    const done = new Promise((resolve, reject) => {
      settle = { resolve, reject };
    });
    try {
      // The native side holds this callback strongly until the run ends; it
      // refers to `this`, so a running loop is never garbage-collected.
      this.#native.runForever((err) => this.#finished(settle, err));
    } catch (e) {
      throw fromNative(e);
    }
    return done;
  }

  #finished(settle, err) {
    if (err === undefined) settle.resolve();
    else settle.reject(fromNative(err));
  }
}

/** A new event loop on the platform's default selector. */
export function newEventLoop() {
  return new EventLoop();
}
