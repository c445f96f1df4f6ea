// asyncio.Runner and asyncio.run (reference §2.10).

import { AbstractEventLoop, type BaseLoop } from '../core/base-loop.js';
import { RuntimeError } from '../core/errors.js';
import { abandonTask } from '../core/task.js';
import { inspectCustom } from '../core/format.js';
import { loopInternals } from '../core/internal.js';
import { getRunningLoopOrNull } from '../core/running.js';
import { isThenable, typeName } from '../core/values.js';
import type { BaseEventLoop } from './loop.js';
import { getEventLoopPolicy, setEventLoop } from './policy.js';

type State = 'created' | 'initialized' | 'closed';

export interface RunOptions<L extends AbstractEventLoop = BaseEventLoop> {
  /** Makes the loop (default: the policy's `newEventLoop()`, set as the current loop meanwhile). */
  loopFactory?: (() => L) | null;
  /** Sets the loop's debug mode. */
  debug?: boolean | null;
}

/** What `run`/`Runner.run` run: an async function called with the loop, or a PromiseLike. */
export type RunMain<T, L extends AbstractEventLoop = BaseEventLoop> = ((loop: L) => PromiseLike<T> | T) | PromiseLike<T>;

function checkOptions(call: string, options: unknown): { loopFactory: (() => unknown) | null; debug: boolean | null } {
  if (options === undefined || options === null) return { loopFactory: null, debug: null };
  if (typeof options !== 'object') {
    throw new TypeError(`${call}: options must be an object, got ${typeName(options)}`);
  }
  const { loopFactory, debug } = options as { loopFactory?: unknown; debug?: unknown };
  if (loopFactory !== undefined && loopFactory !== null && typeof loopFactory !== 'function') {
    throw new TypeError(`${call}: option loopFactory must be a function, got ${typeName(loopFactory)}`);
  }
  if (debug !== undefined && debug !== null && typeof debug !== 'boolean') {
    throw new TypeError(`${call}: option debug must be a boolean, got ${typeName(debug)}`);
  }
  return { loopFactory: (loopFactory as (() => unknown) | undefined) ?? null, debug: (debug as boolean | undefined) ?? null };
}

/**
 * One loop, several `run` calls, then `close()`: asyncio.Runner. Without a `loopFactory` the
 * loop comes from the policy and is set as the current loop while the runner is open. `L` is
 * the loop's type: the Node entry's loops (SelectorEventLoop, ProactorEventLoop) by default,
 * or what the factory returns.
 */
export class Runner<L extends AbstractEventLoop = BaseEventLoop> {
  #loopFactory: (() => unknown) | null;
  #debug: boolean | null;
  #loop: L | null = null;
  #state: State = 'created';
  #setLoop = false;

  constructor(options?: RunOptions<L>) {
    const { loopFactory, debug } = checkOptions('Runner()', options);
    this.#loopFactory = loopFactory;
    this.#debug = debug;
  }

  /** The loop, created on first use. RuntimeError('Runner is closed') after close(). */
  getLoop(): L {
    return this.#lazyInit();
  }

  /**
   * Runs `main` as a task until it completes; resolves with its result. `main` is an async
   * function, called with the loop, or a PromiseLike.
   */
  async run<T>(main: RunMain<T, L>): Promise<T> {
    if (getRunningLoopOrNull() !== null) {
      throw new RuntimeError('Runner.run() cannot be called from a running event loop');
    }
    if (typeof main !== 'function' && !isThenable(main)) {
      throw new TypeError('An asyncio.Future, a coroutine or an awaitable is required');
    }
    const loop = this.#lazyInit();
    const task = loop.createTask<T>(typeof main === 'function' ? () => main(loop) : main);
    return await loop.runUntilComplete(task);
  }

  /**
   * Cancels the tasks still pending (one iteration runs their done callbacks), unsets the
   * current loop if the runner set it, and closes the loop. Closing twice is fine.
   */
  async close(): Promise<void> {
    const loop = this.#loop;
    if (this.#state !== 'initialized' || loop === null) {
      this.#state = 'closed';
      return;
    }
    try {
      const tasks = loopInternals.isLoop(loop) ? [...loopInternals.tasksOf(loop as unknown as BaseLoop)] : [];
      for (const task of tasks) task.cancel();
      if (tasks.length > 0) {
        loop.callSoon(() => loop.stop());
        await loop.runForever();
        // A task awaiting a foreign promise cannot be stopped by cancel(): it ends cancelled
        // here, and one more iteration runs its done callbacks (docs/tasks.md).
        const stuck = tasks.filter((t) => !t.done());
        if (stuck.length > 0) {
          for (const task of stuck) abandonTask(task);
          loop.callSoon(() => loop.stop());
          await loop.runForever();
        }
      }
    } finally {
      if (this.#setLoop) setEventLoop(null);
      this.#loop = null;
      this.#state = 'closed';
      loop.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  toString(): string {
    return `<Runner ${this.#state}>`;
  }

  [inspectCustom](): string {
    return this.toString();
  }

  #lazyInit(): L {
    if (this.#state === 'closed') throw new RuntimeError('Runner is closed');
    if (this.#state === 'initialized') return this.#loop as L;
    let loop: unknown;
    if (this.#loopFactory === null) {
      loop = getEventLoopPolicy().newEventLoop();
      setEventLoop(loop as AbstractEventLoop);
      this.#setLoop = true;
    } else {
      loop = this.#loopFactory();
      if (!(loop instanceof AbstractEventLoop)) {
        throw new TypeError(`Runner: loopFactory must return an event loop, got ${typeName(loop)}`);
      }
    }
    const lp = loop as L;
    if (this.#debug !== null) lp.setDebug(this.#debug);
    this.#loop = lp;
    this.#state = 'initialized';
    return lp;
  }
}

/**
 * asyncio.run: runs `main(loop)` on a new loop until it completes, cancels what is left, closes
 * the loop and resolves with main's result. Options: `loopFactory` (a function returning the
 * loop; default: the policy's newEventLoop), `debug`. RuntimeError('asyncio.run() cannot be
 * called from a running event loop') inside a running loop.
 */
export async function run<T, L extends AbstractEventLoop = BaseEventLoop>(main: RunMain<T, L>, options?: RunOptions<L>): Promise<T> {
  if (getRunningLoopOrNull() !== null) {
    throw new RuntimeError('asyncio.run() cannot be called from a running event loop');
  }
  const runner = new Runner<L>(checkOptions('run()', options) as RunOptions<L>);
  try {
    return await runner.run(main);
  } finally {
    await runner.close();
  }
}
