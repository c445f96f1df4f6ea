// asyncio.Runner and asyncio.run (reference §2.10).

import { RuntimeError } from './errors.js';
import { internal, isThenable, typeName } from './internal.js';
import { AbstractEventLoop, getRunningLoopOrNull } from './loop.js';
import { getEventLoopPolicy, setEventLoop } from './policy.js';

const CREATED = 'created';
const INITIALIZED = 'initialized';
const CLOSED = 'closed';

function checkOptions(call, options) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') {
    throw new TypeError(`${call}: options must be an object, got ${typeName(options)}`);
  }
  const { loopFactory, debug } = options;
  if (loopFactory !== undefined && loopFactory !== null && typeof loopFactory !== 'function') {
    throw new TypeError(`${call}: option loopFactory must be a function, got ${typeName(loopFactory)}`);
  }
  if (debug !== undefined && debug !== null && typeof debug !== 'boolean') {
    throw new TypeError(`${call}: option debug must be a boolean, got ${typeName(debug)}`);
  }
  return { loopFactory: loopFactory ?? null, debug: debug ?? null };
}

/**
 * One loop, several `run` calls, then `close()`: asyncio.Runner. Without a
 * `loopFactory` the loop comes from the policy and is set as the current
 * loop while the runner is open.
 */
export class Runner {
  #loopFactory;
  #debug;
  #loop = null;
  #state = CREATED;
  #setLoop = false;

  constructor(options = undefined) {
    const { loopFactory = null, debug = null } = checkOptions('Runner()', options);
    this.#loopFactory = loopFactory;
    this.#debug = debug;
  }

  /** The loop, created on first use. RuntimeError('Runner is closed') after close(). */
  getLoop() {
    this.#lazyInit();
    return this.#loop;
  }

  /**
   * Runs `main` as a task until it completes; resolves with its result.
   * `main` is an async function, called with the loop, or a PromiseLike.
   */
  async run(main) {
    if (getRunningLoopOrNull() !== null) {
      throw new RuntimeError('Runner.run() cannot be called from a running event loop');
    }
    if (typeof main !== 'function' && !isThenable(main)) {
      throw new TypeError('An asyncio.Future, a coroutine or an awaitable is required');
    }
    this.#lazyInit();
    const loop = this.#loop;
    const task = loop.createTask(typeof main === 'function' ? () => main(loop) : main);
    return await loop.runUntilComplete(task);
  }

  /**
   * Cancels the tasks still pending (one iteration runs their done
   * callbacks), unsets the current loop if the runner set it, and closes
   * the loop. Closing twice is fine.
   */
  async close() {
    if (this.#state !== INITIALIZED) {
      this.#state = CLOSED;
      return;
    }
    const loop = this.#loop;
    try {
      const tasks = [...(internal.tasksOf(loop) ?? [])];
      for (const task of tasks) task.cancel();
      if (tasks.length > 0) {
        loop.callSoon(() => loop.stop());
        await loop.runForever();
      }
    } finally {
      if (this.#setLoop) setEventLoop(null);
      this.#loop = null;
      this.#state = CLOSED;
      loop.close();
    }
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }

  #lazyInit() {
    if (this.#state === CLOSED) throw new RuntimeError('Runner is closed');
    if (this.#state === INITIALIZED) return;
    let loop;
    if (this.#loopFactory === null) {
      loop = getEventLoopPolicy().newEventLoop();
      setEventLoop(loop);
      this.#setLoop = true;
    } else {
      loop = this.#loopFactory();
      if (!(loop instanceof AbstractEventLoop)) {
        throw new TypeError(`Runner: loopFactory must return an event loop, got ${typeName(loop)}`);
      }
    }
    if (this.#debug !== null) loop.setDebug(this.#debug);
    this.#loop = loop;
    this.#state = INITIALIZED;
  }
}

/**
 * asyncio.run: runs `main(loop)` on a new loop until it completes, cancels
 * what is left, closes the loop and resolves with main's result. Options:
 * `loopFactory` (a function returning the loop; default: the policy's
 * newEventLoop), `debug`.
 */
export async function run(main, options = undefined) {
  if (getRunningLoopOrNull() !== null) {
    throw new RuntimeError('asyncio.run() cannot be called from a running event loop');
  }
  const runner = new Runner(checkOptions('run()', options));
  try {
    return await runner.run(main);
  } finally {
    await runner.close();
  }
}
