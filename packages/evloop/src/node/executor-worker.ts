// The worker side of WorkerPoolExecutor (worker-pool.ts): runs one job at a time and posts its
// outcome back. A job names its function by module URL and export name, or carries a
// self-contained function's source text, evaluated here at the worker's top level (so it sees
// globals, never the submitter's variables).

import { parentPort } from 'node:worker_threads';

/** A job, as worker-pool.ts posts it. */
export type JobMessage =
  | { id: number; kind: 'module'; module: string; name: string; args: unknown[] }
  | { id: number; kind: 'source'; source: string; args: unknown[] };

/** A job's outcome, as this worker posts it. */
export type ResultMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: unknown };

type Fn = (...args: unknown[]) => unknown;

/** Functions made from source text, by source: a pool sends the same few again and again. */
const fromSource = new Map<string, Fn>();

async function load(job: JobMessage): Promise<Fn> {
  if (job.kind === 'source') {
    let fn = fromSource.get(job.source);
    if (fn === undefined) {
      // Indirect eval: global scope, as a function defined at a module's top level sees it.
      fn = (0, eval)(`(${job.source})`) as Fn;
      fromSource.set(job.source, fn);
    }
    return fn;
  }
  const mod = (await import(job.module)) as Record<string, unknown>;
  const fn = mod[job.name];
  if (typeof fn !== 'function') {
    throw new TypeError(`runInExecutor(): ${job.module} has no exported function '${job.name}'`);
  }
  return fn as Fn;
}

function post(message: ResultMessage): void {
  try {
    parentPort?.postMessage(message);
  } catch (e) {
    // A value structured clone cannot copy (a function, a class instance's methods...).
    const what = message.ok ? 'result' : 'error';
    const error = new TypeError(`runInExecutor(): the function's ${what} cannot be sent back from the worker: ${String(e)}`);
    parentPort?.postMessage({ id: message.id, ok: false, error } satisfies ResultMessage);
  }
}

parentPort?.on('message', (job: JobMessage) => {
  void (async () => {
    try {
      const fn = await load(job);
      post({ id: job.id, ok: true, value: await fn(...job.args) });
    } catch (error) {
      post({ id: job.id, ok: false, error });
    }
  })();
});
