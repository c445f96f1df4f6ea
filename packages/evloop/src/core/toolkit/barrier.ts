// asyncio.Barrier (3.11+): `parties` tasks wait until all have arrived, then all go on; built
// on a Condition, with asyncio's states (filling, draining, resetting, broken).

import { ValueError } from '../errors.js';
import { typeName } from '../values.js';
import { BrokenBarrierError } from './errors.js';
import { Condition } from './locks.js';

type State = 'filling' | 'draining' | 'resetting' | 'broken';

/** asyncio.Barrier: `new Barrier(parties)`; `await barrier.wait()` resolves the arrival index. */
export class Barrier {
  readonly #cond = new Condition();
  readonly #parties: number;
  #state: State = 'filling';
  /** Tasks inside `wait()`. */
  #count = 0;

  constructor(parties: number) {
    if (typeof parties !== 'number' || Number.isNaN(parties)) {
      throw new TypeError(`Barrier(): parties must be a number, got ${typeName(parties)}`);
    }
    if (parties < 1) throw new ValueError('parties must be > 0');
    this.#parties = parties;
  }

  /**
   * Waits until `parties` tasks wait, then resolves for all of them, each with its arrival
   * index (0 to parties - 1). BrokenBarrierError if the barrier is reset or aborted meanwhile,
   * or is broken.
   */
  async wait(): Promise<number> {
    return this.#cond.run(async () => {
      await this.#block();
      try {
        const index = this.#count;
        this.#count += 1;
        if (index + 1 === this.#parties) {
          // The last arrival lets everyone go; newcomers wait until all have left.
          this.#state = 'draining';
          this.#cond.notifyAll();
        } else {
          await this.#cond.waitFor(() => this.#state !== 'filling');
          if (this.#state === 'broken' || this.#state === 'resetting') {
            throw new BrokenBarrierError('Abort or reset of barrier');
          }
        }
        return index;
      } finally {
        this.#count -= 1;
        this.#exit();
      }
    });
  }

  /** Back to the empty state; tasks waiting get BrokenBarrierError. */
  async reset(): Promise<void> {
    await this.#cond.run(() => {
      if (this.#count > 0) {
        if (this.#state !== 'resetting') this.#state = 'resetting';
      } else {
        this.#state = 'filling';
      }
      this.#cond.notifyAll();
    });
  }

  /** Breaks the barrier: current and later `wait()`s get BrokenBarrierError. */
  async abort(): Promise<void> {
    await this.#cond.run(() => {
      this.#state = 'broken';
      this.#cond.notifyAll();
    });
  }

  /** How many tasks it takes to pass. */
  get parties(): number {
    return this.#parties;
  }

  /** How many tasks wait (while it fills). */
  get nWaiting(): number {
    return this.#state === 'filling' ? this.#count : 0;
  }

  /** Whether it is broken (aborted). */
  get broken(): boolean {
    return this.#state === 'broken';
  }

  toString(): string {
    const info = this.broken ? 'broken' : `${this.#state}, waiters:${this.nWaiting}/${this.#parties}`;
    return `<Barrier [${info}]>`;
  }

  /** Waits while the barrier drains or resets; BrokenBarrierError if it is broken. */
  async #block(): Promise<void> {
    await this.#cond.waitFor(() => this.#state !== 'draining' && this.#state !== 'resetting');
    if (this.#state === 'broken') throw new BrokenBarrierError('Barrier aborted');
  }

  /** The last task out lets the next round fill. */
  #exit(): void {
    if (this.#count === 0) {
      if (this.#state === 'resetting' || this.#state === 'draining') this.#state = 'filling';
      this.#cond.notifyAll();
    }
  }
}
