// WorkerPoolExecutor: concurrent.futures' ThreadPoolExecutor on Node's worker_threads, the default
// executor of Node's loops (core/executor.ts). Workers start lazily, one job each at a time, and
// are unref'd while idle so that an idle pool never keeps the process alive.
//
// A function crosses to a worker as a `workerFunction(module, name)` reference (the worker
// imports the module) or as its source text (a self-contained function: it runs at a worker's
// top level, without the variables it closed over). Arguments and results go by structured clone.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CancelledError, RuntimeError, ValueError } from '../core/errors.js';
import { type Executor, type ExecutorCallable, type ExecutorJob, isWorkerFunction, type ShutdownOptions } from '../core/executor.js';
import { typeName } from '../core/values.js';
import type { JobMessage, ResultMessage } from './executor-worker.js';

const WORKER_URL = new URL('./executor-worker.js', import.meta.url);

export interface WorkerPoolExecutorOptions {
  /** The most workers the pool starts (default: min(4, available parallelism)). */
  maxWorkers?: number;
}

interface Job {
  message: JobMessage;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** What a function becomes for a worker; TypeError for one that has no usable source text. */
function describe(fn: ExecutorCallable): { kind: 'module'; module: string; name: string } | { kind: 'source'; source: string } {
  if (isWorkerFunction(fn)) return { kind: 'module', module: fn.module, name: fn.name };
  const source = Function.prototype.toString.call(fn);
  const refuse = (why: string): TypeError =>
    new TypeError(`runInExecutor(): ${fn.name || 'the function'} cannot run on a worker: ${why}; export it and pass workerFunction(import.meta.url, '${fn.name || 'name'}')`);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) throw refuse('it is native or bound (no source text)');
  try {
    // Checks that the text is an expression (a method's shorthand text is not).
    new Function(`return (${source});`);
  } catch {
    throw refuse('its source text is not a function expression (a method?)');
  }
  return { kind: 'source', source };
}

/** A pool of worker threads for blocking or CPU-heavy work (asyncio's ThreadPoolExecutor). */
export class WorkerPoolExecutor implements Executor {
  readonly #maxWorkers: number;
  readonly #idle: Worker[] = [];
  readonly #running = new Map<Worker, Job>();
  #queue: Job[] = [];
  #workers = 0;
  #nextId = 0;
  #shutdown = false;
  /** Resolved once every worker has exited after a shutdown. */
  #exited: (() => void)[] = [];

  constructor(options: WorkerPoolExecutorOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`WorkerPoolExecutor(): options must be an object, got ${typeName(options)}`);
    }
    const max = options.maxWorkers ?? Math.min(4, availableParallelism());
    if (typeof max !== 'number' || !Number.isInteger(max)) {
      throw new TypeError(`WorkerPoolExecutor(): option maxWorkers must be an integer, got ${typeName(max)}`);
    }
    if (max <= 0) throw new ValueError('WorkerPoolExecutor(): max_workers must be greater than 0');
    this.#maxWorkers = max;
  }

  /** The most workers the pool starts. */
  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  /** concurrent.futures' `submit`: `fn(...args)` on a worker, as a promise. */
  submit<A extends unknown[], R>(fn: ExecutorCallable<A, R | PromiseLike<R>>, ...args: A): Promise<R> {
    return this.submitJob(fn as ExecutorCallable, args).result as Promise<R>;
  }

  submitJob(fn: ExecutorCallable, args: readonly unknown[]): ExecutorJob {
    if (this.#shutdown) throw new RuntimeError('cannot schedule new futures after shutdown');
    const message = { ...describe(fn), id: this.#nextId++, args: [...args] } as JobMessage;
    let job!: Job;
    const result = new Promise<unknown>((resolve, reject) => {
      job = { message, resolve, reject };
    });
    this.#queue.push(job);
    this.#pump();
    return {
      result,
      cancel: () => {
        const i = this.#queue.indexOf(job);
        if (i < 0) return false;
        this.#queue.splice(i, 1);
        job.reject(new CancelledError());
        this.#maybeExit();
        return true;
      },
    };
  }

  /** Refuses new work; queued work still runs unless `cancelFutures`. With `wait` (default) resolves once every worker exited. */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#shutdown = true;
    if (options.cancelFutures === true) {
      for (const job of this.#queue.splice(0)) job.reject(new CancelledError());
    }
    const exited = new Promise<void>((resolve) => this.#exited.push(resolve));
    this.#maybeExit();
    return options.wait === false ? Promise.resolve() : exited;
  }

  /** Starts queued jobs on idle workers, starting workers up to the maximum. */
  #pump(): void {
    while (this.#queue.length > 0) {
      let worker = this.#idle.pop();
      if (worker === undefined) {
        if (this.#workers >= this.#maxWorkers) return;
        worker = this.#spawn();
      }
      this.#start(worker, this.#queue.shift() as Job);
    }
  }

  #spawn(): Worker {
    // The worker is a file: an `--input-type` of a `node -e` parent would make Node refuse it.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    const worker = new Worker(WORKER_URL, { execArgv });
    this.#workers++;
    worker.on('message', (msg: ResultMessage) => this.#finished(worker, msg));
    worker.on('error', (error) => {
      // Thrown outside a job's promise (the worker's script itself failed): the worker ends.
      this.#running.get(worker)?.reject(error);
      this.#running.delete(worker);
    });
    worker.on('exit', () => {
      this.#workers--;
      const job = this.#running.get(worker);
      this.#running.delete(worker);
      job?.reject(new RuntimeError('runInExecutor(): the worker exited before the job finished'));
      const i = this.#idle.indexOf(worker);
      if (i >= 0) this.#idle.splice(i, 1);
      if (!this.#shutdown) this.#pump();
      this.#maybeExit();
    });
    return worker;
  }

  #start(worker: Worker, job: Job): void {
    try {
      worker.postMessage(job.message);
    } catch (e) {
      // An argument structured clone cannot copy.
      job.reject(new TypeError(`runInExecutor(): the arguments cannot be sent to a worker: ${String(e)}`));
      worker.unref();
      this.#idle.push(worker);
      return;
    }
    // A busy worker keeps the process alive, as a running thread does.
    worker.ref();
    this.#running.set(worker, job);
  }

  #finished(worker: Worker, msg: ResultMessage): void {
    const job = this.#running.get(worker);
    this.#running.delete(worker);
    worker.unref();
    this.#idle.push(worker);
    if (job !== undefined) {
      if (msg.ok) job.resolve(msg.value);
      else job.reject(msg.error);
    }
    this.#pump();
    this.#maybeExit();
  }

  /** After shutdown, once nothing is queued or running: the idle workers end. */
  #maybeExit(): void {
    if (!this.#shutdown || this.#queue.length > 0 || this.#running.size > 0) return;
    for (const worker of this.#idle.splice(0)) void worker.terminate();
    if (this.#workers === 0) {
      for (const resolve of this.#exited.splice(0)) resolve();
    }
  }
}
