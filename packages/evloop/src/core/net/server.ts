// Server (asyncio.Server), one class for Node and the simulation.
// Browser-safe.

import { NotImplementedError } from '../errors.js';
import { typeName } from '../values.js';
import { optionsArg } from './args.js';
import type { NativeServeForeverLike, NativeServerLike, NetBinding } from './backend.js';
import type { NetLoop } from './net-loop.js';
import { pending } from './pending.js';
import { inspectCustom, socketViews, type TransportSocket } from './transport.js';

/** What `serveForever()` returns: a promise that `cancel()` ends (with CancelledError). */
export interface ServeForeverPromise extends Promise<void> {
  /** Closes the server; the promise rejects with CancelledError once `waitClosed()` completed. */
  cancel(): boolean;
}

export interface ServeForeverOptions {
  signal?: AbortSignal | null;
}

/** The simulation's servers also count their connections (an extension). */
interface CountingServer extends NativeServerLike {
  clientCount(): number;
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
   * Accepted connections whose `connectionLost` has not run yet (an
   * extension the simulation keeps; NotImplementedError on Node).
   */
  clientCount(): number {
    const n = this.#n as Partial<CountingServer>;
    if (typeof n.clientCount !== 'function') throw new NotImplementedError('clientCount() is kept by simulated servers only');
    return n.clientCount();
  }

  /** Listens now; resolves one iteration later. RuntimeError once closed. */
  startServing(): Promise<void> {
    return pending((done) => {
      this.#binding.touch();
      this.#n.startServing(done);
    }, () => undefined);
  }

  /**
   * Serves until cancelled (the returned promise's `cancel()`, `signal`, or
   * `close()`): then rejects with CancelledError, after `waitClosed()`.
   * The promise never causes an unhandled rejection: await it to see it.
   */
  serveForever(options?: ServeForeverOptions): ServeForeverPromise {
    let handle: NativeServeForeverLike | null = null;
    let signal: unknown;
    const p = pending((done) => {
      ({ signal } = optionsArg('serveForever', options, ['signal']));
      if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal)) {
        throw new TypeError(`serveForever(): signal must be an AbortSignal, got ${typeName(signal)}`);
      }
      this.#binding.touch();
      handle = this.#n.serveForever(done);
    }, () => undefined) as ServeForeverPromise;
    p.catch(() => {});
    p.cancel = () => {
      if (handle === null) return false;
      this.#binding.touch();
      return handle.cancel();
    };
    if (signal instanceof AbortSignal) {
      if (signal.aborted) p.cancel();
      else signal.addEventListener('abort', () => p.cancel(), { once: true });
    }
    return p;
  }

  /** Resolves once the server is closed and the last connection's `connectionLost` ran. */
  waitClosed(): Promise<void> {
    return pending((done) => this.#n.waitClosed(done), () => undefined);
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
