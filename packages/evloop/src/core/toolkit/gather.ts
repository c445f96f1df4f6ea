// asyncio.gather: one Future for the results of several awaitables, in the order given.

import type { AbstractEventLoop } from '../abstract-loop.js';
import { CancelledError } from '../errors.js';
import { Future } from '../futures.js';
import { type Awaitable, ensureFuture, loopOf } from './tasks.js';

/** Options of `gather(aws, options)`. */
export interface GatherOptions {
  /** Failures (and cancellations, as CancelledError) become results instead of rejecting. */
  returnExceptions?: boolean;
}

/** Whether `outer.cancel()` was called (read by gather's done callback). */
let cancelRequested: (outer: GatheringFuture<unknown[]>) => boolean;

/**
 * The Future `gather` returns. Cancelling it cancels the children that are still running and
 * only then completes (as asyncio's `_GatheringFuture`): with CancelledError, or with the
 * results when `returnExceptions` is set and a child swallowed its cancellation.
 */
export class GatheringFuture<T extends unknown[] = unknown[]> extends Future<T> {
  readonly #children: Future<unknown>[];
  /** Set by cancel(): the outcome is a cancellation even if every child completes. */
  #cancelRequested = false;

  static {
    cancelRequested = (outer) => outer.#cancelRequested;
  }

  constructor(children: Future<unknown>[], loop: AbstractEventLoop) {
    super(loop);
    this.#children = children;
  }

  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    let any = false;
    for (const child of this.#children) if (child.cancel(msg)) any = true;
    if (any) this.#cancelRequested = true;
    return any;
  }
}

/** The CancelledError a cancelled future raises (with its message). */
function cancelledErrorOf(fut: Future<unknown>): CancelledError {
  try {
    fut.result();
  } catch (e) {
    if (e instanceof CancelledError) return e;
  }
  return new CancelledError();
}

type Results<A extends readonly unknown[]> = { -readonly [K in keyof A]: Awaited<A[K] extends Awaitable<infer R> ? R : A[K]> };

/**
 * asyncio.gather: resolves with the results of `aws` in their order; the first failure rejects
 * it (the others go on), unless `returnExceptions`. `gather(a, b, c)` or `gather([a, b, c],
 * { returnExceptions })`. Each `aw` is a Future or Task, a promise, or a coroutine function
 * (run in a new task); an awaitable given twice runs once. With no awaitables: `[]`.
 */
export function gather<A extends readonly Awaitable<unknown>[]>(...aws: A): GatheringFuture<Results<A>>;
export function gather<A extends readonly Awaitable<unknown>[]>(aws: A, options: GatherOptions): GatheringFuture<Results<A>>;
export function gather(...args: unknown[]): GatheringFuture<unknown[]> {
  let aws: unknown[] = args;
  let returnExceptions = false;
  if (args.length === 2 && Array.isArray(args[0]) && args[1] !== null && typeof args[1] === 'object' && !(args[1] instanceof Future) && typeof (args[1] as { then?: unknown }).then !== 'function') {
    aws = args[0] as unknown[];
    returnExceptions = Boolean((args[1] as GatherOptions).returnExceptions);
  }
  const loop = loopOf(aws);
  if (aws.length === 0) {
    const outer = new GatheringFuture<unknown[]>([], loop);
    outer.setResult([]);
    return outer;
  }

  const children: Future<unknown>[] = [];
  const seen = new Map<unknown, Future<unknown>>();
  const alreadyDone: Future<unknown>[] = [];
  let outer: GatheringFuture<unknown[]> | null = null;
  let nfinished = 0;

  const onChildDone = (fut: Future<unknown>): void => {
    nfinished += 1;
    if (outer === null || outer.done()) {
      if (!fut.cancelled()) fut.exception(); // retrieved: not reported as never retrieved
      return;
    }
    if (!returnExceptions) {
      if (fut.cancelled()) {
        outer.setException(cancelledErrorOf(fut));
        return;
      }
      const exc = fut.exception();
      if (exc !== null) {
        outer.setException(exc);
        return;
      }
    }
    if (nfinished === seen.size) {
      const results = children.map((child) => {
        if (child.cancelled()) return cancelledErrorOf(child);
        const exc = child.exception();
        return exc !== null ? exc : child.result();
      });
      if (cancelRequested(outer)) outer.setException(cancelledErrorOf(fut));
      else outer.setResult(results);
    }
  };

  for (const aw of aws) {
    let fut = seen.get(aw);
    if (fut === undefined) {
      fut = ensureFuture('gather', aw as Awaitable<unknown>, loop);
      seen.set(aw, fut);
      if (fut.done()) alreadyDone.push(fut);
      else fut.addDoneCallback(onChildDone);
    }
    children.push(fut);
  }
  outer = new GatheringFuture<unknown[]>(children, loop);
  for (const fut of alreadyDone) onChildDone(fut);
  return outer;
}
