// asyncio's Handle and TimerHandle. A loop keeps the callbacks here, in JS; its back end keeps
// only their order and due times (the napi addon's js_ready.rs says why: a reference per call
// cost more than the callback). Back ends (backend.ts) may park one value of their own on a
// handle (`handleSlot`): the Node back end a timer id, the wasm back end the binding's handle.

import { inspectCustom } from './format.js';
import { runInContext } from './task-context.js';

/**
 * A callback as the loop stores it: any function (its arguments were typed against it at the
 * call, so the loop calls it with `as never[]`).
 */
export type AnyCallback = (...args: never[]) => unknown;

/** Passed by loops to make handles; user code cannot. */
export const kHandle: unique symbol = Symbol('evloop.handle');

/** What a handle runs, once known (debug mode, or after a report): `cb(1, 'a')`. */
export const descriptions = new WeakMap<Handle, string>();

/** `report(exc, handle, callback, args)`: what a handle's callback threw. */
export type HandleReport = (exc: unknown, handle: Handle, callback: AnyCallback, args: readonly unknown[] | null) => void;

let run: (handle: Handle, once: boolean, report: HandleReport) => void;
let cancelQuietly: (handle: Handle) => void;
let getSlot: (handle: Handle) => unknown;
let putSlot: (handle: Handle, value: unknown) => void;
let getLabel: (handle: Handle) => string;
let putWhen: (handle: TimerHandle, when: number) => void;

/**
 * A callback scheduled by `callSoon`, or a reader/writer registered by
 * `addReader`/`addWriter`. `cancel()` keeps it from running (again).
 */
export class Handle {
  #callback: AnyCallback | null;
  /** The arguments, or null for none (no spread at the call). */
  #args: readonly unknown[] | null;
  #cancelled = false;
  /** What cancelling also does in the loop (a timer's entry, a reader), or null. */
  #onCancel: ((handle: Handle) => void) | null;
  /** The back end's value for this handle (a timer id, a binding's handle). */
  #slot: unknown = undefined;
  /** The async context it was scheduled in (task-context.ts), or null: run where it is called. */
  #context: object | null;

  /** Loops make handles (`callSoon`, ...): `token` is theirs. */
  constructor(
    token: typeof kHandle,
    callback: AnyCallback,
    args: readonly unknown[],
    onCancel: ((handle: Handle) => void) | null,
    context: object | null = null,
  ) {
    if (token !== kHandle) throw new TypeError('Handle cannot be constructed directly: use loop.callSoon()');
    this.#callback = callback;
    this.#args = args.length === 0 ? null : args;
    this.#onCancel = onCancel;
    this.#context = context;
  }

  /** Keeps the callback from running; its function and arguments are released. Idempotent. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#callback = null;
    this.#args = null;
    this.#context = null;
    const onCancel = this.#onCancel;
    this.#onCancel = null;
    if (onCancel !== null) onCancel(this);
  }

  cancelled(): boolean {
    return this.#cancelled;
  }

  toString(): string {
    return handleRepr(this);
  }

  [inspectCustom](): string {
    return handleRepr(this);
  }

  static {
    run = (handle, once, report) => {
      if (handle.#cancelled) return;
      const callback = handle.#callback as AnyCallback;
      const args = handle.#args;
      const context = handle.#context;
      if (once) {
        // It runs only this once: let go of what it holds (and of its onCancel: a timer that
        // ran is no longer scheduled).
        handle.#callback = null;
        handle.#args = null;
        handle.#onCancel = null;
        handle.#context = null;
      }
      try {
        if (context !== null) runInContext(context, callback, args);
        else if (args === null) callback();
        else callback(...(args as never[]));
      } catch (exc) {
        report(exc, handle, callback, args);
      }
    };
    cancelQuietly = (handle) => {
      handle.#onCancel = null;
      handle.cancel();
    };
    getSlot = (handle) => handle.#slot;
    putSlot = (handle, value) => {
      handle.#slot = value;
    };
    getLabel = (handle) => handle.#callback?.name || '<anonymous>';
  }
}

/** A callback scheduled by `callLater` or `callAt`. */
export class TimerHandle extends Handle {
  /** Set by the loop once its back end scheduled it. */
  #when = Number.NaN;

  /** The loop time it is scheduled for, in seconds. */
  when(): number {
    return this.#when;
  }

  static {
    putWhen = (handle, when) => {
      handle.#when = when;
    };
  }
}

/**
 * Runs `handle`'s callback unless it was cancelled; a throw goes to `report`. `once`: it runs
 * only this time (callSoon, timers), so it lets go of its callback.
 */
export function runHandle(handle: Handle, once: boolean, report: HandleReport): void {
  run(handle, once, report);
}

/** Marks `handle` cancelled without telling the loop (which already let go of it). */
export function cancelHandleQuietly(handle: Handle): void {
  cancelQuietly(handle);
}

/** The back end's value parked on `handle` (undefined until it sets one). */
export function handleSlot(handle: Handle): unknown {
  return getSlot(handle);
}

/** Parks the back end's value on `handle` (e.g. a timer id, to cancel it later). */
export function setHandleSlot(handle: Handle, value: unknown): void {
  putSlot(handle, value);
}

/** The callback's name, as a trace labels it (`<anonymous>` without one); while it is pending. */
export function handleLabel(handle: Handle): string {
  return getLabel(handle);
}

/** Sets a timer's due time (the loop does, with what its back end scheduled). */
export function setTimerWhen(handle: TimerHandle, when: number): void {
  putWhen(handle, when);
}

/** asyncio's Handle repr: `<Handle cb(1, 'a')>`, `<TimerHandle cancelled when=12.5 cb()>`. */
export function handleRepr(handle: Handle): string {
  const timer = handle instanceof TimerHandle;
  const info = [timer ? 'TimerHandle' : 'Handle'];
  if (handle.cancelled()) info.push('cancelled');
  if (timer) info.push(`when=${handle.when()}`);
  const desc = descriptions.get(handle);
  if (desc !== undefined) info.push(desc);
  return `<${info.join(' ')}>`;
}
