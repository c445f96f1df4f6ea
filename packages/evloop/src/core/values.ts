// Value checks shared by every entry. Browser-safe.

import { KeyboardInterrupt, SystemExit } from './errors.js';

/** `typeof value` in words for messages (`null`, `array`, a class name for objects). */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  if (t !== 'object') return t;
  const name: unknown = Object.getPrototypeOf(value)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : 'object';
}

/** The analogues of SystemExit and KeyboardInterrupt end the loop (or the simulation's run) instead of being reported. */
export function isFatal(exc: unknown): boolean {
  return exc instanceof SystemExit || exc instanceof KeyboardInterrupt;
}

/** Whether `value` can be awaited (has a `then` method). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** An async function or async generator function (asyncio's "coroutine function"). */
export function isCoroutineFunction(fn: unknown): boolean {
  if (typeof fn !== 'function') return false;
  const name: unknown = fn.constructor?.name;
  return name === 'AsyncFunction' || name === 'AsyncGeneratorFunction';
}
