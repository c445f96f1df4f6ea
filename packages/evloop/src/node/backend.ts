// The napi addon's NativeEventLoop as a LoopBackend (core/backend.ts). The addon keeps only the
// order and due times of callSoon entries and timers (crates/evloop-node/src/js_ready.rs); the
// handles live here, in a FIFO and a table of timers by id, and the addon's `runSoon` and
// `runTimer(id)` hooks say which one is due. That is the hot path (bench/bounds.md): per call,
// one plain native function call and one array store, no closure.

import { NativeEventLoop, setLogHook } from '../../native/index.js';
import type { LoopBackend, LoopDriver } from '../core/backend.js';
import { fromNative } from '../core/errors.js';
import { type AnyCallback, type Handle, handleSlot, setHandleSlot, type TimerHandle } from '../core/handles.js';
import { logRecord } from '../core/log.js';
import { LoopRemote } from './remote.js';
import { WorkerPoolExecutor } from './worker-pool.js';

// What the core logs (asyncio's logger.warning: "socket.send() raised exception.", ...) goes to
// the package's replaceable logger; each worker thread installs its own.
setLogHook(logRecord);

/** Compacts the callSoon FIFO once this many entries before its head ran. */
const SOON_COMPACT = 4096;

/** Runs `fn`, giving the package's error classes for the addon's errors. */
export function nativeCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e);
  }
}

type NativeArgs = readonly unknown[] | null | undefined;

/**
 * The addon's hooks: module-level, so holding them makes no cycle. The addon passes the owner
 * it was given (a NodeBackend, held weakly) first.
 */
const hooks = {
  callbackError(owner: NodeBackend, exc: unknown, handle: Handle | undefined, func: AnyCallback | undefined, args: NativeArgs): void {
    owner.driver.callbackError(exc, handle ?? undefined, func, args);
  },
  slowCallback(owner: NodeBackend, seconds: number, handle: Handle | undefined, func: AnyCallback | undefined, args: NativeArgs): void {
    owner.driver.slowCallback(seconds, handle ?? undefined, func, args);
  },
  context(owner: NodeBackend, context: Record<string, unknown>): void {
    // A core error (EMFILE on accept, ...) arrives with the addon's error code: give it its class.
    if (context.exception !== undefined) context.exception = fromNative(context.exception);
    owner.driver.report(context);
  },
  remoteCall(owner: NodeBackend, callback: AnyCallback, buffer: Uint8Array): void {
    LoopRemote.deliver(owner.driver, callback, buffer);
  },
  runSoon(owner: NodeBackend): void {
    owner.runSoon();
  },
  runTimer(owner: NodeBackend, id: number): void {
    owner.runTimer(id);
  },
} satisfies ConstructorParameters<typeof NativeEventLoop>[2];

/** One native loop: `selector` is a selector name or "proactor". */
export class NodeBackend implements LoopBackend {
  readonly clock = 'real';
  /** The addon's loop, for what only Node's loops do (runForever, readers, remotes, networking). */
  readonly native: NativeEventLoop;
  readonly driver: LoopDriver;
  /** Mirrors the native loop's closed state: read on every call that schedules. */
  #closed = false;
  /**
   * callSoon's FIFO: the native loop holds one entry per handle, in the same order, and runs the
   * one at `#soonHead`.
   */
  #soon: (Handle | undefined)[] = [];
  #soonHead = 0;
  /** Pending timers by id; ids of fired or cancelled timers are reused. */
  #timers: (TimerHandle | undefined)[] = [];
  #freeTimerIds: number[] = [];
  /** The addon's functions for callSoon and timers (js_ready.rs). */
  #enqueueSoon: () => void;
  #scheduleTimer: (id: number, at: number, relative: boolean) => number;
  #cancelTimer: (id: number) => boolean;
  /** The `process.on` listener of each watched signal, by name. */
  #signalListeners = new Map<string, () => void>();

  constructor(selector: string, driver: LoopDriver) {
    this.driver = driver;
    this.native = nativeCall(() => new NativeEventLoop(selector, this, hooks));
    const fast = this.native.fastCalls();
    this.#enqueueSoon = fast.enqueueSoon;
    this.#scheduleTimer = fast.scheduleTimer;
    this.#cancelTimer = fast.cancelTimer;
  }

  time(): number {
    return this.native.time();
  }

  scheduleSoon(handle: Handle): void {
    this.#enqueueSoon();
    this.#soon.push(handle);
  }

  cancelSoon(_handle: Handle): void {
    // Its FIFO entry stays: runHandle skips a cancelled handle when it comes up.
  }

  scheduleTimer(handle: TimerHandle, at: number, relative: boolean): number {
    const id = this.#freeTimerIds.length > 0 ? (this.#freeTimerIds.pop() as number) : this.#timers.length;
    let when: number;
    try {
      when = this.#scheduleTimer(id, at, relative);
    } catch (e) {
      this.#freeTimerIds.push(id);
      throw fromNative(e);
    }
    setHandleSlot(handle, id);
    this.#timers[id] = handle;
    return when;
  }

  cancelTimer(handle: TimerHandle): void {
    const id = handleSlot(handle) as number;
    if (this.#timers[id] !== handle) return;
    this.#timers[id] = undefined;
    this.#freeTimerIds.push(id);
    this.#cancelTimer(id);
  }

  /** The native loop reached the next callSoon entry. */
  runSoon(): void {
    const queue = this.#soon;
    const head = this.#soonHead;
    const handle = queue[head];
    queue[head] = undefined;
    if (head + 1 === queue.length) {
      queue.length = 0;
      this.#soonHead = 0;
    } else if (head + 1 >= SOON_COMPACT && (head + 1) * 2 >= queue.length) {
      // A loop that never drains its FIFO would otherwise keep every slot it ever used.
      queue.splice(0, head + 1);
      this.#soonHead = 0;
    } else {
      this.#soonHead = head + 1;
    }
    if (handle !== undefined) this.driver.runHandle(handle);
  }

  /** Timer `id` fell due. */
  runTimer(id: number): void {
    const handle = this.#timers[id];
    if (handle === undefined) return;
    this.#timers[id] = undefined;
    this.#freeTimerIds.push(id);
    this.driver.runHandle(handle);
  }

  stop(): void {
    this.native.stop();
  }

  close(): void {
    nativeCall(() => this.native.close());
    this.#closed = true;
    // The native loop dropped its entries: these will never run.
    this.#soon = [];
    this.#soonHead = 0;
    this.#timers = [];
    this.#freeTimerIds = [];
  }

  isRunning(): boolean {
    return this.native.isRunning();
  }

  isClosed(): boolean {
    return this.#closed;
  }

  raiseFatal(exc: unknown): void {
    this.native.raiseFatal(exc as object);
  }

  setDebug(enabled: boolean): void {
    this.native.setDebug(enabled);
  }

  setSlowCallbackDuration(seconds: number): void {
    this.native.slowCallbackDuration = seconds;
  }

  /**
   * Signals come through libuv's signal handles, as `process.on(name)` listeners: a program's
   * own `process.on` listeners keep running beside the loop's handler, and once the last
   * listener goes Node restores the default disposition (SIGINT and SIGTERM end the process).
   */
  newDefaultExecutor(): WorkerPoolExecutor {
    return new WorkerPoolExecutor();
  }

  watchSignal(_sig: number, name: string, deliver: (() => void) | null): void {
    const old = this.#signalListeners.get(name);
    if (old !== undefined) {
      process.off(name, old);
      this.#signalListeners.delete(name);
    }
    if (deliver === null) return;
    try {
      process.on(name, deliver);
    } catch (e) {
      // libuv refuses the signal (uv_signal_start EINVAL).
      throw fromNative(e);
    }
    this.#signalListeners.set(name, deliver);
  }
}
