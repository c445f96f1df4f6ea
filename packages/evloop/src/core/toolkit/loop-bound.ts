// asyncio's `_LoopBoundMixin`: a queue or lock made outside any loop binds to the loop that
// first makes it wait, and refuses any other loop afterwards (its waiters are that loop's
// futures). A simulated host is a loop like any other: a Lock shared by two hosts is refused.

import type { BaseLoop } from '../base-loop.js';
import { RuntimeError } from '../errors.js';
import { runningLoop } from './tasks.js';

export abstract class LoopBound {
  #loop: BaseLoop | null = null;

  /** The loop this object waits on: the running one, bound on first use. */
  protected loop(): BaseLoop {
    const loop = runningLoop();
    if (this.#loop === null) this.#loop = loop;
    if (loop !== this.#loop) throw new RuntimeError(`${String(this)} is bound to a different event loop`);
    return loop;
  }
}
