// AbstractEventLoop: the interface of every event loop (asyncio's AbstractEventLoop), the type
// users program against; BaseLoop (base-loop.ts) implements it once for every runtime.

import type { ExceptionContext } from './backend.js';
import type { Executor, ExecutorCallable } from './executor.js';
import type { Coroutine, Future, Task, TaskFactory, TaskOptions } from './futures.js';
import type { Handle, TimerHandle } from './handles.js';
import type { DatagramProtocol, DatagramTransport } from './net/datagram.js';
import type {
  ConnectionOptions,
  DatagramEndpointOptions,
  ServerOptions,
  UnixConnectionOptions,
  UnixServerOptions,
} from './net/options.js';
import type { Protocol } from './net/protocol.js';
import type { Server } from './net/server.js';
import type { Transport } from './net/transport.js';

/**
 * `handler(loop, context)`, as asyncio calls it. Written as a method's type so that its `loop`
 * parameter is bivariant: a handler typed for a subclass (`(host: Host, ctx) => ...`) is
 * accepted where the loop is seen as any AbstractEventLoop.
 */
export type ExceptionHandler<L = AbstractEventLoop> = {
  handler(loop: L, context: ExceptionContext): void;
}['handler'];

/** Anything with a `fileno()` method is accepted where an fd is. */
export interface FileLike {
  fileno(): number;
}

/** The interface of every event loop (asyncio's AbstractEventLoop); `setEventLoop` accepts its instances. */
export abstract class AbstractEventLoop {
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
  abstract createTask<T>(coro: Coroutine<T>, options?: TaskOptions): Task<T>;
  abstract setTaskFactory(factory: TaskFactory | null): void;
  abstract getTaskFactory(): TaskFactory | null;
  abstract setExceptionHandler(handler: ExceptionHandler<this> | null): void;
  abstract getExceptionHandler(): ExceptionHandler<this> | null;
  abstract callExceptionHandler(context: ExceptionContext): void;
  abstract defaultExceptionHandler(context: ExceptionContext): void;
  abstract setDebug(enabled: boolean): void;
  abstract getDebug(): boolean;
  abstract get slowCallbackDuration(): number;
  abstract set slowCallbackDuration(seconds: number);
  abstract addReader<A extends unknown[]>(fd: number | FileLike, callback: (...args: A) => unknown, ...args: A): void;
  abstract addWriter<A extends unknown[]>(fd: number | FileLike, callback: (...args: A) => unknown, ...args: A): void;
  abstract removeReader(fd: number | FileLike): boolean;
  abstract removeWriter(fd: number | FileLike): boolean;
  abstract addSignalHandler<A extends unknown[]>(sig: number | string, callback: (...args: A) => unknown, ...args: A): void;
  abstract removeSignalHandler(sig: number | string): boolean;
  abstract runInExecutor<A extends unknown[], R>(
    executor: Executor | null,
    fn: ExecutorCallable<A, R | PromiseLike<R>>,
    ...args: A
  ): Future<R>;
  abstract setDefaultExecutor(executor: Executor): void;
  abstract shutdownDefaultExecutor(timeout?: number | null): Future<void>;
  abstract createServer(
    protocolFactory: () => Protocol,
    host?: string | string[] | null,
    port?: number | null,
    opts?: ServerOptions,
  ): Promise<Server>;
  abstract createUnixServer(protocolFactory: () => Protocol, path?: string | URL | null, opts?: UnixServerOptions): Promise<Server>;
  abstract createConnection<P extends Protocol>(
    protocolFactory: () => P,
    host?: string | null,
    port?: number | null,
    opts?: ConnectionOptions,
  ): Promise<[Transport, P]>;
  abstract createUnixConnection<P extends Protocol>(
    protocolFactory: () => P,
    path?: string | URL | null,
    opts?: UnixConnectionOptions,
  ): Promise<[Transport, P]>;
  abstract createDatagramEndpoint<P extends DatagramProtocol>(
    protocolFactory: () => P,
    opts?: DatagramEndpointOptions,
  ): Promise<[DatagramTransport, P]>;
}
