// asyncio's synchronization primitives (3.13): Lock, Event, Condition, Semaphore,
// BoundedSemaphore. Not thread-safe (one loop's tasks share them). Every wait is an evloop
// Future, so cancelling the waiting task takes it out of line at once; waiters are served
// first come, first served, and a woken waiter that is cancelled passes its turn on.
//
// Python's `async with lock:` has no JavaScript equivalent that acquires on entry; use
// `await lock.run(async () => ...)`, or `await lock.acquire(); await using _ = lock;` (the
// disposal releases), or acquire/release in try/finally (docs/tasks.md).

import { CancelledError, RuntimeError, ValueError } from '../errors.js';
import type { Future } from '../futures.js';
import { typeName } from '../values.js';
import { LoopBound } from './loop-bound.js';

function removeFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

/** What Lock, Condition and the semaphores share: acquire on entry, release on exit. */
abstract class Acquirable extends LoopBound {
  abstract acquire(): Promise<boolean>;
  abstract release(): void;

  /** Runs `fn` holding this (Python's `async with`): acquires, then releases however `fn` ends. */
  async run<R>(fn: () => PromiseLike<R> | R): Promise<R> {
    if (typeof fn !== 'function') throw new TypeError(`run(): fn must be a function, got ${typeName(fn)}`);
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** `await using _ = lock` after acquiring: releases at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}

/** asyncio.Lock: one holder at a time, waiters served in order. */
export class Lock extends Acquirable {
  readonly #waiters: Future<boolean>[] = [];
  #locked = false;

  locked(): boolean {
    return this.#locked;
  }

  /** Waits until the lock is free, then takes it; resolves true. */
  async acquire(): Promise<boolean> {
    // Fair: only jump the line when every waiter has left it.
    if (!this.#locked && this.#waiters.every((w) => w.cancelled())) {
      this.#locked = true;
      return true;
    }
    const fut = this.loop().createFuture<boolean>();
    this.#waiters.push(fut);
    try {
      try {
        await fut;
      } finally {
        removeFrom(this.#waiters, fut);
      }
    } catch (e) {
      // Cancelled (woken or not): the lock is free again unless someone holds it, so make sure
      // the next in line runs.
      if (e instanceof CancelledError && !this.#locked) this.#wakeUpFirst();
      throw e;
    }
    this.#locked = true;
    return true;
  }

  /** Frees the lock and wakes the first waiter; RuntimeError if it is not held. */
  release(): void {
    if (!this.#locked) throw new RuntimeError('Lock is not acquired.');
    this.#locked = false;
    this.#wakeUpFirst();
  }

  #wakeUpFirst(): void {
    const first = this.#waiters[0];
    if (first !== undefined && !first.done()) first.setResult(true);
  }

  override toString(): string {
    const waiters = this.#waiters.length > 0 ? `, waiters:${this.#waiters.length}` : '';
    return `<Lock [${this.#locked ? 'locked' : 'unlocked'}${waiters}]>`;
  }
}

/** asyncio.Event: a flag tasks can wait for. */
export class Event extends LoopBound {
  readonly #waiters: Future<boolean>[] = [];
  #value = false;

  isSet(): boolean {
    return this.#value;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    if (this.#value) return;
    this.#value = true;
    for (const fut of this.#waiters) if (!fut.done()) fut.setResult(true);
  }

  /** Clears the flag: later `wait()`s block until the next `set()`. */
  clear(): void {
    this.#value = false;
  }

  /** Resolves true once the flag is set (at once if it is). */
  async wait(): Promise<true> {
    if (this.#value) return true;
    const fut = this.loop().createFuture<boolean>();
    this.#waiters.push(fut);
    try {
      await fut;
      return true;
    } finally {
      removeFrom(this.#waiters, fut);
    }
  }

  override toString(): string {
    const waiters = this.#waiters.length > 0 ? `, waiters:${this.#waiters.length}` : '';
    return `<Event [${this.#value ? 'set' : 'unset'}${waiters}]>`;
  }
}

/** asyncio.Condition: wait for a notification while holding a Lock (a new one by default). */
export class Condition extends Acquirable {
  readonly #lock: Lock;
  readonly #waiters: Future<boolean>[] = [];

  constructor(lock?: Lock) {
    super();
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError(`Condition(): lock must be a Lock, got ${typeName(lock)}`);
    }
    this.#lock = lock ?? new Lock();
  }

  locked(): boolean {
    return this.#lock.locked();
  }

  acquire(): Promise<boolean> {
    return this.#lock.acquire();
  }

  release(): void {
    this.#lock.release();
  }

  /**
   * Releases the lock, waits for a notification, then takes the lock again (even if cancelled:
   * the lock is held when this returns or throws). Resolves true. RuntimeError without the lock.
   */
  async wait(): Promise<true> {
    if (!this.locked()) throw new RuntimeError('cannot wait on un-acquired lock');
    this.release();
    try {
      const fut = this.loop().createFuture<boolean>();
      this.#waiters.push(fut);
      try {
        await fut;
        return true;
      } finally {
        removeFrom(this.#waiters, fut);
      }
    } catch (e) {
      // Perhaps notified just before the error: hand the notification to another waiter (a
      // spurious wakeup, which the condition-variable protocol allows).
      this.#notify(1);
      throw e;
    } finally {
      // Take the lock back whatever happened; a cancellation meanwhile is rethrown after.
      let cancelled: unknown = null;
      for (;;) {
        try {
          await this.acquire();
          break;
        } catch (e) {
          if (!(e instanceof CancelledError)) throw e;
          cancelled = e;
        }
      }
      if (cancelled !== null) throw cancelled;
    }
  }

  /** Waits until `predicate()` is truthy (checked first, and after each wakeup); resolves its value. */
  async waitFor<R>(predicate: () => R): Promise<R> {
    if (typeof predicate !== 'function') throw new TypeError(`waitFor(): predicate must be a function, got ${typeName(predicate)}`);
    let result = predicate();
    while (!result) {
      await this.wait();
      result = predicate();
    }
    return result;
  }

  /** Wakes up to `n` waiters (default 1); RuntimeError without the lock. */
  notify(n = 1): void {
    if (!this.locked()) throw new RuntimeError('cannot notify on un-acquired lock');
    this.#notify(n);
  }

  /** Wakes every waiter; RuntimeError without the lock. */
  notifyAll(): void {
    this.notify(this.#waiters.length);
  }

  #notify(n: number): void {
    let woken = 0;
    for (const fut of this.#waiters) {
      if (woken >= n) break;
      if (!fut.done()) {
        woken += 1;
        fut.setResult(false);
      }
    }
  }

  override toString(): string {
    const waiters = this.#waiters.length > 0 ? `, waiters:${this.#waiters.length}` : '';
    return `<Condition [${this.locked() ? 'locked' : 'unlocked'}${waiters}]>`;
  }
}

/** asyncio.Semaphore: a counter; `acquire` waits while it is 0, served in order. */
export class Semaphore extends Acquirable {
  readonly #waiters: Future<boolean>[] = [];
  /** The counter (protected: BoundedSemaphore checks it). */
  protected value: number;

  constructor(value = 1) {
    super();
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new TypeError(`${new.target.name}(): value must be a number, got ${typeName(value)}`);
    }
    if (value < 0) throw new ValueError('Semaphore initial value must be >= 0');
    this.value = value;
  }

  /** Whether `acquire()` would wait: the counter is 0, or others are in line first. */
  locked(): boolean {
    return this.value === 0 || this.#waiters.some((w) => !w.cancelled());
  }

  /** Decrements the counter, waiting (in order) while it is 0; resolves true. */
  async acquire(): Promise<boolean> {
    if (!this.locked()) {
      this.value -= 1;
      return true;
    }
    const fut = this.loop().createFuture<boolean>();
    this.#waiters.push(fut);
    try {
      try {
        await fut;
      } finally {
        removeFrom(this.#waiters, fut);
      }
    } catch (e) {
      // Woken (the count was taken for us) but leaving: give the count back.
      if (e instanceof CancelledError && fut.done() && !fut.cancelled()) this.value += 1;
      throw e;
    } finally {
      // Those who arrived meanwhile had to wait their turn: wake as many as the count allows.
      while (this.value > 0 && this.#wakeUpNext()) {
        /* woke one */
      }
    }
    return true;
  }

  /** Increments the counter and wakes the first waiter. */
  release(): void {
    this.value += 1;
    this.#wakeUpNext();
  }

  #wakeUpNext(): boolean {
    for (const fut of this.#waiters) {
      if (!fut.done()) {
        this.value -= 1;
        fut.setResult(true);
        return true;
      }
    }
    return false;
  }

  override toString(): string {
    const state = this.locked() ? 'locked' : `unlocked, value:${this.value}`;
    const waiters = this.#waiters.length > 0 ? `, waiters:${this.#waiters.length}` : '';
    return `<${this.constructor.name} [${state}${waiters}]>`;
  }
}

/** asyncio.BoundedSemaphore: a Semaphore that refuses to be released above its start value. */
export class BoundedSemaphore extends Semaphore {
  readonly #bound: number;

  constructor(value = 1) {
    super(value);
    this.#bound = value;
  }

  /** ValueError('BoundedSemaphore released too many times') above the start value. */
  override release(): void {
    if (this.value >= this.#bound) throw new ValueError('BoundedSemaphore released too many times');
    super.release();
  }
}
