// Sweeping seeds in parallel: a pool of worker threads, each importing the
// program module by URL and running the seeds it is handed, optionally as a
// swarm (each seed picks its own subset of fault families and fault plan).
// Node only.

import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { progressReporter } from './progress.js';

/** A module specifier a worker can import: URLs as they are, paths made absolute. */
function moduleUrl(program) {
  if (program instanceof URL) return program.href;
  if (typeof program !== 'string') throw new TypeError('sweep(): program must be the path or URL of a program module');
  return /^[a-z][a-z0-9+.-]*:/i.test(program) && !/^[a-z]:[\\/]/i.test(program) ? program : pathToFileURL(resolve(program)).href;
}

function seedList(seeds, firstSeed) {
  if (Array.isArray(seeds) && seeds.every((s) => Number.isSafeInteger(s))) return seeds;
  if (Number.isSafeInteger(seeds) && seeds >= 0) return Array.from({ length: seeds }, (_, i) => firstSeed + i);
  throw new TypeError('sweep(): seeds must be a count or an array of integer seeds');
}

/**
 * `sweep({ program, seeds, firstSeed?, swarm?, families?, workers?, stopAfter?, progress? })`
 * runs `program` (path or URL of a program module) for each seed (a count
 * from `firstSeed`, default 0, or a list) on `workers` threads (default
 * os.availableParallelism()). Resolves `{ runs, failures: [{ seed, families,
 * error, trace }] }`, failures in seed order. With `stopAfter`, the sweep
 * stops handing out seeds once that many failed, finishes the seeds in
 * flight, and reports the first `stopAfter` failing seeds in seed order, with
 * `runs` counting the seeds up to the last of them: the same answer whatever
 * the number of workers.
 */
export async function sweep(options) {
  const { program, seeds, firstSeed = 0, swarm = false, families, stopAfter = Infinity } = options ?? {};
  const url = moduleUrl(program);
  const list = seedList(seeds, firstSeed);
  const count = Math.max(1, Math.min(options.workers ?? availableParallelism(), list.length));
  const progress = (options.progress ?? Boolean(process.stderr.isTTY)) ? progressReporter(list.length) : null;

  const results = new Map();
  let failures = 0;
  let next = 0;
  const pool = [];
  try {
    await new Promise((resolvePool, rejectPool) => {
      let idle = 0;
      const dispatch = (worker) => {
        if (next < list.length && failures < stopAfter) {
          worker.postMessage({ seed: list[next++] });
          return;
        }
        idle += 1;
        if (idle === pool.length) resolvePool();
      };
      for (let i = 0; i < count; i++) {
        const worker = new Worker(new URL('./sweep-worker.js', import.meta.url), { workerData: { programUrl: url, swarm, families } });
        pool.push(worker);
        worker.on('error', rejectPool);
        worker.on('message', (msg) => {
          if (msg.ready) return dispatch(worker);
          if (msg.crashed) {
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

  const found = [];
  let runs = 0;
  for (const seed of list) {
    const r = results.get(seed);
    if (r === undefined || found.length >= stopAfter) break;
    runs += 1;
    if (r.error !== null) found.push({ seed, families: r.families, error: r.error, trace: r.trace });
  }
  progress?.finish(runs, found.length);
  return { runs, failures: found };
}
