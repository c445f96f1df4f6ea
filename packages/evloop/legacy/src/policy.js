// Event loop policies and the current-loop accessors (reference §3.4).
//
// The policy is per JavaScript thread (the main thread and each worker have
// their own module instance, as asyncio's policy is process-wide but keeps a
// current loop per thread). `getEventLoop()` without a current loop throws,
// as Python 3.14 does (3.12/3.13 create one with a DeprecationWarning).

import { RuntimeError } from './errors.js';
import { threadName, typeName } from './internal.js';
import { AbstractEventLoop, EventLoop, getRunningLoopOrNull } from './loop.js';

/** The base class of policies; `setEventLoopPolicy` accepts its instances. */
export class AbstractEventLoopPolicy {
  /** This thread's current loop. */
  getEventLoop() {
    throw new TypeError(`${this.constructor.name} does not implement getEventLoop()`);
  }

  /** Sets (or clears, with null) this thread's current loop. */
  setEventLoop(_loop) {
    throw new TypeError(`${this.constructor.name} does not implement setEventLoop()`);
  }

  /** A new loop of the policy's kind. */
  newEventLoop() {
    throw new TypeError(`${this.constructor.name} does not implement newEventLoop()`);
  }
}

/**
 * The default policy: `newEventLoop()` is an `EventLoop` (SelectorEventLoop
 * on the default selector). Override `newEventLoop` to make every new loop
 * of a kind.
 */
export class DefaultEventLoopPolicy extends AbstractEventLoopPolicy {
  #loop = null;

  /** The current loop; RuntimeError "There is no current event loop in thread 'MainThread'." without one. */
  getEventLoop() {
    if (this.#loop === null) {
      throw new RuntimeError(`There is no current event loop in thread '${threadName()}'.`);
    }
    return this.#loop;
  }

  setEventLoop(loop) {
    if (loop !== null && !(loop instanceof AbstractEventLoop)) {
      throw new TypeError(`loop must be an instance of AbstractEventLoop or None, not '${typeName(loop)}'`);
    }
    this.#loop = loop;
  }

  newEventLoop() {
    return new EventLoop();
  }
}

let policy = null;

/** The current policy (a DefaultEventLoopPolicy until one is set). */
export function getEventLoopPolicy() {
  if (policy === null) policy = new DefaultEventLoopPolicy();
  return policy;
}

/** Sets the policy; null restores a fresh default policy. */
export function setEventLoopPolicy(newPolicy) {
  if (newPolicy !== null && !(newPolicy instanceof AbstractEventLoopPolicy)) {
    throw new TypeError(
      `policy must be an instance of AbstractEventLoopPolicy or None, not '${typeName(newPolicy)}'`,
    );
  }
  policy = newPolicy;
}

/** The running loop, else the policy's current loop (RuntimeError without one). */
export function getEventLoop() {
  return getRunningLoopOrNull() ?? getEventLoopPolicy().getEventLoop();
}

/** Sets this thread's current loop through the policy (null clears it). */
export function setEventLoop(loop) {
  getEventLoopPolicy().setEventLoop(loop);
}

/** A new loop from the policy: the platform's default loop unless a policy says otherwise. */
export function newEventLoop() {
  return getEventLoopPolicy().newEventLoop();
}
