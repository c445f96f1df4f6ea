// asyncio.shield: await something without letting a cancellation of the awaiting task reach it.

import { Future } from '../futures.js';
import { type Awaitable, ensureFuture, runningLoop } from './tasks.js';

/**
 * asyncio.shield: a Future that follows `aw` (run in a new task if it is a coroutine function).
 * Cancelling the returned Future (as cancelling the task awaiting it does) leaves `aw` running;
 * cancelling `aw` itself cancels the returned Future. An `aw` already done is returned as is.
 */
export function shield<T>(aw: Awaitable<T>): Future<T> {
  const inner = ensureFuture('shield', aw, aw instanceof Future ? (aw.getLoop() as ReturnType<typeof runningLoop>) : runningLoop());
  if (inner.done()) return inner;
  const outer = inner.getLoop().createFuture<T>();
  const onInnerDone = (): void => {
    if (outer.cancelled()) {
      if (!inner.cancelled()) inner.exception(); // retrieved: nobody else will look
      return;
    }
    if (inner.cancelled()) {
      outer.cancel();
      return;
    }
    const exc = inner.exception();
    if (exc !== null) outer.setException(exc);
    else outer.setResult(inner.result());
  };
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(() => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  });
  return outer;
}
