// What only a runtime has, installed by each entry before it is used (`setPlatform`): how values
// are written in messages and reports, the thread's name, and async context. The defaults are
// browser-safe (format.ts; no async context); the Node entries install `util.inspect`, the
// worker's thread name and AsyncLocalStorage-based context. The logger is log.ts's.

import { basicFormatException, basicRepr } from './format.js';
import { LINUX_SIGNALS } from './signal-numbers.js';

export interface Platform {
  /** A short repr for messages (`got 'x'`, a Future's result): Python's repr, strings quoted. */
  repr(value: unknown): string;
  /** A value of an exception context, as the default exception handler writes it (`key: value`). */
  inspect(value: unknown): string;
  /** The exception of a context, as the default exception handler writes it (with its stack). */
  formatException(exc: unknown): string;
  /** Python's name for this thread (`MainThread`), for the policy's messages. */
  threadName(): string;
  /**
   * Async context (Node: AsyncLocalStorage), or null where the runtime has none (browsers):
   * callbacks then run in the loop's context and a task is known only during the steps it drives
   * itself (task-context.ts, docs/tasks.md).
   */
  asyncContext: AsyncContextHook | null;
  /** Signal names to numbers (Node: `os.constants.signals`); Linux's by default. */
  signals: Readonly<Record<string, number>>;
}

/** A value that follows a function's async continuations (Node: one AsyncLocalStorage). */
export interface ContextStore<T> {
  /** Runs `fn` with the store holding `value` (and every continuation `fn` starts). */
  run<R>(value: T | undefined, fn: () => R): R;
  /** The value here, undefined outside any `run`. */
  get(): T | undefined;
}

/** What a runtime with async context provides (installed by the Node entries). */
export interface AsyncContextHook {
  /**
   * The current async context, to run a callback in later (Node: an AsyncResource made with
   * requireManualDestroy, about 0.1 µs; AsyncLocalStorage.snapshot() costs far more in Node 20).
   */
  capture(): object;
  /** Runs `fn(...args)` (args null: none) in a context `capture` returned. */
  runIn(context: object, fn: (...args: never[]) => unknown, args: readonly unknown[] | null): unknown;
  /** A new store (called once per use, at load time). */
  newStore<T>(): ContextStore<T>;
}

/** The platform in use; entries change it with `setPlatform`, never by assigning. */
export const platform: Platform = {
  repr: basicRepr,
  inspect: basicRepr,
  formatException: basicFormatException,
  threadName: () => 'MainThread',
  asyncContext: null,
  signals: LINUX_SIGNALS,
};

/** Installs a runtime's functions (those given; the others stay). */
export function setPlatform(functions: Partial<Platform>): void {
  Object.assign(platform, functions);
}

/** `platform.repr(value)`: a short repr for messages. */
export function repr(value: unknown): string {
  return platform.repr(value);
}
