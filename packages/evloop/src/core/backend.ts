// LoopBackend: what BaseLoop (base-loop.ts) needs from a native loop, and LoopDriver: what the
// loop gives its back end in return. Two bindings satisfy it:
//
// - Node (node/backend.ts, over the napi addon's NativeEventLoop): callSoon's FIFO and the timer
//   table live in JS, in the back end; the addon keeps one entry per handle (`fastCalls()`:
//   `enqueueSoon()`, `scheduleTimer(id, at, relative)`, `cancelTimer(id)`) and calls the hooks
//   `runSoon`/`runTimer(id)` when an entry is due; the back end then calls `driver.runHandle`.
//   Nothing is allocated per call beyond the Handle (bench/bounds.md).
// - wasm (sim/backend.ts, over one life of a simulated host, NativeHostLoop): `callSoon(label,
//   run)`, `callLater`/`callAt` return the binding's handles; the back end parks them on the
//   Handle (`setHandleSlot`) to cancel them, and `run` calls `driver.runHandle(handle)`.
//
// Contract for back ends:
// - `scheduleSoon`/`scheduleTimer` are called only on an open loop (the loop checks
//   `isClosed()` first) with a callable already checked; each scheduled handle is run at most
//   once, by calling `driver.runHandle(handle)` in FIFO order (soon) or due order (timers).
//   A handle cancelled meanwhile may still be passed: runHandle skips it.
// - `cancelSoon`/`cancelTimer` are called once, when a pending handle is cancelled; they may do
//   nothing (a FIFO entry for a cancelled handle is skipped when it comes up).
// - Methods throw the package's errors (core/errors.ts: map the binding's with `fromNative`),
//   e.g. RuntimeError('Event loop is closed'), RuntimeError for close() while running.
// - `isClosed()` is read on every call that schedules: keep it cheap (a JS mirror is fine).
// - Errors of callbacks the back end runs itself (readers, its core's contexts) go to the
//   driver (`callbackError`, `report`), never back into the binding.

import type { Executor } from './executor.js';
import type { AnyCallback, Handle, TimerHandle } from './handles.js';

/** asyncio's context dict: `{ message, exception, handle, future, task, ... }`. */
export interface ExceptionContext {
  message?: string;
  exception?: unknown;
  handle?: Handle | TimerHandle | string;
  [key: string]: unknown;
}

/** A native loop, as BaseLoop uses it. */
export interface LoopBackend {
  /**
   * "real": callbacks take real time, so debug mode times them (slow-callback reports);
   * "virtual": a simulated clock, callbacks are not timed.
   */
  readonly clock: 'real' | 'virtual';
  /** The loop's clock, in seconds. */
  time(): number;
  /** Queues `handle` to run after those queued before (FIFO), in the next iteration. */
  scheduleSoon(handle: Handle): void;
  /** A queued `handle` was cancelled. */
  cancelSoon(handle: Handle): void;
  /**
   * Schedules `handle` at loop time `at` (`relative`: `at` seconds from now); returns the loop
   * time it is due (what `handle.when()` reports). Throws for a time the binding refuses.
   */
  scheduleTimer(handle: TimerHandle, at: number, relative: boolean): number;
  /** A scheduled timer was cancelled (it must not run). */
  cancelTimer(handle: TimerHandle): void;
  /** Stops after the current iteration (not an error when it is not running). */
  stop(): void;
  /** Closes the loop: pending callbacks are dropped. RuntimeError while it runs. */
  close(): void;
  isRunning(): boolean;
  isClosed(): boolean;
  /** Ends the current run (or step) with `exc`: SystemExit, KeyboardInterrupt. */
  raiseFatal(exc: unknown): void;
  /** The loop's debug mode changed (the back end may time its own callbacks). */
  setDebug(enabled: boolean): void;
  /** The slow-callback threshold changed, in seconds. */
  setSlowCallbackDuration(seconds: number): void;
  /**
   * Starts (`deliver`) or stops (null) passing signal `sig` (named `name`, `'SIGTERM'`) to the
   * loop: `deliver()` once per arrival, outside the loop's callbacks or as one of them; the loop
   * then queues the handler with callSoon. Stopping gives the signal its default behaviour back
   * (unless someone else still listens). Throws for a signal the runtime cannot watch.
   */
  watchSignal(sig: number, name: string, deliver: (() => void) | null): void;
  /** The loop's default executor, made on the first `runInExecutor(null, ...)`. */
  newDefaultExecutor(): Executor;
}

/** What a loop gives its back end: the loop runs handles and reports errors. */
export interface LoopDriver {
  /** Runs a due handle once (callSoon, timers): reports what it throws, times it in debug mode. */
  runHandle(handle: Handle): void;
  /**
   * A callback the back end ran itself threw `exc` (readers, writers); `handle` is its Handle
   * when it has one. Reports it (or ends the run for SystemExit/KeyboardInterrupt).
   */
  callbackError(exc: unknown, handle: Handle | undefined, callback: AnyCallback | undefined, args: readonly unknown[] | null | undefined): void;
  /** Debug mode: a callback the back end ran itself took `seconds`. */
  slowCallback(seconds: number, handle: Handle | undefined, callback: AnyCallback | undefined, args: readonly unknown[] | null | undefined): void;
  /** An exception context of the back end's own (its core's errors): to the exception handler. */
  report(context: ExceptionContext): void;
}
