// asyncio's Handle and TimerHandle. The package keeps its callbacks here, in
// JS, and the native loop keeps only their order and due times
// (crates/evloop-node/src/js_ready.rs says why: a napi reference per call
// cost more than the callback).

import { inspect } from 'node:util';

/** Passed by the loop to make handles; user code cannot. */
export const kHandle = Symbol('evloop.handle');

/** What a handle runs, once known (debug mode, or after a report). */
export const descriptions = new WeakMap();

/** Set in the classes' static blocks: the loop's access to their private state. */
let run;
let cancelQuietly;
let timerId;

/**
 * A callback scheduled by `callSoon`, or a reader/writer registered by
 * `addReader`/`addWriter`. `cancel()` keeps it from running (again).
 */
export class Handle {
  #callback;
  /** The arguments, or null for none. */
  #args;
  #cancelled = false;
  /** What cancelling also does in the loop (a timer's heap entry, a reader), or null. */
  #onCancel;

  /** `args`: the extra arguments (an empty array is kept as null: no spread at the call). */
  constructor(token, callback, args, onCancel) {
    if (token !== kHandle) throw new TypeError('Handle cannot be constructed directly: use loop.callSoon()');
    this.#callback = callback;
    this.#args = args.length === 0 ? null : args;
    this.#onCancel = onCancel;
  }

  /** Keeps the callback from running; its function and arguments are released. */
  cancel() {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#callback = null;
    this.#args = null;
    const onCancel = this.#onCancel;
    this.#onCancel = null;
    if (onCancel !== null) onCancel(this);
  }

  cancelled() {
    return this.#cancelled;
  }

  toString() {
    return handleRepr(this);
  }

  [inspect.custom]() {
    return handleRepr(this);
  }

  static {
    run = (handle, once, report) => {
      if (handle.#cancelled) return;
      const callback = handle.#callback;
      const args = handle.#args;
      if (once) {
        // It runs this once: let go of what it holds (and of its onCancel: a
        // timer that ran is no longer in the heap).
        handle.#callback = null;
        handle.#args = null;
        handle.#onCancel = null;
      }
      try {
        if (args === null) callback();
        else callback(...args);
      } catch (exc) {
        report(exc, handle, callback, args);
      }
    };
    cancelQuietly = (handle) => {
      handle.#onCancel = null;
      handle.cancel();
    };
  }
}

/** A callback scheduled by `callLater` or `callAt`. */
export class TimerHandle extends Handle {
  #when;
  /** The loop's number for it (reused once it ran or was cancelled). */
  #id;

  constructor(token, callback, args, onCancel, when, id) {
    super(token, callback, args, onCancel);
    this.#when = when;
    this.#id = id;
  }

  /** The loop time it is scheduled for, in seconds. */
  when() {
    return this.#when;
  }

  static {
    timerId = (handle) => handle.#id;
  }
}

/**
 * Runs `handle`'s callback unless it was cancelled; a throw goes to
 * `report(exc, handle, callback, args)`. `once`: it runs only this time
 * (callSoon, timers), so it lets go of its callback.
 */
export function runHandle(handle, once, report) {
  run(handle, once, report);
}

/** Marks `handle` cancelled without touching the loop (it already let go of it). */
export function cancelHandleQuietly(handle) {
  cancelQuietly(handle);
}

/** The loop's number for a timer handle. */
export function timerIdOf(handle) {
  return timerId(handle);
}

/** asyncio's Handle repr: `<Handle cb(1, 'a')>`, `<TimerHandle cancelled when=12.5 cb()>`. */
export function handleRepr(handle) {
  const timer = handle instanceof TimerHandle;
  const info = [timer ? 'TimerHandle' : 'Handle'];
  if (handle.cancelled()) info.push('cancelled');
  if (timer) info.push(`when=${handle.when()}`);
  const desc = descriptions.get(handle);
  if (desc !== undefined) info.push(desc);
  return `<${info.join(' ')}>`;
}
