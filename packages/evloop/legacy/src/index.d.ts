// Types of the package `evloop` (Node): asyncio's event loop (CPython 3.13
// semantics) in Rust, driven from Node's own libuv loop. docs/node.md maps
// each name to asyncio.
export * from './errors.js';

/** A callback scheduled with `callSoon` (or registered with `addReader`/`addWriter`). */
export declare class Handle {
  /** Handles are made by the loop (`callSoon`, ...), not by user code. */
  protected constructor();
  /** Cancels the callback: it will not run, and its references are dropped. Idempotent. */
  cancel(): void;
  cancelled(): boolean;
}

/** A callback scheduled with `callLater` or `callAt` (a Handle, as in asyncio). */
export declare class TimerHandle extends Handle {
  protected constructor();
  /** The loop time the callback is scheduled for, in seconds. */
  when(): number;
}

/** A call queued from another thread by `LoopRemote.callSoonThreadsafe`; `cancel()` is safe from any thread. */
export declare class ThreadsafeHandle {
  private constructor();
  cancel(): void;
  cancelled(): boolean;
}

/**
 * The context of an error report (asyncio's context dict). Callback errors
 * give `{ message, exception, handle }`; `callExceptionHandler` passes any
 * object through unchanged.
 */
export interface ExceptionContext {
  message?: string;
  exception?: unknown;
  handle?: Handle | TimerHandle;
  future?: Future<unknown>;
  task?: Task<unknown>;
  [key: string]: unknown;
}

/** `handler(loop, context)`, as asyncio calls it. */
export type ExceptionHandler = (loop: AbstractEventLoop, context: ExceptionContext) => void;

/** Anything with a `fileno()` method is accepted where an fd is. */
export interface FileLike {
  fileno(): number;
}

/** Selector names: "default" (epoll on Linux, kqueue on macOS), "epoll"/"kqueue", "poll", "select". */
export type SelectorName = 'default' | 'epoll' | 'kqueue' | 'poll' | 'select';

export interface SelectorEventLoopOptions {
  /** The readiness back end; unknown names throw ValueError. Default "default". */
  selector?: SelectorName;
}

/** The interface of every event loop (asyncio's AbstractEventLoop). */
export declare abstract class AbstractEventLoop {
  /** The loop's monotonic clock, in seconds. */
  abstract time(): number;
  abstract callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle;
  abstract callSoonThreadsafe<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle;
  abstract callLater<A extends unknown[]>(delay: number, callback: (...args: A) => unknown, ...args: A): TimerHandle;
  abstract callAt<A extends unknown[]>(when: number, callback: (...args: A) => unknown, ...args: A): TimerHandle;
  abstract runForever(): Promise<void>;
  abstract runUntilComplete<T>(future: PromiseLike<T> | Future<T>): Promise<T>;
  abstract stop(): void;
  abstract close(): void;
  abstract isRunning(): boolean;
  abstract isClosed(): boolean;
  abstract createFuture<T = unknown>(): Future<T>;
  abstract createTask<T>(coro: (() => PromiseLike<T> | T) | PromiseLike<T>, options?: TaskOptions): Task<T>;
  abstract setExceptionHandler(handler: ExceptionHandler | null): void;
  abstract getExceptionHandler(): ExceptionHandler | null;
  abstract callExceptionHandler(context: ExceptionContext): void;
  abstract defaultExceptionHandler(context: ExceptionContext): void;
  abstract setDebug(enabled: boolean): void;
  abstract getDebug(): boolean;
  abstract slowCallbackDuration: number;
  abstract addReader<A extends unknown[]>(fd: number | FileLike, callback: (...args: A) => unknown, ...args: A): void;
  abstract addWriter<A extends unknown[]>(fd: number | FileLike, callback: (...args: A) => unknown, ...args: A): void;
  abstract removeReader(fd: number | FileLike): boolean;
  abstract removeWriter(fd: number | FileLike): boolean;
}

/**
 * asyncio's SelectorEventLoop, driven from Node's own event loop (it never
 * blocks Node). `new SelectorEventLoop({ selector: "poll" })`.
 */
export declare class SelectorEventLoop extends AbstractEventLoop {
  constructor(options?: SelectorEventLoopOptions);
  /** The selector in use: "epoll", "kqueue", "poll" or "select". */
  readonly selector: 'epoll' | 'kqueue' | 'poll' | 'select';
  time(): number;
  /** Runs `callback(...args)` in the next iteration, after those queued before (FIFO). */
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle;
  /**
   * `callSoon` that wakes the loop, from the loop's own thread. Other threads
   * (workers) use a LoopRemote: see `createRemote`.
   */
  callSoonThreadsafe<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle;
  /** Runs `callback(...args)` after `delay` seconds (negative: due now). */
  callLater<A extends unknown[]>(delay: number, callback: (...args: A) => unknown, ...args: A): TimerHandle;
  /** Runs `callback(...args)` at loop time `when` (seconds, as `time()`). */
  callAt<A extends unknown[]>(when: number, callback: (...args: A) => unknown, ...args: A): TimerHandle;
  /** Runs until `stop()`; resolves once the loop has stopped, rejects with a SystemExit/KeyboardInterrupt a callback threw. */
  runForever(): Promise<void>;
  /**
   * Runs until `future` is done; resolves with its result or rejects with its
   * error. RuntimeError('Event loop stopped before Future completed.') if the
   * loop stops first; ValueError for a Future of another loop; TypeError for a
   * non-awaitable.
   */
  runUntilComplete<T>(future: PromiseLike<T> | Future<T>): Promise<T>;
  /** Stops the loop after the current iteration (not an error when it is not running). */
  stop(): void;
  /** Closes the loop; pending callbacks are dropped. RuntimeError while running. */
  close(): void;
  isRunning(): boolean;
  isClosed(): boolean;
  /** A new Future of this loop (allowed on a closed loop). */
  createFuture<T = unknown>(): Future<T>;
  /** A Task running `coro` (an async function called in the next iteration, or a PromiseLike). */
  createTask<T>(coro: (() => PromiseLike<T> | T) | PromiseLike<T>, options?: TaskOptions): Task<T>;
  /**
   * A LoopRemote for other threads: post its `token` to a worker, which calls
   * `LoopRemote.fromToken(token).callSoonThreadsafe(...args)`; `callback(...args)`
   * then runs here with copies of the arguments.
   */
  createRemote<A extends unknown[]>(callback?: ((...args: A) => unknown) | null): LoopRemote<A>;
  setExceptionHandler(handler: ExceptionHandler | null): void;
  getExceptionHandler(): ExceptionHandler | null;
  callExceptionHandler(context: ExceptionContext): void;
  defaultExceptionHandler(context: ExceptionContext): void;
  setDebug(enabled: boolean): void;
  getDebug(): boolean;
  /** A simulation's fault point (`evloop/sim`): always false on a real loop (the arguments are checked). */
  buggify(name: string, p?: number): boolean;
  /** In debug mode, callbacks taking at least this many seconds are reported (default 0.1). */
  slowCallbackDuration: number;
  /** Calls `callback(...args)` whenever `fd` is readable, until `removeReader(fd)`. */
  addReader<A extends unknown[]>(fd: number | FileLike, callback: (...args: A) => unknown, ...args: A): void;
  /** Calls `callback(...args)` whenever `fd` is writable, until `removeWriter(fd)`. */
  addWriter<A extends unknown[]>(fd: number | FileLike, callback: (...args: A) => unknown, ...args: A): void;
  /** Stops watching `fd` for reading; whether a reader was registered (false on a closed loop). */
  removeReader(fd: number | FileLike): boolean;
  /** Stops watching `fd` for writing; whether a writer was registered (false on a closed loop). */
  removeWriter(fd: number | FileLike): boolean;
}

/** The platform's default loop class: SelectorEventLoop (asyncio.EventLoop on Unix). */
export declare const EventLoop: typeof SelectorEventLoop;
export type EventLoop = SelectorEventLoop;

declare const ProactorEventLoopBase: new () => Omit<SelectorEventLoop, 'selector'>;

/**
 * asyncio's ProactorEventLoop, on Linux's io_uring (docs/proactor.md):
 * accepting, receiving, sending and connecting are operations submitted to
 * the kernel whose completions run the callbacks; the rest of the API is
 * SelectorEventLoop's (addReader/addWriter included). Where io_uring is not
 * available it throws: an OSError saying why (NotImplementedError off Linux).
 */
export declare class ProactorEventLoop extends ProactorEventLoopBase {
  constructor();
  /** Always "io_uring". */
  readonly selector: 'io_uring';
}

/** asyncio's Future: a result set later. Awaitable (thenable). */
export declare class Future<T = unknown> implements PromiseLike<T> {
  /** A future of `loop` (default: `getEventLoop()`). */
  constructor(loop?: AbstractEventLoop);
  getLoop(): AbstractEventLoop;
  done(): boolean;
  cancelled(): boolean;
  /** The result; throws its error, CancelledError, or InvalidStateError('Result is not set.'). */
  result(): T;
  /** Its error or null; throws CancelledError, or InvalidStateError('Exception is not set.'). */
  exception(): unknown;
  /** InvalidStateError('invalid state') when already done. */
  setResult(value: T): void;
  /** An Error (or an Error class, instantiated); InvalidStateError('invalid state') when done. */
  setException(exception: unknown): void;
  /** Cancels: awaiters reject with CancelledError(msg). False if already done. */
  cancel(msg?: string): boolean;
  /** `callback(future)` runs through `loop.callSoon` once the future is done. */
  addDoneCallback(callback: (future: this) => unknown): void;
  /** Removes every registration of `callback`; returns how many. */
  removeDoneCallback(callback: (future: this) => unknown): number;
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2>;
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R>;
  finally(onFinally?: (() => void) | null): Promise<T>;
  readonly [Symbol.toStringTag]: string;
}

export interface TaskOptions {
  name?: string;
}

/**
 * asyncio's Task. The async function runs from the next iteration.
 * `cancel(msg)` cancels at once (JS promises cannot be interrupted): the
 * task is done and cancelled, awaiters reject with CancelledError, and
 * `signal` aborts; the function's later outcome is ignored.
 */
export declare class Task<T = unknown> extends Future<T> {
  constructor(coro: (() => PromiseLike<T> | T) | PromiseLike<T>, options?: TaskOptions & { loop?: AbstractEventLoop });
  /** Aborted (reason: the CancelledError) when the task is cancelled. */
  readonly signal: AbortSignal;
  getName(): string;
  setName(name: string): void;
  /** Always RuntimeError: a task completes itself. */
  setResult(value: T): never;
  /** Always RuntimeError: a task completes itself. */
  setException(exception: unknown): never;
}

/** Whether `value` is a Future (or Task) of this package. */
export declare function isFuture(value: unknown): value is Future<unknown>;

/** The pending tasks of `loop` (default: the running loop). */
export declare function allTasks(loop?: AbstractEventLoop): Set<Task<unknown>>;

/** A Future of the running loop completing with `value` after `delay` seconds (asyncio.sleep). */
export declare function sleep(delay: number): Future<void>;
export declare function sleep<T>(delay: number, value: T): Future<T>;

/** The running loop of this thread; RuntimeError('no running event loop') without one. */
export declare function getRunningLoop(): EventLoop;

/** The base class of policies. */
export declare abstract class AbstractEventLoopPolicy {
  abstract getEventLoop(): AbstractEventLoop;
  abstract setEventLoop(loop: AbstractEventLoop | null): void;
  abstract newEventLoop(): AbstractEventLoop;
}

/**
 * The default policy: one current loop per thread; `newEventLoop()` makes an
 * `EventLoop`. Subclass it and override `newEventLoop` to choose the loops.
 */
export declare class DefaultEventLoopPolicy extends AbstractEventLoopPolicy {
  /** RuntimeError "There is no current event loop in thread 'MainThread'." when none is set. */
  getEventLoop(): AbstractEventLoop;
  /** TypeError for anything but a loop or null. */
  setEventLoop(loop: AbstractEventLoop | null): void;
  newEventLoop(): AbstractEventLoop;
}

export declare function getEventLoopPolicy(): AbstractEventLoopPolicy;
/** Sets the policy; null restores the default. TypeError for anything else. */
export declare function setEventLoopPolicy(policy: AbstractEventLoopPolicy | null): void;
/** The running loop, else the policy's current loop (3.14: RuntimeError when none is set). */
export declare function getEventLoop(): EventLoop;
/** Sets this thread's current loop (null clears it); TypeError for a non-loop. */
export declare function setEventLoop(loop: AbstractEventLoop | null): void;
/** A new loop from the policy: the platform's default loop (EventLoop) by default. */
export declare function newEventLoop(): EventLoop;

export interface RunOptions {
  /** Makes the loop (default: the policy's `newEventLoop()`, set as the current loop meanwhile). */
  loopFactory?: (() => AbstractEventLoop) | null;
  /** Sets the loop's debug mode. */
  debug?: boolean | null;
}

/** asyncio.Runner: one loop for several `run` calls, then `close()`. */
export declare class Runner {
  constructor(options?: RunOptions);
  /** RuntimeError('Runner is closed') after close(). */
  getLoop(): EventLoop;
  /** Runs `main(loop)` (or waits for a PromiseLike) as a task until it completes. */
  run<T>(main: ((loop: EventLoop) => PromiseLike<T> | T) | PromiseLike<T>): Promise<T>;
  /** Cancels pending tasks, closes the loop. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * asyncio.run: `main(loop)` on a new loop until it completes; pending tasks
 * are cancelled and the loop closed. RuntimeError('asyncio.run() cannot be
 * called from a running event loop') inside a running loop.
 */
export declare function run<T>(main: ((loop: EventLoop) => PromiseLike<T> | T) | PromiseLike<T>, options?: RunOptions): Promise<T>;

/** A loop seen from any thread of the process (`loop.createRemote()`, `LoopRemote.fromToken()`). */
export declare class LoopRemote<A extends unknown[] = unknown[]> {
  private constructor();
  /** The remote of a token (RuntimeError once its loop closed or the remote was closed). */
  static fromToken<A extends unknown[] = unknown[]>(token: number): LoopRemote<A>;
  /** Pass it to another thread (`postMessage`). */
  readonly token: number;
  /** Calls the loop's callback with copies of `args` on the loop's thread, waking the loop. */
  callSoonThreadsafe(...args: A): ThreadsafeHandle;
  /** `loop.stop()` on the loop's thread, waking the loop. */
  stop(): ThreadsafeHandle;
  /** Invalidates the token (only the remote `createRemote` returned). */
  close(): void;
}

/** The version of the evloop core the addon was built from. */
export declare function coreVersion(): string;
export * from './net.js';
