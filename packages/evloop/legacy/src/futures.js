// Future and Task of "evloop", bound to a package loop: the shared model
// (future-model.js) given this entry's loop lookups, plus Node's
// `util.inspect`, which the browser-safe model cannot import.

import { inspect } from 'node:util';
import { defineFutures } from './future-model.js';
import { internal, repr, typeName } from './internal.js';
import { AbstractEventLoop, getRunningLoop } from './loop.js';
import { getEventLoop } from './policy.js';

const futures = defineFutures({
  defaultLoop: getEventLoop,
  runningLoop: getRunningLoop,
  // A lambda: loop.js imports this module, so AbstractEventLoop may not be initialized yet.
  isLoop: (value) => value instanceof AbstractEventLoop,
  loopKind: 'an event loop',
  internal,
  repr,
  onComplete: () => {},
  stepName: (taskName) => `Task.step(${taskName})`,
});

export const { Future, Task, isFuture, allTasks } = futures;

// util.inspect (console.log, the REPL) shows a future as its repr, as asyncio does.
Object.defineProperty(Future.prototype, inspect.custom, {
  value() {
    return this.toString();
  },
  writable: true,
  configurable: true,
});

/**
 * A Future of the running loop that completes with `value` after `delay`
 * seconds (asyncio.sleep); `sleep(0)` resumes after one iteration.
 */
export function sleep(delay, value = undefined) {
  if (typeof delay !== 'number') throw new TypeError(`sleep(): delay must be a number, got ${typeName(delay)}`);
  if (Number.isNaN(delay)) throw new RangeError('sleep(): delay must not be NaN');
  return futures.sleepOn(getRunningLoop(), delay, value);
}
