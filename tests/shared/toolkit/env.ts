// What the toolkit cases need of a target: the package's exports (the same classes in "evloop"
// and "evloop/sim") and a way to run a main function as a task of a fresh loop.
import type * as Sim from 'evloop/sim';

type Names =
  | 'sleep' | 'waitFor' | 'timeout' | 'timeoutAt' | 'Timeout' | 'gather' | 'shield' | 'wait' | 'asCompleted'
  | 'FIRST_COMPLETED' | 'FIRST_EXCEPTION' | 'ALL_COMPLETED' | 'TaskGroup' | 'currentTask' | 'allTasks'
  | 'Queue' | 'PriorityQueue' | 'LifoQueue' | 'QueueEmpty' | 'QueueFull' | 'QueueShutDown'
  | 'Lock' | 'Event' | 'Condition' | 'Semaphore' | 'BoundedSemaphore' | 'Barrier' | 'BrokenBarrierError'
  | 'ExceptionGroup' | 'BaseExceptionGroup' | 'CancelledError' | 'TimeoutError' | 'RuntimeError' | 'ValueError'
  | 'OSError' | 'Future' | 'Task';

/** The package's toolkit exports. */
export type Lib = Pick<typeof Sim, Names>;

/** The loop a main function runs on (a Node loop or a simulated host). */
export interface Loop {
  time(): number;
  createFuture<T = unknown>(): Sim.Future<T>;
  createTask<T>(coro: (() => PromiseLike<T> | T) | PromiseLike<T>, options?: { name?: string }): Sim.Task<T>;
  callSoon(cb: () => unknown): unknown;
  callLater(delay: number, cb: () => unknown): unknown;
}

export interface Env {
  lib: Lib;
  /** Runs `main(loop)` as a task of a fresh loop (or host) to its end; resolves its result. */
  run<T>(main: (loop: Loop) => Promise<T>): Promise<T>;
  /** Whether the current task is known after its first step (async context): task.cancel() reaches its await, timeout() and TaskGroup find it. */
  asyncContext: boolean;
}

/** What a promise ended with: its value, or the error it rejected with. */
export async function outcome<T>(p: PromiseLike<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The error a promise rejected with; fails if it resolved. */
export async function rejection(p: PromiseLike<unknown>): Promise<unknown> {
  const o = await outcome(p);
  if (o.ok) throw new Error(`expected a rejection, got ${String(o.value)}`);
  return o.error;
}
