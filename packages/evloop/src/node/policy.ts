// Event loop policies and the current-loop accessors (reference §3.4).
//
// The policy is per JavaScript thread (the main thread and each worker have their own module
// instance, as asyncio's policy is process-wide but keeps a current loop per thread).
// `getEventLoop()` without a current loop throws, as Python 3.14 does (3.12/3.13 create one
// with a DeprecationWarning).

import { AbstractEventLoop, type BaseLoop } from '../core/base-loop.js';
import { RuntimeError } from '../core/errors.js';
import { inspectCustom } from '../core/format.js';
import { platform } from '../core/platform.js';
import { getRunningLoopOrNull, setDefaultLoopLookup } from '../core/running.js';
import { typeName } from '../core/values.js';
import { EventLoop } from './loop.js';

/** The base class of policies; `setEventLoopPolicy` accepts its instances. */
export abstract class AbstractEventLoopPolicy {
  // Not `abstract` methods: JavaScript can construct this class, and a subclass that forgets
  // one should say which (TypeScript still refuses `new AbstractEventLoopPolicy()`).

  /** This thread's current loop. */
  getEventLoop(): AbstractEventLoop {
    throw new TypeError(`${this.constructor.name} does not implement getEventLoop()`);
  }

  /** Sets (or clears, with null) this thread's current loop. */
  setEventLoop(_loop: AbstractEventLoop | null): void {
    throw new TypeError(`${this.constructor.name} does not implement setEventLoop()`);
  }

  /** A new loop of the policy's kind. */
  newEventLoop(): AbstractEventLoop {
    throw new TypeError(`${this.constructor.name} does not implement newEventLoop()`);
  }

  toString(): string {
    return `<${this.constructor.name}>`;
  }

  [inspectCustom](): string {
    return this.toString();
  }
}

/**
 * The default policy: one current loop per thread; `newEventLoop()` is an `EventLoop`
 * (SelectorEventLoop on the default selector). Override `newEventLoop` to make every new loop
 * of a kind.
 */
export class DefaultEventLoopPolicy extends AbstractEventLoopPolicy {
  #loop: AbstractEventLoop | null = null;

  /** The current loop; RuntimeError "There is no current event loop in thread 'MainThread'." without one. */
  override getEventLoop(): AbstractEventLoop {
    if (this.#loop === null) {
      throw new RuntimeError(`There is no current event loop in thread '${platform.threadName()}'.`);
    }
    return this.#loop;
  }

  /** TypeError for anything but a loop or null. */
  override setEventLoop(loop: AbstractEventLoop | null): void {
    if (loop !== null && !(loop instanceof AbstractEventLoop)) {
      throw new TypeError(`loop must be an instance of AbstractEventLoop or None, not '${typeName(loop)}'`);
    }
    this.#loop = loop;
  }

  override newEventLoop(): AbstractEventLoop {
    return new EventLoop();
  }
}

let policy: AbstractEventLoopPolicy | null = null;

/** The current policy (a DefaultEventLoopPolicy until one is set). */
export function getEventLoopPolicy(): AbstractEventLoopPolicy {
  if (policy === null) policy = new DefaultEventLoopPolicy();
  return policy;
}

/** Sets the policy; null restores a fresh default policy. TypeError for anything else. */
export function setEventLoopPolicy(newPolicy: AbstractEventLoopPolicy | null): void {
  if (newPolicy !== null && !(newPolicy instanceof AbstractEventLoopPolicy)) {
    throw new TypeError(`policy must be an instance of AbstractEventLoopPolicy or None, not '${typeName(newPolicy)}'`);
  }
  policy = newPolicy;
}

/**
 * The running loop, else the policy's current loop (3.14: RuntimeError when none is set): any
 * AbstractEventLoop, as a policy of your own may hold any.
 */
export function getEventLoop(): AbstractEventLoop {
  return getRunningLoopOrNull() ?? getEventLoopPolicy().getEventLoop();
}

/** Sets this thread's current loop through the policy (null clears it); TypeError for a non-loop. */
export function setEventLoop(loop: AbstractEventLoop | null): void {
  getEventLoopPolicy().setEventLoop(loop);
}

/** A new loop from the policy: the platform's default loop (EventLoop) unless a policy says otherwise. */
export function newEventLoop(): AbstractEventLoop {
  return getEventLoopPolicy().newEventLoop();
}

// `new Future()` without a loop, outside a running loop, takes the current loop.
setDefaultLoopLookup(() => getEventLoop() as unknown as BaseLoop);
