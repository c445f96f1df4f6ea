// What the toolkit needs beside Future and Task (core/futures.ts, whose task.cancel(msg) cancels
// the evloop Future the task awaits, asyncio's `_fut_waiter`): the running loop, asyncio's
// ensure_future for an awaitable argument, and the loop a set of awaitables belongs to.

import type { BaseLoop } from '../base-loop.js';
import { Future } from '../futures.js';
import { getRunningLoop } from '../running.js';
import { isThenable, typeName } from '../values.js';

export { currentTask } from '../futures.js';

/**
 * An awaitable argument (`aw`): a Future or Task of this package, a promise (any PromiseLike),
 * or a coroutine function (`() => Promise`) that the call runs in a new task. Only the Task
 * forms can be cancelled from outside: a JavaScript promise has no way to be stopped.
 */
export type Awaitable<T> = Future<T> | PromiseLike<T> | (() => PromiseLike<T> | T);

/** The running loop, as the package's BaseLoop. */
export function runningLoop(): BaseLoop {
  return getRunningLoop();
}

/**
 * asyncio.ensure_future: a Future or Task is returned as is; a coroutine function runs in a new
 * task of `loop`; a promise gets a Future of `loop` that follows it (cancelling that Future
 * stops nobody: the promise goes on, and its outcome is then ignored). TypeError otherwise.
 */
export function ensureFuture<T>(call: string, aw: Awaitable<T>, loop: BaseLoop): Future<T> {
  if (aw instanceof Future) return aw;
  if (typeof aw === 'function') return loop.createTask(aw as () => PromiseLike<T> | T);
  if (isThenable(aw)) {
    const fut = loop.createFuture<T>();
    aw.then(
      (value) => {
        if (!fut.done()) fut.setResult(value);
      },
      (exc: unknown) => {
        if (!fut.done()) fut.setException(exc instanceof Error ? exc : new Error(String(exc)));
      },
    );
    return fut;
  }
  throw new TypeError(`${call}(): an awaitable (a Future, a promise or an async function) is required, got ${typeName(aw)}`);
}

/** The loop of the first Future among `aws`, else the running loop (asyncio's gather/wait rule). */
export function loopOf(aws: readonly unknown[]): BaseLoop {
  for (const aw of aws) if (aw instanceof Future) return aw.getLoop() as BaseLoop;
  return runningLoop();
}
