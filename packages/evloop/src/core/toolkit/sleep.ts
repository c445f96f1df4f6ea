// asyncio.sleep on the running loop (a Node loop, or the running simulated host).

import { sleepOn } from '../base-loop.js';
import type { Future } from '../futures.js';
import { typeName } from '../values.js';
import { runningLoop } from './tasks.js';

/**
 * A Future of the running loop that completes with `result` after `delay` seconds
 * (asyncio.sleep). A Future, so cancelling the task that awaits it cancels the sleep and
 * frees its timer; `sleep(0)` resumes after one iteration.
 */
export function sleep(delay: number): Future<void>;
export function sleep<T>(delay: number, result: T): Future<T>;
export function sleep<T>(delay: number, result?: T): Future<T | undefined> {
  // The argument first: a bad delay is a TypeError even outside a loop.
  if (typeof delay !== 'number') throw new TypeError(`sleep(): delay must be a number, got ${typeName(delay)}`);
  if (Number.isNaN(delay)) throw new RangeError('sleep(): delay must not be NaN');
  return sleepOn(runningLoop(), 'sleep', delay, result);
}
