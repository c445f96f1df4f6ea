// Types of the package `evloop` (Node).
export * from './errors.js';

/** A callback scheduled with `callSoon`. */
export interface Handle {
  /** Cancels the callback: it will not run. Idempotent. */
  cancel(): void;
  cancelled(): boolean;
}

/** A callback scheduled with `callLater` or `callAt`. */
export interface TimerHandle extends Handle {
  /** The loop time the callback is scheduled for, in seconds. */
  when(): number;
}

/** asyncio's event loop, driven from Node's own event loop (never blocking it). */
export declare class EventLoop {
  constructor();
  /** The loop's monotonic clock, in seconds. */
  time(): number;
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle;
  callLater<A extends unknown[]>(delay: number, callback: (...args: A) => unknown, ...args: A): TimerHandle;
  callAt<A extends unknown[]>(when: number, callback: (...args: A) => unknown, ...args: A): TimerHandle;
  /** Runs until `stop()`; resolves once the loop has stopped. */
  runForever(): Promise<void>;
  /** Runs until `future` settles; rejects with RuntimeError if the loop stops first. */
  runUntilComplete<T>(future: PromiseLike<T>): Promise<T>;
  stop(): void;
  close(): void;
  isRunning(): boolean;
  isClosed(): boolean;
}

/** A new event loop on the platform's default selector. */
export declare function newEventLoop(): EventLoop;

/** The version of the evloop core the addon was built from. */
export declare function coreVersion(): string;
