// asyncio's queues (3.13): Queue (first in, first out), PriorityQueue (smallest first),
// LifoQueue (last in, first out), with `shutdown`. Waiting puts and gets are evloop Futures,
// so a cancelled task leaves the line at once; waiters are served in arrival order.

import { ValueError } from '../errors.js';
import type { Future } from '../futures.js';
import { typeName } from '../values.js';
import { QueueEmpty, QueueFull, QueueShutDown } from './errors.js';
import { Event } from './locks.js';
import { LoopBound } from './loop-bound.js';

/** Options of the queues. */
export interface QueueOptions {
  /** At most this many items (0 or less: no limit); `put` waits while the queue is full. */
  maxsize?: number;
}

/** Wakes the first waiter that is not done yet (cancelled ones are skipped). */
function wakeupNext(waiters: Future<void>[]): void {
  while (waiters.length > 0) {
    const waiter = waiters.shift() as Future<void>;
    if (!waiter.done()) {
      waiter.setResult(undefined);
      break;
    }
  }
}

function removeFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

/** asyncio.Queue: first in, first out. `new Queue({ maxsize })`. */
export class Queue<T = unknown> extends LoopBound {
  readonly #maxsize: number;
  readonly #getters: Future<void>[] = [];
  readonly #putters: Future<void>[] = [];
  #unfinished = 0;
  readonly #finished = new Event();
  #shutdown = false;

  constructor(options: QueueOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${new.target.name}(): options must be an object, got ${typeName(options)}`);
    }
    const maxsize = options.maxsize ?? 0;
    if (typeof maxsize !== 'number' || Number.isNaN(maxsize)) {
      throw new TypeError(`${new.target.name}(): maxsize must be a number, got ${typeName(maxsize)}`);
    }
    this.#maxsize = maxsize;
    this.#finished.set();
  }

  // What the subclasses change: how items are stored and taken.
  /** The stored items (in arrival order here; a heap in PriorityQueue). */
  protected readonly items: T[] = [];
  /** Stores `item`. */
  protected store(item: T): void {
    this.items.push(item);
  }
  /** Takes the next item (the queue is not empty). */
  protected take(): T {
    return this.items.shift() as T;
  }

  /** The bound given (0: none). */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** How many items are in the queue. */
  qsize(): number {
    return this.items.length;
  }

  empty(): boolean {
    return this.items.length === 0;
  }

  /** Whether `maxsize` items are in the queue (never, without a bound). */
  full(): boolean {
    return this.#maxsize > 0 && this.items.length >= this.#maxsize;
  }

  /** Puts `item`, waiting while the queue is full. QueueShutDown once shut down. */
  async put(item: T): Promise<void> {
    while (this.full()) {
      if (this.#shutdown) throw new QueueShutDown();
      const putter = this.loop().createFuture<void>();
      this.#putters.push(putter);
      try {
        await putter;
      } catch (e) {
        putter.cancel();
        removeFrom(this.#putters, putter);
        // Woken by a get but leaving anyway (cancelled): pass the turn on.
        if (!this.full() && !putter.cancelled()) wakeupNext(this.#putters);
        throw e;
      }
    }
    this.putNowait(item);
  }

  /** Puts `item` now: QueueFull if full, QueueShutDown once shut down. */
  putNowait(item: T): void {
    if (this.#shutdown) throw new QueueShutDown();
    if (this.full()) throw new QueueFull();
    this.store(item);
    this.#unfinished += 1;
    this.#finished.clear();
    wakeupNext(this.#getters);
  }

  /** Takes the next item, waiting while the queue is empty; QueueShutDown once shut down and empty. */
  async get(): Promise<T> {
    while (this.empty()) {
      if (this.#shutdown) throw new QueueShutDown();
      const getter = this.loop().createFuture<void>();
      this.#getters.push(getter);
      try {
        await getter;
      } catch (e) {
        getter.cancel();
        removeFrom(this.#getters, getter);
        if (!this.empty() && !getter.cancelled()) wakeupNext(this.#getters);
        throw e;
      }
    }
    return this.getNowait();
  }

  /** Takes the next item now: QueueEmpty if empty (QueueShutDown if also shut down). */
  getNowait(): T {
    if (this.empty()) {
      if (this.#shutdown) throw new QueueShutDown();
      throw new QueueEmpty();
    }
    const item = this.take();
    wakeupNext(this.#putters);
    return item;
  }

  /** A consumer finished an item it got; ValueError if called more often than items were put. */
  taskDone(): void {
    if (this.#unfinished <= 0) throw new ValueError('task_done() called too many times');
    this.#unfinished -= 1;
    if (this.#unfinished === 0) this.#finished.set();
  }

  /** Waits until every item put has been marked done (`taskDone`). */
  async join(): Promise<void> {
    if (this.#unfinished > 0) await this.#finished.wait();
  }

  /**
   * Shuts the queue down (3.13): puts throw QueueShutDown, gets too once the queue is empty;
   * `immediate` empties it first (each dropped item counts as done). Waiters wake to see it.
   */
  shutdown(immediate = false): void {
    this.#shutdown = true;
    if (immediate) {
      while (!this.empty()) {
        this.take();
        if (this.#unfinished > 0) this.#unfinished -= 1;
      }
      if (this.#unfinished === 0) this.#finished.set();
    }
    for (const waiters of [this.#getters, this.#putters]) {
      for (const waiter of waiters.splice(0)) if (!waiter.done()) waiter.setResult(undefined);
    }
  }

  override toString(): string {
    let info = `maxsize=${this.#maxsize}`;
    if (this.#getters.length > 0) info += ` _getters[${this.#getters.length}]`;
    if (this.#putters.length > 0) info += ` _putters[${this.#putters.length}]`;
    if (this.#unfinished > 0) info += ` tasks=${this.#unfinished}`;
    if (this.#shutdown) info += ' shutdown';
    return `<${this.constructor.name} ${info}>`;
  }
}

/** Orders two items: negative if `a` comes first. */
export type Compare<T> = (a: T, b: T) => number;

/**
 * Python's ordering for the usual items: numbers, strings and bigints by `<`; arrays (Python's
 * tuples, `[priority, data]`) element by element. TypeError for anything else: pass `compare`.
 */
export function defaultCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = defaultCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  const ta = typeof a;
  if ((ta === 'number' || ta === 'string' || ta === 'bigint') && typeof b === ta) {
    return (a as number) < (b as number) ? -1 : (b as number) < (a as number) ? 1 : 0;
  }
  throw new TypeError(`'<' not supported between ${typeName(a)} and ${typeName(b)}: give PriorityQueue a compare function`);
}

/** Options of PriorityQueue. */
export interface PriorityQueueOptions<T> extends QueueOptions {
  /** The order (default: `defaultCompare`, Python's for numbers, strings and tuples-as-arrays). */
  compare?: Compare<T>;
}

/** asyncio.PriorityQueue: the smallest item first (a binary heap). */
export class PriorityQueue<T = unknown> extends Queue<T> {
  readonly #compare: Compare<T>;

  constructor(options: PriorityQueueOptions<T> = {}) {
    super(options);
    const compare = options.compare ?? defaultCompare;
    if (typeof compare !== 'function') throw new TypeError(`PriorityQueue(): compare must be a function, got ${typeName(compare)}`);
    this.#compare = compare;
  }

  protected override store(item: T): void {
    const heap = this.items;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#compare(heap[i] as T, heap[parent] as T) >= 0) break;
      [heap[i], heap[parent]] = [heap[parent] as T, heap[i] as T];
      i = parent;
    }
  }

  protected override take(): T {
    const heap = this.items;
    const top = heap[0] as T;
    const last = heap.pop() as T;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.#compare(heap[l] as T, heap[m] as T) < 0) m = l;
        if (r < heap.length && this.#compare(heap[r] as T, heap[m] as T) < 0) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as T, heap[i] as T];
        i = m;
      }
    }
    return top;
  }
}

/** asyncio.LifoQueue: the last item put comes out first. */
export class LifoQueue<T = unknown> extends Queue<T> {
  protected override take(): T {
    return this.items.pop() as T;
  }
}
