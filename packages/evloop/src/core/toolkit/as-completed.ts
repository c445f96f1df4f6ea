// asyncio.as_completed (3.13): the awaitables in the order they complete, both as a plain
// iterable of awaitables (each resolves with the next result, or throws its error) and as an
// async iterable of the completed futures themselves (the very Futures and Tasks given).

import { TimeoutError } from '../errors.js';
import { Future } from '../futures.js';
import type { Handle } from '../handles.js';
import { typeName } from '../values.js';
import { Queue } from './queues.js';
import { type Awaitable, ensureFuture, runningLoop } from './tasks.js';

/** Options of `asCompleted`. */
export interface AsCompletedOptions {
  /** Seconds (null: no limit); after them, each remaining next value throws TimeoutError. */
  timeout?: number | null;
}

/**
 * What `asCompleted` returns. `for (const next of it) await next` gives results in completion
 * order; `for await (const fut of it)` gives the completed futures. Each next value is lazy:
 * it takes a completed future only when first awaited, so one never awaited costs nothing and
 * fails nobody.
 */
export class AsCompletedIterator<T> implements Iterable<PromiseLike<T>>, AsyncIterable<Future<T>> {
  /**
   * Completed futures (boxed: `await get()` of a thenable item would adopt its outcome), and
   * null for each one the timeout gave up on.
   */
  readonly #done = new Queue<{ future: Future<T> } | null>();
  readonly #todo: Set<Future<T>>;
  /** How many next values are left to hand out (both protocols share them). */
  #left: number;
  #timer: Handle | null = null;

  constructor(aws: Iterable<Awaitable<T>>, timeout: number | null) {
    const loop = runningLoop();
    this.#todo = new Set<Future<T>>();
    for (const aw of new Set(aws)) this.#todo.add(ensureFuture('asCompleted', aw, loop));
    const onDone = (f: Future<T>): void => this.#completed(f, onDone);
    for (const f of this.#todo) f.addDoneCallback(onDone);
    if (this.#todo.size > 0 && timeout !== null) {
      this.#timer = loop.callLater(timeout, () => this.#timedOut(onDone));
    }
    this.#left = this.#todo.size;
  }

  /** Awaitables, each resolving with the next completed future's result (or throwing its error). */
  [Symbol.iterator](): IterableIterator<PromiseLike<T>> {
    const it: IterableIterator<PromiseLike<T>> = {
      next: (): IteratorResult<PromiseLike<T>> => {
        if (this.#left === 0) return { done: true, value: undefined };
        this.#left -= 1;
        let started: Promise<T> | null = null;
        const lazy: PromiseLike<T> = {
          then: (onFulfilled, onRejected) => {
            started ??= this.#one().then(({ future }) => future.result());
            return started.then(onFulfilled, onRejected);
          },
        };
        return { done: false, value: lazy };
      },
      [Symbol.iterator]: () => it,
    };
    return it;
  }

  /** The completed futures themselves, in completion order. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Future<T>> {
    const it: AsyncIterableIterator<Future<T>> = {
      next: async (): Promise<IteratorResult<Future<T>>> => {
        if (this.#left === 0) return { done: true, value: undefined };
        this.#left -= 1;
        return { done: false, value: (await this.#one()).future };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /**
   * The next completed future, boxed: a promise resolved with a Future would adopt its outcome
   * (a Future is a thenable), and the async iteration hands out the Future itself.
   */
  async #one(): Promise<{ future: Future<T> }> {
    const box = await this.#done.get();
    if (box === null) throw new TimeoutError();
    return box;
  }

  #completed(f: Future<T>, onDone: (f: Future<T>) => void): void {
    if (!this.#todo.has(f)) return; // the timeout was here first
    this.#todo.delete(f);
    f.removeDoneCallback(onDone);
    this.#done.putNowait({ future: f });
    if (this.#todo.size === 0) this.#timer?.cancel();
  }

  #timedOut(onDone: (f: Future<T>) => void): void {
    for (const f of this.#todo) {
      f.removeDoneCallback(onDone);
      this.#done.putNowait(null);
    }
    this.#todo.clear();
  }
}

/**
 * asyncio.as_completed: iterate `aws` in completion order (see AsCompletedIterator). With a
 * timeout, what is not done in time throws TimeoutError when its turn comes.
 */
export function asCompleted<T>(aws: Iterable<Awaitable<T>>, options: AsCompletedOptions = {}): AsCompletedIterator<T> {
  if (aws instanceof Future || aws === null || typeof aws !== 'object' || typeof (aws as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`expect an iterable of futures, not ${typeName(aws)}`);
  }
  const timeout = options.timeout ?? null;
  if (timeout !== null && typeof timeout !== 'number') {
    throw new TypeError(`asCompleted(): timeout must be a number or null, got ${typeName(timeout)}`);
  }
  return new AsCompletedIterator(aws, timeout);
}
