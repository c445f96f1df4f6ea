// Reaching a loop from other threads (Node workers): callSoonThreadsafe.
//
// A JS function cannot cross threads, so the loop's thread registers the
// callback (`loop.createRemote(callback)`) and hands out a numeric token;
// another thread makes a LoopRemote from the token and sends arguments,
// which are copied with the structured clone algorithm (`node:v8`) and
// delivered to the callback on the loop's thread, in a coming iteration.

import { deserialize, serialize } from 'node:v8';
import { NativeLoopRemote, ThreadsafeHandle } from '../../native/index.js';
import { fromNative, RuntimeError } from './errors.js';
import { formatCallback, isFatal, internal, typeName } from './internal.js';

const kOwn = Symbol('evloop.LoopRemote');

/** A loop seen from any thread of the process, by token. */
export class LoopRemote {
  #native;
  #loop;
  #callback;

  /** Use `loop.createRemote(callback)` or `LoopRemote.fromToken(token)`. */
  constructor(key, native, loop, callback) {
    if (key !== kOwn) throw new TypeError('LoopRemote: use loop.createRemote() or LoopRemote.fromToken()');
    this.#native = native;
    this.#loop = loop;
    this.#callback = callback;
  }

  /** The remote of a token made by `loop.createRemote()` (from any thread). */
  static fromToken(token) {
    if (typeof token !== 'number') {
      throw new TypeError(`LoopRemote.fromToken(): token must be a number, got ${typeName(token)}`);
    }
    if (!Number.isSafeInteger(token) || token <= 0) {
      throw new RangeError(`LoopRemote.fromToken(): token must be a positive integer, got ${token}`);
    }
    try {
      return new LoopRemote(kOwn, NativeLoopRemote.fromToken(token), null, null);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** @internal */
  static own(loop, token, callback) {
    return new LoopRemote(kOwn, NativeLoopRemote.fromToken(token), loop, callback);
  }

  /** @internal Runs on the loop's thread: a message for `callback`. */
  static deliver(loop, callback, buffer) {
    const args = deserialize(buffer);
    try {
      callback(...args);
    } catch (exc) {
      if (isFatal(exc)) {
        internal.raiseFatal(loop, exc);
        return;
      }
      loop.callExceptionHandler({ message: `Exception in callback ${formatCallback(callback, args)}`, exception: exc });
    }
  }

  /** The number to pass to another thread (postMessage it, then `LoopRemote.fromToken`). */
  get token() {
    return this.#native.token;
  }

  /**
   * Calls the loop's callback with copies of `args` on the loop's thread,
   * in a coming iteration, waking the loop if it waits. Returns a handle
   * whose `cancel()` is safe from any thread.
   */
  callSoonThreadsafe(...args) {
    let bytes;
    try {
      bytes = serialize(args);
    } catch (e) {
      // A function, a symbol, a native object: what structured clone cannot copy.
      throw new TypeError(`LoopRemote.callSoonThreadsafe(): arguments must be structured-cloneable: ${e.message}`);
    }
    try {
      return this.#native.send(bytes);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Calls `loop.stop()` on the loop's thread, waking it. */
  stop() {
    try {
      return this.#native.stop();
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Invalidates the token (on the loop's thread, for the remote `createRemote` returned). */
  close() {
    if (this.#loop === null) {
      throw new RuntimeError('LoopRemote.close(): only the remote returned by loop.createRemote() can close it');
    }
    internal.nativeOf(this.#loop).closeRemote(this.token);
  }
}

export { ThreadsafeHandle };
