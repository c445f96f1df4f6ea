// asyncio.wait: wait until some or all of several futures are done, without failing and
// without cancelling anything; resolves the two sets.

import { ValueError } from '../errors.js';
import { Future } from '../futures.js';
import type { Handle } from '../handles.js';
import { typeName } from '../values.js';
import { type Awaitable, ensureFuture, runningLoop } from './tasks.js';

/** `returnWhen`: as soon as one future is done. */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';
/** `returnWhen`: as soon as one future fails (or all are done). */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
/** `returnWhen`: when all are done (the default). */
export const ALL_COMPLETED = 'ALL_COMPLETED';

export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options of `wait`. */
export interface WaitOptions {
  /** Seconds to wait at most (null: no limit); at the limit `wait` resolves, it does not fail. */
  timeout?: number | null;
  returnWhen?: ReturnWhen;
}

/**
 * asyncio.wait: resolves `[done, pending]` (Sets of the futures) when `returnWhen` is met or the
 * timeout passes. Futures and Tasks are used as given; a coroutine function runs in a new task
 * and a promise gets a Future that follows it (those appear in the sets). Nothing is cancelled.
 */
export async function wait<T>(aws: Iterable<Awaitable<T>>, options: WaitOptions = {}): Promise<[Set<Future<T>>, Set<Future<T>>]> {
  if (aws instanceof Future || aws === null || typeof aws !== 'object' || typeof (aws as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`expect a list of futures, not ${typeName(aws)}`);
  }
  const { timeout = null, returnWhen = ALL_COMPLETED } = options;
  if (timeout !== null && typeof timeout !== 'number') {
    throw new TypeError(`wait(): timeout must be a number or null, got ${typeName(timeout)}`);
  }
  if (returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION && returnWhen !== ALL_COMPLETED) {
    throw new ValueError(`Invalid return_when value: ${String(returnWhen)}`);
  }
  const loop = runningLoop();
  const fs = new Set<Future<T>>();
  for (const aw of new Set(aws)) fs.add(ensureFuture('wait', aw, loop));
  if (fs.size === 0) throw new ValueError('Set of Tasks/Futures is empty.');

  const waiter = loop.createFuture<void>();
  let timer: Handle | null = null;
  const release = (): void => {
    if (!waiter.done()) waiter.setResult(undefined);
  };
  if (timeout !== null) timer = loop.callLater(timeout, release);
  let counter = fs.size;
  const onCompletion = (f: Future<T>): void => {
    counter -= 1;
    if (
      counter <= 0 ||
      returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && !f.cancelled() && f.exception() !== null)
    ) {
      timer?.cancel();
      release();
    }
  };
  for (const f of fs) f.addDoneCallback(onCompletion);
  try {
    await waiter;
  } finally {
    timer?.cancel();
    for (const f of fs) f.removeDoneCallback(onCompletion);
  }
  const done = new Set<Future<T>>();
  const pending = new Set<Future<T>>();
  for (const f of fs) (f.done() ? done : pending).add(f);
  return [done, pending];
}
