// Sweeping seeds in parallel: a pool of worker threads, each importing the
// program module by URL and running the seeds it is handed, optionally as a
// swarm (each seed picks its own subset of fault families and fault plan).
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { progressReporter } from '../sim/tools/progress.js';
import type { FailureInfo, TraceFile } from '../sim/tools/trace-file.js';

export interface SweepOptions {
  /** The path or URL of a program module (each worker imports it). */
  program: string | URL;
  /** How many seeds (from `firstSeed`), or the list. */
  seeds: number | number[];
  firstSeed?: number;
  /** Each seed picks a random non-empty subset of the fault families and a fault plan. */
  swarm?: boolean;
  families?: string[] | undefined;
  /** Worker threads (default os.availableParallelism()). */
  workers?: number | undefined;
  /** Stop once this many seeds failed (the first ones in seed order are reported). */
  stopAfter?: number | undefined;
  /** A progress bar (or lines) on stderr (default: when stderr is a terminal). */
  progress?: boolean;
  /**
   * `[i, n]`: only shard i (1-based) of n, as test runners shard: the seeds at
   * positions i-1, i-1+n, i-1+2n, ... of the list. The n shards are disjoint,
   * cover every seed, and hold the same seeds on every machine.
   */
  shard?: [number, number] | undefined;
}

export interface SweepFailure {
  seed: number;
  families: string[];
  error: FailureInfo;
  trace: TraceFile;
}

/** What a worker is started with (sweep-worker.ts). */
export interface SweepWorkerData {
  programUrl: string;
  swarm: boolean;
  families: string[] | undefined;
}

/** A seed's outcome: `error` null when its property held (then no trace is sent). */
interface SeedResult {
  seed: number;
  families: string[];
  error: FailureInfo | null;
  trace: TraceFile | null;
}

/** What a worker posts: ready for seeds, a seed's outcome, or a seed the harness could not run. */
export type SweepReply = { ready: true } | SeedResult | { seed: number; crashed: FailureInfo };

/** The built worker beside this file (dist/node/sweep-worker.js). */
const WORKER_URL = new URL('./sweep-worker.js', import.meta.url);

/** A module specifier a worker can import: URLs as they are, paths made absolute. */
function moduleUrl(program: unknown): string {
  if (program instanceof URL) return program.href;
  if (typeof program !== 'string') throw new TypeError('sweep(): program must be the path or URL of a program module');
  return /^[a-z][a-z0-9+.-]*:/i.test(program) && !/^[a-z]:[\\/]/i.test(program) ? program : pathToFileURL(resolve(program)).href;
}

/** `list`'s seeds of shard `i` of `n` (every n-th from position i-1). */
export function shardOf(list: number[], shard: [number, number] | undefined): number[] {
  if (shard === undefined) return list;
  const [i, n] = shard;
  if (!Number.isSafeInteger(n) || n < 1 || !Number.isSafeInteger(i) || i < 1 || i > n) {
    throw new RangeError(`sweep(): shard must be [i, n] with 1 <= i <= n, got [${String(i)}, ${String(n)}]`);
  }
  return list.filter((_, p) => p % n === i - 1);
}

function seedList(seeds: unknown, firstSeed: number): number[] {
  if (Array.isArray(seeds) && seeds.every((s) => Number.isSafeInteger(s))) return seeds as number[];
  if (typeof seeds === 'number' && Number.isSafeInteger(seeds) && seeds >= 0) return Array.from({ length: seeds }, (_, i) => firstSeed + i);
  throw new TypeError('sweep(): seeds must be a count or an array of integer seeds');
}

/**
 * Runs `program` (path or URL of a program module) for each seed (a count
 * from `firstSeed`, default 0, or a list) on `workers` threads (default
 * os.availableParallelism()). Resolves `{ runs, failures: [{ seed, families,
 * error, trace }] }`, failures in seed order. With `stopAfter`, the sweep
 * stops handing out seeds once that many failed, finishes the seeds in
 * flight, and reports the first `stopAfter` failing seeds in seed order, with
 * `runs` counting the seeds up to the last of them: the same answer whatever
 * the number of workers. With `shard: [i, n]`, only that shard's seeds run
 * (`runs` and `failures` are the shard's).
 */
export async function sweep(options: SweepOptions): Promise<{ runs: number; failures: SweepFailure[] }> {
  const { program, seeds, firstSeed = 0, swarm = false, families, stopAfter = Infinity } = options ?? ({} as Partial<SweepOptions>);
  const url = moduleUrl(program);
  const list = shardOf(seedList(seeds, firstSeed), options.shard);
  const count = Math.max(1, Math.min(options.workers ?? availableParallelism(), list.length));
  const progress = (options.progress ?? Boolean(process.stderr.isTTY)) ? progressReporter(list.length, { stream: process.stderr }) : null;

  const results = new Map<number, SeedResult>();
  let failures = 0;
  let next = 0;
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolvePool, rejectPool) => {
      let idle = 0;
      const dispatch = (worker: Worker): void => {
        if (next < list.length && failures < stopAfter) {
          worker.postMessage({ seed: list[next++] });
          return;
        }
        idle += 1;
        if (idle === pool.length) resolvePool();
      };
      const workerData: SweepWorkerData = { programUrl: url, swarm, families };
      for (let i = 0; i < count; i++) {
        const worker = new Worker(WORKER_URL, { workerData });
        pool.push(worker);
        worker.on('error', rejectPool);
        worker.on('message', (msg: SweepReply) => {
          if ('ready' in msg) return dispatch(worker);
          if ('crashed' in msg) {
            rejectPool(new Error(`sweep(): seed ${msg.seed} could not run: ${msg.crashed.name}: ${msg.crashed.message}`));
            return;
          }
          results.set(msg.seed, msg);
          if (msg.error !== null) failures += 1;
          progress?.update(results.size, failures);
          dispatch(worker);
        });
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }

  const found: SweepFailure[] = [];
  let runs = 0;
  for (const seed of list) {
    const r = results.get(seed);
    if (r === undefined || found.length >= stopAfter) break;
    runs += 1;
    if (r.error !== null && r.trace !== null) found.push({ seed, families: r.families, error: r.error, trace: r.trace });
  }
  progress?.finish(runs, found.length);
  return { runs, failures: found };
}
