// Reaching a loop from other threads (Node workers): callSoonThreadsafe.
//
// A JS function cannot cross threads, so the loop's thread registers the callback
// (`loop.createRemote(callback)`) and hands out a numeric token; another thread makes a
// LoopRemote from the token and sends arguments, which are copied with the structured clone
// algorithm (`node:v8`) and delivered to the callback on the loop's thread, in a coming
// iteration.

import { deserialize, serialize } from 'node:v8';
import { NativeLoopRemote, type NativeEventLoop, ThreadsafeHandle } from '../../native/index.js';
import type { LoopDriver } from '../core/backend.js';
import { fromNative, RuntimeError } from '../core/errors.js';
import { inspectCustom } from '../core/format.js';
import type { AnyCallback } from '../core/handles.js';
import { typeName } from '../core/values.js';

const kOwn = Symbol('evloop.LoopRemote');

/** A loop seen from any thread of the process, by token. */
export class LoopRemote<A extends unknown[] = unknown[]> {
  #native: NativeLoopRemote;
  /** The loop's native loop, for the remote `createRemote` returned (it may close the token). */
  #owner: NativeEventLoop | null;

  /** Use `loop.createRemote(callback)` or `LoopRemote.fromToken(token)`. */
  private constructor(key: typeof kOwn, native: NativeLoopRemote, owner: NativeEventLoop | null) {
    if (key !== kOwn) throw new TypeError('LoopRemote: use loop.createRemote() or LoopRemote.fromToken()');
    this.#native = native;
    this.#owner = owner;
  }

  /** The remote of a token made by `loop.createRemote()` (from any thread). */
  static fromToken<A extends unknown[] = unknown[]>(token: number): LoopRemote<A> {
    if (typeof token !== 'number') {
      throw new TypeError(`LoopRemote.fromToken(): token must be a number, got ${typeName(token)}`);
    }
    if (!Number.isSafeInteger(token) || token <= 0) {
      throw new RangeError(`LoopRemote.fromToken(): token must be a positive integer, got ${token}`);
    }
    try {
      return new LoopRemote<A>(kOwn, NativeLoopRemote.fromToken(token), null);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** @internal The remote `loop.createRemote()` returns, for a token of `owner`. */
  static own<A extends unknown[]>(owner: NativeEventLoop, token: number): LoopRemote<A> {
    return new LoopRemote<A>(kOwn, NativeLoopRemote.fromToken(token), owner);
  }

  /** @internal Runs on the loop's thread: a message for `callback`. */
  static deliver(driver: LoopDriver, callback: AnyCallback, buffer: Uint8Array): void {
    let args: unknown[] = [];
    try {
      args = deserialize(buffer) as unknown[];
      callback(...(args as never[]));
    } catch (exc) {
      // As a callback's error: reported with `Exception in callback cb(args)`, or the run ends.
      driver.callbackError(exc, undefined, callback, args);
    }
  }

  /** The number to pass to another thread (postMessage it, then `LoopRemote.fromToken`). */
  get token(): number {
    return this.#native.token;
  }

  /**
   * Calls the loop's callback with copies of `args` on the loop's thread, in a coming
   * iteration, waking the loop if it waits. Returns a handle whose `cancel()` is safe from any
   * thread.
   */
  callSoonThreadsafe(...args: A): ThreadsafeHandle {
    let bytes: Buffer;
    try {
      bytes = serialize(args);
    } catch (e) {
      // A function, a symbol, a native object: what structured clone cannot copy.
      throw new TypeError(`LoopRemote.callSoonThreadsafe(): arguments must be structured-cloneable: ${(e as Error).message}`);
    }
    try {
      return this.#native.send(bytes);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Calls `loop.stop()` on the loop's thread, waking it. */
  stop(): ThreadsafeHandle {
    try {
      return this.#native.stop();
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Invalidates the token (on the loop's thread, for the remote `createRemote` returned). */
  close(): void {
    if (this.#owner === null) {
      throw new RuntimeError('LoopRemote.close(): only the remote returned by loop.createRemote() can close it');
    }
    this.#owner.closeRemote(this.token);
  }

  toString(): string {
    return `<LoopRemote token=${this.#native.token}>`;
  }

  [inspectCustom](): string {
    return this.toString();
  }
}

// The addon's class has no repr of its own: give it asyncio's, as every public class has one.
for (const key of ['toString', inspectCustom] as const) {
  Object.defineProperty(ThreadsafeHandle.prototype, key, {
    value(this: ThreadsafeHandle): string {
      return this.cancelled() ? '<ThreadsafeHandle cancelled>' : '<ThreadsafeHandle>';
    },
    writable: true,
    configurable: true,
  });
}

export { ThreadsafeHandle };
