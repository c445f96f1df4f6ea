// asyncio.wait_for (3.12+): await `aw` under a timeout() of the current task; at the deadline
// the task's await of `aw` is cancelled, and so `aw` itself when it is a Task or Future, and
// the call rejects with TimeoutError once `aw` has finished cancelling.

import { CancelledError, TimeoutError } from '../errors.js';
import type { Future } from '../futures.js';
import { typeName } from '../values.js';
import { type Awaitable, ensureFuture, runningLoop } from './tasks.js';
import { timeout } from './timeouts.js';

/** Cancels `fut` and waits until it is done, whatever its outcome. */
export async function cancelAndWait<T>(fut: Future<T>): Promise<void> {
  const loop = fut.getLoop();
  const waiter = loop.createFuture<void>();
  const release = (): void => {
    if (!waiter.done()) waiter.setResult(undefined);
  };
  fut.addDoneCallback(release);
  try {
    fut.cancel();
    await waiter;
  } finally {
    fut.removeDoneCallback(release);
  }
}

/**
 * asyncio.wait_for: resolves as `aw` does, or rejects with TimeoutError after `timeoutSec`
 * seconds (null: no limit), cancelling `aw` (a Task or Future; a coroutine function runs in a
 * new task, which is cancelled). A promise cannot be stopped: its outcome is then ignored.
 * RuntimeError outside a task, as asyncio.timeout().
 */
export async function waitFor<T>(aw: Awaitable<T>, timeoutSec: number | null): Promise<T> {
  if (timeoutSec !== null && typeof timeoutSec !== 'number') {
    throw new TypeError(`waitFor(): timeout must be a number or null, got ${typeName(timeoutSec)}`);
  }
  const loop = runningLoop();
  const fut = ensureFuture('waitFor', aw, loop);
  if (timeoutSec !== null && timeoutSec <= 0) {
    // No time at all: the result if it is there, else cancel and report the timeout.
    if (fut.done()) return fut.result();
    await cancelAndWait(fut);
    try {
      return fut.result();
    } catch (e) {
      if (e instanceof CancelledError) throw new TimeoutError(undefined, { cause: e });
      throw e;
    }
  }
  return timeout(timeoutSec).run(async () => await fut);
}
