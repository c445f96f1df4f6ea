// A binding's asynchronous calls as evloop Futures. Browser-safe.
//
// Every awaitable the package makes is an evloop Future, so a task awaiting one is cancelled at
// that `await` (docs/tasks.md). A binding's call (a read, `drain`, a connect) is a task of the
// native core, which hands its outcome to `done(ok, value)`; it returns a NativeCall whose
// `cancel()` drops that task at once: a read then takes nothing from the buffer, a connect closes
// its half-made socket, a drain leaves the data queued. A result that still arrives once the
// Future is done (a call the binding cannot stop) is disposed of, not lost in a leak.

import type { AbstractEventLoop } from '../base-loop.js';
import { fromNative } from '../errors.js';
import { Future, onCancel } from '../future.js';
import type { Done, NativeCallLike } from './backend.js';

/**
 * A Future of `loop` settled by a binding's completion callback `done(ok, value)`; `start(done)`
 * throwing (an argument check, a closed loop) fails it, so every failure of an async call
 * arrives the same way. `wrap` converts a success value. `start` may return the binding's call,
 * which completing the Future from outside (cancelling it) stops synchronously. `dispose` gets a
 * success value that arrives after that (to close a server or a connection nobody will receive).
 */
export function pending<T = unknown>(
  loop: AbstractEventLoop,
  start: (done: Done) => NativeCallLike | void,
  wrap?: (value: unknown) => T,
  dispose?: (value: unknown) => void,
): Future<T> {
  const fut = new Future<T>(loop);
  let settled = false;
  const done: Done = (ok, value) => {
    settled = true;
    if (fut.done()) {
      if (ok) dispose?.(value);
      return;
    }
    if (!ok) fut.setException(asError(value));
    else fut.setResult(wrap === undefined ? (value as T) : wrap(value));
  };
  try {
    const call = start(done);
    if (call !== undefined && !settled) {
      onCancel(fut as Future<unknown>, () => {
        if (!settled) call.cancel();
      });
    }
  } catch (e) {
    if (!fut.done()) fut.setException(asError(fromNative(e)));
  }
  return fut;
}

/** A Future's exception must be an object: a thrown primitive becomes an Error with its text. */
function asError(value: unknown): object {
  return value !== null && typeof value === 'object' ? value : new Error(String(value));
}

/** `fn()`, with the binding's errors mapped to the package's classes. */
export function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e);
  }
}
