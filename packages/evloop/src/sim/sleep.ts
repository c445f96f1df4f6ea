// asyncio.sleep for the running host. Browser-safe.

import { sleepOn } from '../core/base-loop.js';
import type { Future } from '../core/futures.js';
import { getRunningLoop } from './running.js';

/**
 * A Future of the running host that completes with `value` after `delay`
 * virtual seconds (asyncio.sleep). Also `host.sleep(delay, value)`.
 */
export function sleep(delay: number): Future<void>;
export function sleep<T>(delay: number, value: T): Future<T>;
export function sleep<T>(delay: number, value?: T): Future<T | undefined> {
  return sleepOn(getRunningLoop(), 'sleep', delay, value);
}
