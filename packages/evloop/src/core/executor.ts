// Executors (asyncio's run_in_executor, set_default_executor, shutdown_default_executor), written
// once for every loop: the checks, the default executor's life, and the bridge from a job's
// promise to an evloop Future completed in the loop's order. The executors themselves are the
// runtime's: Node's WorkerPoolExecutor (node/worker-pool.ts) runs work on worker threads, a
// simulated host's (sim/executor.ts) after a drawn virtual delay. Browser-safe.

import type { LoopBackend } from './backend.js';
import type { BaseLoop } from './base-loop.js';
import { RuntimeError, ValueError } from './errors.js';
import type { Future } from './future.js';
import { logWarning } from './log.js';
import { repr } from './platform.js';
import { typeName } from './values.js';

/**
 * A function a worker can load: the export `name` of the ES module at `module` (a URL string,
 * usually `import.meta.url`). Make one with `workerFunction(module, name)`.
 */
export interface WorkerFunction {
  readonly module: string;
  readonly name: string;
}

/** What runInExecutor runs: a self-contained function (sent as its source text) or a WorkerFunction. */
export type ExecutorCallable<A extends unknown[] = unknown[], R = unknown> = ((...args: A) => R) | WorkerFunction;

/** One submitted job: its outcome, and a way to drop it before it starts. */
export interface ExecutorJob {
  readonly result: Promise<unknown>;
  /** Drops the job if it has not started; whether it was dropped. */
  cancel(): boolean;
}

/** Options of `Executor.shutdown` (concurrent.futures' `shutdown(wait, cancel_futures)`). */
export interface ShutdownOptions {
  /** Resolve once every worker has exited (default true). */
  wait?: boolean;
  /** Drop the jobs that have not started (default false). */
  cancelFutures?: boolean;
}

/** An executor (concurrent.futures' Executor), as loops use it. */
export interface Executor {
  /** Queues `fn(...args)`; RuntimeError after shutdown, TypeError for what it cannot run. */
  submitJob(fn: ExecutorCallable, args: readonly unknown[]): ExecutorJob;
  /** Refuses new work; queued work still runs unless `cancelFutures`. */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/** `{ module, name }` for a worker: `module` a URL (string or URL; `import.meta.url` is the usual one). */
export function workerFunction(module: string | URL, name: string): WorkerFunction {
  const url = module instanceof URL ? module.href : module;
  if (typeof url !== 'string' || url === '') {
    throw new TypeError(`workerFunction(): module must be a URL (string or URL), got ${typeName(module)}`);
  }
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`workerFunction(): name must be an export name, got ${repr(name)}`);
  }
  return Object.freeze({ module: url, name });
}

/** Whether `value` is a `workerFunction(...)` reference. */
export function isWorkerFunction(value: unknown): value is WorkerFunction {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<WorkerFunction>;
  return typeof v.module === 'string' && typeof v.name === 'string';
}

function isExecutor(value: unknown): value is Executor {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<Executor>;
  return typeof v.submitJob === 'function' && typeof v.shutdown === 'function';
}

/** What a rejected job gives the Future: an Error (a thrown non-object is wrapped). */
function asException(error: unknown): object {
  return error !== null && typeof error === 'object' ? error : new Error(String(error));
}

/** One loop's default executor and its shutdown state. */
export class LoopExecutors {
  #default: Executor | null = null;
  #shutdownCalled = false;

  run<R>(loop: BaseLoop, backend: LoopBackend, executor: unknown, fn: unknown, args: readonly unknown[]): Future<R> {
    if (backend.isClosed()) throw new RuntimeError('Event loop is closed');
    if (typeof fn !== 'function' && !isWorkerFunction(fn)) {
      throw new TypeError(`runInExecutor(): fn must be a function or a workerFunction(module, name), got ${typeName(fn)}`);
    }
    let ex: Executor;
    if (executor === null || executor === undefined) {
      if (this.#shutdownCalled) throw new RuntimeError('Executor shutdown has been called');
      ex = this.#default ??= backend.newDefaultExecutor();
    } else if (isExecutor(executor)) {
      ex = executor;
    } else {
      throw new TypeError(`runInExecutor(): executor must be an Executor (a WorkerPoolExecutor) or null, got ${typeName(executor)}`);
    }
    const job = ex.submitJob(fn as ExecutorCallable, args);
    const fut = loop.createFuture<R>();
    // The outcome reaches the Future as a loop callback, as asyncio's call_soon_threadsafe does.
    const settle = (complete: () => void): void => {
      if (fut.done() || loop.isClosed()) return;
      loop.callSoon(function runInExecutorDone() {
        if (!fut.done()) complete();
      });
    };
    job.result.then(
      (value) => settle(() => fut.setResult(value as R)),
      (error: unknown) => settle(() => fut.setException(asException(error))),
    );
    fut.addDoneCallback(() => {
      if (fut.cancelled()) job.cancel();
    });
    return fut;
  }

  setDefault(executor: unknown): void {
    if (!isExecutor(executor)) {
      throw new TypeError(`setDefaultExecutor(): executor must be an Executor (a WorkerPoolExecutor), got ${typeName(executor)}`);
    }
    this.#default = executor;
  }

  /** asyncio's shutdown_default_executor(timeout): a Future done once the workers have exited. */
  shutdown(loop: BaseLoop, timeout: unknown): Future<void> {
    if (timeout !== undefined && timeout !== null) {
      if (typeof timeout !== 'number') {
        throw new TypeError(`shutdownDefaultExecutor(): timeout must be a number or null, got ${typeName(timeout)}`);
      }
      if (!(timeout >= 0)) throw new ValueError(`shutdownDefaultExecutor(): timeout must be >= 0, got ${timeout}`);
    }
    this.#shutdownCalled = true;
    const fut = loop.createFuture<void>();
    const executor = this.#default;
    if (executor === null) {
      fut.setResult(undefined);
      return fut;
    }
    const timer =
      typeof timeout === 'number'
        ? loop.callLater(timeout, function shutdownTimeout() {
            if (fut.done()) return;
            logWarning(`The executor did not finishing joining its threads within ${timeout} seconds.`);
            fut.setResult(undefined);
          })
        : null;
    const joined = (): void => {
      if (fut.done() || loop.isClosed()) return;
      loop.callSoon(function executorJoined() {
        timer?.cancel();
        if (!fut.done()) fut.setResult(undefined);
      });
    };
    executor.shutdown({ wait: true }).then(joined, joined);
    return fut;
  }

  /** At close(): new work is refused and the default executor lets its workers go when idle. */
  close(): void {
    this.#shutdownCalled = true;
    void this.#default?.shutdown({ wait: false }).catch(() => {});
  }
}
