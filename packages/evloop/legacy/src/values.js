// Value checks shared by the Node entry ("evloop") and the browser entry
// ("evloop/sim"). Browser-safe: no Node modules.

import { KeyboardInterrupt, SystemExit } from './errors.js';

/** `typeof value` in words for messages (`null`, `array`, a class name for objects). */
export function typeName(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  if (t !== 'object') return t;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name && name !== 'Object' ? name : 'object';
}

/** The analogues of SystemExit and KeyboardInterrupt end the loop (or the simulation's run) instead of being reported. */
export function isFatal(exc) {
  return exc instanceof SystemExit || exc instanceof KeyboardInterrupt;
}

/** Whether `value` can be awaited (has a `then` method). */
export function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
}

/** An async function or async generator function (asyncio's "coroutine function"). */
export function isCoroutineFunction(fn) {
  if (typeof fn !== 'function') return false;
  const name = fn.constructor?.name;
  return name === 'AsyncFunction' || name === 'AsyncGeneratorFunction';
}
