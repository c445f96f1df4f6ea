// asyncio.timeout / timeout_at: a deadline for a block of a task. When it passes, the task is
// cancelled (`task.cancel()`); on the way out the CancelledError this caused becomes a
// TimeoutError, and `uncancel()` withdraws the request, so a cancellation from elsewhere still
// propagates as CancelledError (asyncio 3.11+).
//
// JavaScript has no `__aenter__`: `timeout()` and `timeoutAt()` enter at once (they take the
// current task and arm the timer), and the block ends with `.run(fn)`'s end or with
// `await using`'s disposal. A disposer never sees the error leaving its block, so with
// `await using` the TimeoutError is thrown from the disposal: JavaScript then reports a
// `SuppressedError` whose `error` is the TimeoutError and `suppressed` the CancelledError
// (docs/tasks.md). `.run(fn)` gives the TimeoutError itself.

import { CancelledError, RuntimeError, TimeoutError } from '../errors.js';
import type { Task } from '../futures.js';
import type { Handle } from '../handles.js';
import { typeName } from '../values.js';
import type { BaseLoop } from '../base-loop.js';
import { currentTask, runningLoop } from './tasks.js';

/** asyncio's states (their `value`s): entered is "active", exited "finished". */
type State = 'created' | 'active' | 'expiring' | 'expired' | 'finished';

/** A deadline (loop time, or null for none) on the block of a task; see `timeout()`. */
export class Timeout {
  #state: State = 'created';
  #when: number | null;
  #loop: BaseLoop;
  #task: Task<unknown>;
  #cancelling: number;
  #handle: Handle | null = null;

  /** Use `timeout()` / `timeoutAt()`: a Timeout enters its block when made. */
  constructor(when: number | null) {
    checkWhen('Timeout', 'when', when);
    this.#when = when;
    this.#loop = runningLoop();
    const task = currentTask(this.#loop);
    if (task === null) throw new RuntimeError('Timeout should be used inside a task');
    this.#task = task;
    this.#cancelling = task.cancelling();
    this.#state = 'active';
    this.reschedule(when);
  }

  /** The deadline (loop time), or null. */
  when(): number | null {
    return this.#when;
  }

  /** Moves the deadline (null: none). RuntimeError once the block has ended or expired. */
  reschedule(when: number | null): void {
    if (this.#state !== 'active') {
      throw new RuntimeError(`Cannot change state of ${this.#state} Timeout`);
    }
    checkWhen('reschedule', 'when', when);
    this.#when = when;
    this.#handle?.cancel();
    this.#handle = null;
    if (when === null) return;
    const onTimeout = (): void => this.#expire();
    this.#handle = when <= this.#loop.time() ? this.#loop.callSoon(onTimeout) : this.#loop.callAt(when, onTimeout);
  }

  /** Whether the deadline passed (the task was cancelled by this timeout). */
  expired(): boolean {
    return this.#state === 'expiring' || this.#state === 'expired';
  }

  /**
   * Runs `fn(this)` as the block and ends it: resolves with its result; a CancelledError caused
   * by the deadline becomes TimeoutError (its `cause` the CancelledError).
   */
  async run<T>(fn: (timeout: this) => PromiseLike<T> | T): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError(`run(): fn must be a function, got ${typeName(fn)}`);
    let result: T;
    try {
      result = await fn(this);
    } catch (e) {
      this.#exit(true, e);
      throw e;
    }
    this.#exit(false, undefined);
    return result;
  }

  /** `await using`: ends the block (TimeoutError if the deadline passed; see the module's note). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#exit(this.#state === 'expiring', new CancelledError());
  }

  /** asyncio's repr: `<Timeout [active] when=12.346>` (the deadline only while active). */
  toString(): string {
    const when = this.#when === null ? 'None' : String(Math.round(this.#when * 1000) / 1000);
    return `<Timeout [${this.#state}]${this.#state === 'active' ? ` when=${when}` : ''}>`;
  }

  #expire(): void {
    if (this.#state !== 'active') return;
    this.#task.cancel();
    this.#state = 'expiring';
    this.#handle = null;
  }

  /** Ends the block; `raised` tells whether it is leaving with `exc`. Throws the TimeoutError. */
  #exit(raised: boolean, exc: unknown): void {
    if (this.#state === 'finished' || this.#state === 'expired') {
      throw new RuntimeError('Timeout has already been exited');
    }
    this.#handle?.cancel();
    this.#handle = null;
    if (this.#state === 'active') {
      this.#state = 'finished';
      return;
    }
    this.#state = 'expired';
    // Only when no other cancellation arrived meanwhile is the CancelledError ours to convert.
    if (this.#task.uncancel() <= this.#cancelling && raised && exc instanceof CancelledError) {
      throw new TimeoutError(undefined, { cause: exc });
    }
  }
}

function checkWhen(call: string, param: string, when: unknown): asserts when is number | null {
  if (when === null) return;
  if (typeof when !== 'number') throw new TypeError(`${call}(): ${param} must be a number or null, got ${typeName(when)}`);
  if (Number.isNaN(when)) throw new RangeError(`${call}(): ${param} must not be NaN`);
}

/**
 * asyncio.timeout: a Timeout of the current task that expires `delay` seconds from now (null:
 * never, until `reschedule`). Use as `await timeout(1).run(async () => ...)` or
 * `await using t = timeout(1)`. RuntimeError outside a task.
 */
export function timeout(delay: number | null): Timeout {
  checkWhen('timeout', 'delay', delay);
  return new Timeout(delay === null ? null : runningLoop().time() + delay);
}

/** asyncio.timeout_at: like `timeout()` with a deadline in loop time (`loop.time()`). */
export function timeoutAt(when: number | null): Timeout {
  return new Timeout(when);
}
