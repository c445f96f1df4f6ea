// Server (asyncio.Server), one class for Node and the simulation.
// Browser-safe.

import { typeName } from '../values.js';
import { optionsArg } from './args.js';
import type { NativeServerLike, NetBinding } from './backend.js';
import type { NetLoop } from './net-loop.js';
import { pending } from './pending.js';
import { CancelledError } from '../errors.js';
import type { Future } from '../future.js';
import { startTaskNow, type Task } from '../task.js';
import { inspectCustom, socketViews, type TransportSocket } from './transport.js';

/**
 * What `serveForever()` returns: a Task that only cancelling ends (its `cancel()`, a task
 * awaiting it being cancelled, the `signal` option, or `close()`), with CancelledError once the
 * server is closed and `waitClosed()` completed, as asyncio's `serve_forever()` coroutine.
 */
export type ServeForeverPromise = Task<void>;

export interface ServeForeverOptions {
  signal?: AbortSignal | null;
}

let newServer: <L extends NetLoop>(binding: NetBinding, n: NativeServerLike, loop: L) => Server<L>;

/** A listening server (asyncio.Server). `L` is the loop type that made it. */
export class Server<L extends NetLoop = NetLoop> {
  readonly #n: NativeServerLike;
  readonly #binding: NetBinding;
  readonly #loop: L;

  static {
    newServer = (binding, n, loop) => new Server(binding, n, loop);
  }

  private constructor(binding: NetBinding, n: NativeServerLike, loop: L) {
    this.#n = n;
    this.#binding = binding;
    this.#loop = loop;
  }

  /** Stops listening now; accepted connections stay open. Idempotent. */
  close(): void {
    this.#binding.touch();
    this.#n.close();
  }

  /** Closes every current connection gracefully (buffers flushed). */
  closeClients(): void {
    this.#binding.touch();
    this.#n.closeClients();
  }

  /** Aborts every current connection (buffers dropped). */
  abortClients(): void {
    this.#binding.touch();
    this.#n.abortClients();
  }

  getLoop(): L {
    return this.#loop;
  }

  isServing(): boolean {
    return this.#n.isServing();
  }

  /**
   * Accepted connections whose `connectionLost` has not run yet (an extension: asyncio keeps
   * the count privately, as `_active_count`).
   */
  clientCount(): number {
    return this.#n.clientCount();
  }

  /** Listens now; resolves one iteration later. RuntimeError once closed. */
  startServing(): Future<void> {
    return pending<void>(this.#loop, (done) => {
      this.#binding.touch();
      this.#n.startServing(done);
    }, () => undefined);
  }

  /**
   * Serves until cancelled (the returned Task's `cancel()`, a task awaiting it being cancelled,
   * `signal`, or `close()`): cancelling closes the server, and the Task ends with CancelledError
   * once `waitClosed()` completed, as asyncio's `serve_forever()` does. It starts serving at once
   * (the task's first step runs inside this call).
   */
  serveForever(options?: ServeForeverOptions): ServeForeverPromise {
    const { signal } = optionsArg('serveForever', options, ['signal']);
    if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal)) {
      throw new TypeError(`serveForever(): signal must be an AbortSignal, got ${typeName(signal)}`);
    }
    const task = startTaskNow(this.#loop, () => this.#serveForever());
    if (signal instanceof AbortSignal) {
      if (signal.aborted) task.cancel();
      else signal.addEventListener('abort', () => task.cancel(), { once: true });
    }
    return task;
  }

  /** serveForever's body: the native wait (cancelling it closes the server), then waitClosed. */
  async #serveForever(): Promise<void> {
    const serving = pending<void>(this.#loop, (done) => {
      this.#binding.touch();
      const handle = this.#n.serveForever(done);
      return {
        cancel: () => {
          this.#binding.touch();
          return handle.cancel();
        },
      };
    }, () => undefined);
    try {
      await serving;
    } catch (e) {
      // asyncio's `finally: self.close(); await self.wait_closed()` around the wait.
      if (e instanceof CancelledError) {
        this.close();
        await this.waitClosed().then(undefined, () => {});
      }
      throw e;
    }
  }

  /** Resolves once the server is closed and the last connection's `connectionLost` ran. */
  waitClosed(): Future<void> {
    return pending<void>(this.#loop, (done) => this.#n.waitClosed(done), () => undefined);
  }

  /** A new array of new TransportSocket views on every read; empty once closed. */
  get sockets(): TransportSocket[] {
    return socketViews(this.#binding, this.#n.sockets());
  }

  /** `await using server = ...`: close, then waitClosed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  toString(): string {
    return this.#n.describe().replaceAll('<TransportSocket', '<asyncio.TransportSocket');
  }

  [inspectCustom](): string {
    return this.toString();
  }
}

/** The package's Server for a binding's native server, made by `loop`. */
export function makeServer<L extends NetLoop>(binding: NetBinding, n: unknown, loop: L): Server<L> {
  return newServer(binding, n as NativeServerLike, loop);
}
