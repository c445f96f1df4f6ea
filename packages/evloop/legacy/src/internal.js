// Helpers shared by the package's modules; not exported by the package.

import { inspect } from 'node:util';
import { isMainThread, threadId } from 'node:worker_threads';

export { isCoroutineFunction, isFatal, isThenable, typeName } from './values.js';

/** A short repr of a value for messages (strings quoted, as Python's repr). */
export function repr(value) {
  return inspect(value, { depth: 0, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 60 });
}

/** `name(arg, ...)` for reports, as asyncio formats a callback and its arguments. */
export function formatCallback(func, args) {
  if (typeof func !== 'function') return '<unknown>()';
  const name = func.name || '<anonymous>';
  const list = Array.isArray(args) ? args.map((a) => repr(a)).join(', ') : '';
  return `${name}(${list})`;
}

/** Python's name for this thread, for messages. */
export function threadName() {
  return isMainThread ? 'MainThread' : `Worker-${threadId}`;
}

/**
 * Accessors into the loop class's private state, filled in by loop.js (its
 * static block), so futures, the runner and the networking code reach them
 * without making them public.
 */
export const internal = {
  /** The NativeEventLoop of a package loop. */
  nativeOf: /** @type {(loop: object) => any} */ (null),
  /** Ends the loop's current run with a fatal error. */
  raiseFatal: /** @type {(loop: object, exc: unknown) => void} */ (null),
  /** The set of the loop's pending tasks. */
  tasksOf: /** @type {(loop: object) => Set<object>} */ (null),
};
