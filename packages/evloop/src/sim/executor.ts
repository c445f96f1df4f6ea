// A simulated host's executor (core/executor.ts): the function runs on the host itself when a
// virtual delay drawn from the host's executor stream (the Rust core's `executor_delay`) has
// passed, as a callback labelled `runInExecutor` in the trace, so replaying a seed replays the
// work's timing exactly. Arguments and results are structured-cloned, as a worker's are.
// Browser-safe.

import { CancelledError, NotImplementedError, RuntimeError } from '../core/errors.js';
import type { Executor, ExecutorCallable, ExecutorJob } from '../core/executor.js';
import type { TimerHandle } from '../core/handles.js';

/** What the executor needs of its host. */
export interface ExecutorHost {
  callLater(delay: number, callback: () => void): TimerHandle;
}

/** The executor of a host's life: `delay()` draws the next job's virtual delay. */
export function simExecutor(host: ExecutorHost, delay: () => number): Executor {
  let shutdown = false;
  return {
    submitJob(fn: ExecutorCallable, args: readonly unknown[]): ExecutorJob {
      if (shutdown) throw new RuntimeError('cannot schedule new futures after shutdown');
      if (typeof fn !== 'function') {
        throw new NotImplementedError('runInExecutor(): a simulated host loads no worker modules; pass the function itself');
      }
      const sent = structuredClone(args) as unknown[];
      let resolve!: (value: unknown) => void;
      let reject!: (error: unknown) => void;
      const result = new Promise<unknown>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      let started = false;
      const timer = host.callLater(delay(), function runInExecutor() {
        started = true;
        try {
          Promise.resolve(fn(...sent)).then((value) => resolve(structuredClone(value)), reject);
        } catch (e) {
          reject(e);
        }
      });
      return {
        result,
        cancel: () => {
          if (started) return false;
          timer.cancel();
          reject(new CancelledError());
          return true;
        },
      };
    },
    async shutdown(): Promise<void> {
      shutdown = true;
    },
  };
}
