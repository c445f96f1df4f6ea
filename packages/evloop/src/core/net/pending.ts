// Completion callbacks as promises. Browser-safe.

import { fromNative } from '../errors.js';
import type { Done } from './backend.js';

/**
 * A promise settled by a binding's completion callback `done(ok, value)`;
 * `start(done)` throwing (an argument check, a closed loop) rejects it, so
 * every failure of an async call arrives the same way. `wrap` converts a
 * success value.
 */
export function pending<T = unknown>(start: (done: Done) => void, wrap?: (value: unknown) => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      start((ok, value) => {
        if (!ok) reject(value);
        else resolve(wrap === undefined ? (value as T) : wrap(value));
      });
    } catch (e) {
      reject(fromNative(e));
    }
  });
}

/** `fn()`, with the binding's errors mapped to the package's classes. */
export function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e);
  }
}
