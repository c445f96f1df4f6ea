// Node's loop classes: asyncio's SelectorEventLoop and ProactorEventLoop over the napi addon,
// which runs them from Node's own libuv loop (docs/node.md, docs/architecture.md). What every
// loop does is BaseLoop's and NetLoop's (core/); here is what only a native loop has: running
// (runForever's promise), readers and writers on fds, remotes for other threads, the selector.

import { fromNative, NotImplementedError, RuntimeError, ValueError } from '../core/errors.js';
import { formatCallback } from '../core/format.js';
import type { FileLike } from '../core/base-loop.js';
import { checkCallable } from '../core/base-loop.js';
import { Future, isFuture } from '../core/futures.js';
import { cancelHandleQuietly, descriptions, Handle, kHandle } from '../core/handles.js';
import type { NetBackend } from '../core/net/backend.js';
import { NetLoop } from '../core/net/net-loop.js';
import { repr } from '../core/platform.js';
import { getRunningLoopOrNull, setRunningLoop } from '../core/running.js';
import { isCoroutineFunction, isFatal, isThenable, typeName } from '../core/values.js';
import { nativeCall, NodeBackend } from './backend.js';
import { nativeNetBackend } from './net-backend.js';
import './platform.js';
import { LoopRemote } from './remote.js';

/** Selector names: "default" (epoll on Linux, kqueue on macOS), "epoll"/"kqueue", "poll", "select". */
export type SelectorName = 'default' | 'epoll' | 'kqueue' | 'poll' | 'select';

export interface SelectorEventLoopOptions {
  /** The readiness back end; unknown names throw ValueError. Default "default". */
  selector?: SelectorName;
}

const SELECTORS: readonly string[] =
  process.platform === 'linux' ? ['default', 'epoll', 'poll', 'select'] : ['default', 'kqueue', 'poll', 'select'];

function selectorOption(options: unknown): string {
  if (options === undefined || options === null) return 'default';
  if (typeof options !== 'object') {
    throw new TypeError(`SelectorEventLoop(): options must be an object, got ${typeName(options)}`);
  }
  const selector: unknown = (options as { selector?: unknown }).selector ?? 'default';
  if (typeof selector !== 'string') {
    throw new TypeError(`SelectorEventLoop(): option selector must be a string, got ${typeName(selector)}`);
  }
  if (!SELECTORS.includes(selector)) {
    throw new ValueError(
      `SelectorEventLoop(): unknown selector ${repr(selector)}; option selector must be one of ${SELECTORS.map((s) => `"${s}"`).join(', ')}`,
    );
  }
  return selector;
}

/** An fd number, or an object's `fileno()` (asyncio's `_fileobj_to_fd`). */
function fdOf(call: string, fd: unknown): number {
  if (fd !== null && typeof fd === 'object' && typeof (fd as Partial<FileLike>).fileno === 'function') {
    const n: unknown = (fd as FileLike).fileno();
    if (typeof n !== 'number') {
      throw new ValueError(`${call}(): Invalid file object: ${repr(fd)}`);
    }
    return n;
  }
  // The addon checks the number (and says so in the call's words).
  return fd as number;
}

/** Passed by the loop classes to the shared base class; nothing else can. */
const kBackend = Symbol('evloop.backend');

type Settle = { resolve: () => void; reject: (err: unknown) => void };

/**
 * What every native loop class shares (asyncio's BaseEventLoop): the native loop, readers and
 * writers, the runForever promise. `SelectorEventLoop` and `ProactorEventLoop` are the classes
 * to use.
 */
export class BaseEventLoop extends NetLoop {
  readonly #backend: NodeBackend;
  readonly #net: NetBackend;
  /** fd -> [reader handle, writer handle]: keeps them for reports. */
  #io = new Map<number, [Handle | undefined, Handle | undefined]>();

  /** `backend`: a selector name, or "proactor". */
  constructor(token: typeof kBackend, backend: string) {
    super();
    if (token !== kBackend) throw new TypeError('BaseEventLoop is abstract: use SelectorEventLoop or ProactorEventLoop');
    this.#backend = new NodeBackend(backend, this.driver);
    this.#net = nativeNetBackend(this.#backend.native);
  }

  protected override get backend(): NodeBackend {
    return this.#backend;
  }

  protected override get net(): NetBackend {
    return this.#net;
  }

  /** The mechanism in use: "epoll", "kqueue", "poll", "select" or "io_uring". */
  get selector(): string {
    return this.#backend.native.selector;
  }

  // -------------------------------------------------------- readers and writers

  /** Calls `callback(...args)` whenever `fd` is readable, until `removeReader(fd)`. */
  addReader<A extends unknown[]>(fd: number | FileLike, callback: (...args: A) => unknown, ...args: A): void {
    this.#addIo('addReader', 0, fd, callback, args);
  }

  /** Calls `callback(...args)` whenever `fd` is writable, until `removeWriter(fd)`. */
  addWriter<A extends unknown[]>(fd: number | FileLike, callback: (...args: A) => unknown, ...args: A): void {
    this.#addIo('addWriter', 1, fd, callback, args);
  }

  /** Stops watching `fd` for reading; whether a reader was registered (false on a closed loop). */
  removeReader(fd: number | FileLike): boolean {
    return this.#removeIo('removeReader', 0, fd);
  }

  /** Stops watching `fd` for writing; whether a writer was registered (false on a closed loop). */
  removeWriter(fd: number | FileLike): boolean {
    return this.#removeIo('removeWriter', 1, fd);
  }

  #addIo(call: string, slot: 0 | 1, fd: unknown, callback: unknown, args: unknown[]): void {
    if (this.#backend.isClosed()) throw new RuntimeError('Event loop is closed');
    checkCallable(call, callback);
    if (this.getDebug() && (isCoroutineFunction(callback) || isThenable(callback))) {
      throw new TypeError(`coroutines cannot be used with ${call}()`);
    }
    const n = fdOf(call, fd);
    const handle = new Handle(kHandle, callback, args, (h) => {
      if (this.#io.get(n)?.[slot] === h) this.#removeIo(call, slot, n);
    });
    const native = this.#backend.native;
    nativeCall(() =>
      slot === 0
        ? native.addReader(n, handle, callback as (...a: unknown[]) => unknown, args)
        : native.addWriter(n, handle, callback as (...a: unknown[]) => unknown, args),
    );
    descriptions.set(handle, formatCallback(callback, args, repr));
    const pair = this.#io.get(n) ?? [undefined, undefined];
    // asyncio cancels the handle a new registration replaces.
    const replaced = pair[slot];
    if (replaced !== undefined) cancelHandleQuietly(replaced);
    pair[slot] = handle;
    this.#io.set(n, pair);
  }

  #removeIo(call: string, slot: 0 | 1, fd: unknown): boolean {
    const n = fdOf(call, fd);
    const native = this.#backend.native;
    const removed = nativeCall(() => (slot === 0 ? native.removeReader(n) : native.removeWriter(n)));
    const pair = this.#io.get(n);
    if (pair !== undefined) {
      const old = pair[slot];
      if (old !== undefined) cancelHandleQuietly(old);
      pair[slot] = undefined;
      if (pair[0] === undefined && pair[1] === undefined) this.#io.delete(n);
    }
    return removed;
  }

  // -------------------------------------------------------- running

  /** Runs until `stop()`; resolves once the loop has stopped, rejects with a SystemExit/KeyboardInterrupt a callback threw. */
  runForever(): Promise<void> {
    try {
      return this.#start();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Runs until `future` (a Future of this loop, or any PromiseLike) is done, then resolves with
   * its value or rejects with its error. As asyncio: if the loop stops first, rejects with
   * RuntimeError('Event loop stopped before Future completed.').
   */
  runUntilComplete<T>(future: PromiseLike<T> | Future<T>): Promise<T> {
    let run: Promise<void>;
    try {
      if (this.#backend.isClosed()) throw new RuntimeError('Event loop is closed');
      if (this.isRunning()) throw new RuntimeError('This event loop is already running');
      if (isFuture(future)) {
        if (future.getLoop() !== this) {
          throw new ValueError('The future belongs to a different loop than the one specified as the loop argument');
        }
      } else if (!isThenable(future)) {
        throw new TypeError('An asyncio.Future, a coroutine or an awaitable is required');
      }
      run = this.#start();
    } catch (e) {
      return Promise.reject(e);
    }
    return future instanceof Future ? this.#untilFuture(future as Future<T>, run) : this.#untilPromise(future, run);
  }

  #untilFuture<T>(future: Future<T>, run: Promise<void>): Promise<T> {
    // asyncio's _run_until_complete_cb: no stop for SystemExit/KeyboardInterrupt, which already
    // ended the run (a stop would stay pending for the next one).
    const stopper = (f: Future<T>): void => {
      if (!f.cancelled() && isFatal(f.exception())) return;
      this.stop();
    };
    future.addDoneCallback(stopper);
    return run.then(
      () => {
        future.removeDoneCallback(stopper);
        if (!future.done()) throw new RuntimeError('Event loop stopped before Future completed.');
        return future.result();
      },
      (err: unknown) => {
        future.removeDoneCallback(stopper);
        throw err;
      },
    );
  }

  #untilPromise<T>(promise: PromiseLike<T>, run: Promise<void>): Promise<T> {
    const outcome: { done: boolean; ok: boolean; value: unknown } = { done: false, ok: false, value: undefined };
    let attached = true; // asyncio removes its done callback when run_forever returns
    const settle = (ok: boolean, value: unknown): void => {
      outcome.done = true;
      outcome.ok = ok;
      outcome.value = value;
      if (attached && !(!ok && isFatal(value))) this.stop();
    };
    Promise.resolve(promise).then(
      (value) => settle(true, value),
      (reason: unknown) => settle(false, reason),
    );
    return run.then(
      () => {
        attached = false;
        if (!outcome.done) throw new RuntimeError('Event loop stopped before Future completed.');
        if (!outcome.ok) throw outcome.value;
        return outcome.value as T;
      },
      (err: unknown) => {
        attached = false;
        throw err;
      },
    );
  }

  /** Closes the loop; pending callbacks are dropped. RuntimeError while running. */
  override close(): void {
    super.close();
    this.#io.clear();
  }

  /**
   * A LoopRemote: other threads (workers) reach this loop through its `token`; their
   * `callSoonThreadsafe(...args)` calls `callback(...args)` here, in a coming iteration
   * (arguments are copied with the structured clone algorithm).
   */
  createRemote<A extends unknown[]>(callback?: ((...args: A) => unknown) | null): LoopRemote<A> {
    if (callback !== undefined && callback !== null) {
      if (this.#backend.isClosed()) throw new RuntimeError('Event loop is closed');
      if (this.getDebug() && (isCoroutineFunction(callback) || isThenable(callback))) {
        throw new TypeError('coroutines cannot be used with createRemote()');
      }
    }
    const native = this.#backend.native;
    const token = nativeCall(() => native.createRemote((callback ?? undefined) as ((message: Buffer) => void) | undefined));
    return LoopRemote.own<A>(native, token);
  }

  protected override reprInfo(): string {
    return ` selector=${this.selector}`;
  }

  /** Starts the run synchronously; throws (mapped) if it cannot. */
  #start(): Promise<void> {
    let settle: Settle | undefined;
    const done = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // The native side holds this callback strongly until the run ends; it refers to `this`, so
    // a running loop is never garbage-collected.
    const native = this.#backend.native;
    nativeCall(() => native.runForever((err?: unknown) => this.#finished(settle as Settle, err)));
    setRunningLoop(this);
    return done;
  }

  #finished(settle: Settle, err: unknown): void {
    if (getRunningLoopOrNull() === this) setRunningLoop(null);
    if (err === undefined) settle.resolve();
    else settle.reject(fromNative(err));
  }
}

/**
 * asyncio's SelectorEventLoop: a loop over a readiness selector, driven from Node's libuv loop.
 * `selector` is "default" (epoll on Linux, kqueue on macOS), "epoll"/"kqueue", "poll" or
 * "select".
 */
export class SelectorEventLoop extends BaseEventLoop {
  constructor(options?: SelectorEventLoopOptions) {
    super(kBackend, selectorOption(options));
  }

  /** The selector in use: "epoll", "kqueue", "poll" or "select". */
  override get selector(): 'epoll' | 'kqueue' | 'poll' | 'select' {
    return super.selector as 'epoll' | 'kqueue' | 'poll' | 'select';
  }
}

/** The platform's default loop class: SelectorEventLoop (asyncio.EventLoop on Unix). */
export const EventLoop = SelectorEventLoop;
export type EventLoop = SelectorEventLoop;

/**
 * asyncio's ProactorEventLoop, on Linux's io_uring (docs/proactor.md): accepting, receiving,
 * sending and connecting are operations submitted to the kernel whose completions run the
 * callbacks. Where io_uring is not available (another OS, an old kernel, a seccomp filter),
 * constructing it throws an OSError that says why; nothing falls back to a selector.
 */
export class ProactorEventLoop extends BaseEventLoop {
  constructor() {
    if (process.platform !== 'linux') {
      throw new NotImplementedError(`ProactorEventLoop needs io_uring, which only Linux has (this is ${process.platform})`);
    }
    super(kBackend, 'proactor');
  }

  /** Always "io_uring". */
  override get selector(): 'io_uring' {
    return super.selector as 'io_uring';
  }
}
