// asyncio's task semantics (issue 16): cancellation at the awaited Future, cancelling()/uncancel(),
// the current task, task factories. One set of bodies for Node loops and simulated hosts; CPython's
// test_tasks.py cases ported as behaviour.
import { expect, it } from 'vitest';
import type * as Sim from 'evloop/sim';

/** The exports the cases use (the same classes in "evloop" and "evloop/sim"). */
export type TaskLib = Pick<typeof Sim, 'Future' | 'Task' | 'CancelledError' | 'currentTask' | 'eagerTaskFactory'>;

/** A Node loop or a simulated host (typed as the host: both are BaseLoops). */
export type Loop = Sim.Host;

export interface TaskEnv {
  lib: TaskLib;
  /** Runs `main(loop)` as a task of a fresh loop (or host) to its end; resolves its result. */
  run<T>(main: (loop: Loop) => Promise<T>): Promise<T>;
  /** Whether the runtime has async context (Node): the current task is known after the first step. */
  asyncContext: boolean;
}

/** A Future of `loop` done after `delay` seconds (asyncio.sleep without the toolkit). */
function nap(loop: Loop, delay: number): Sim.Future<void> {
  const fut = loop.createFuture<void>();
  loop.callLater(delay, () => {
    if (!fut.done()) fut.setResult(undefined);
  });
  return fut;
}

async function errorOf(p: PromiseLike<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

export function taskSemanticsCases(env: TaskEnv): void {
  const { CancelledError, currentTask, eagerTaskFactory } = env.lib;

  it('cancel() throws CancelledError(msg) at the awaited Future at once; finally runs then', async () => {
    const log = await env.run(async (loop) => {
      const log: string[] = [];
      const start = loop.time();
      const task = loop.createTask(async () => {
        try {
          await nap(loop, 10);
          log.push('slept');
        } catch (e) {
          log.push(`caught ${(e as Error).name}: ${(e as Error).message}`);
          throw e;
        } finally {
          log.push(`finally after ${Math.round(loop.time() - start)} s`);
        }
      });
      loop.callLater(0.01, () => log.push(`cancel ${task.cancel('stop it')}`));
      const e = await errorOf(task);
      expect(e).toBeInstanceOf(CancelledError);
      expect((e as Error).message).toBe('stop it');
      expect(task.cancelled()).toBe(true);
      expect(task.cancel()).toBe(false); // done: false
      return log;
    });
    expect(log).toEqual(['cancel true', 'caught CancelledError: stop it', 'finally after 0 s']);
  });

  it('a task cancelled before its first step never runs its function', async () => {
    await env.run(async (loop) => {
      let ran = false;
      const task = loop.createTask(async () => {
        ran = true;
      });
      expect(task.cancel('early')).toBe(true);
      expect(task.cancelling()).toBe(1);
      expect(((await errorOf(task)) as Error).message).toBe('early');
      expect(ran).toBe(false);
      expect(task.cancelled()).toBe(true);
    });
  });

  it('a function that catches CancelledError goes on: the task is not cancelled', async () => {
    await env.run(async (loop) => {
      const task = loop.createTask(async () => {
        try {
          await nap(loop, 10);
        } catch (e) {
          expect(e).toBeInstanceOf(CancelledError);
        }
        return 'recovered';
      });
      loop.callLater(0.01, () => task.cancel());
      expect(await task).toBe('recovered');
      expect(task.cancelled()).toBe(false);
      expect(task.cancelling()).toBe(1);
      expect(task.uncancel()).toBe(0);
      expect(task.uncancel()).toBe(0); // not below 0
    });
  });

  it('cancelling() counts requests; uncancel() to 0 drops a kept cancel (3.13)', async () => {
    await env.run(async (loop) => {
      const task = loop.createTask(async () => 'ran');
      expect(task.cancelling()).toBe(0);
      task.cancel();
      task.cancel();
      expect(task.cancelling()).toBe(2);
      expect(task.uncancel()).toBe(1);
      expect(task.uncancel()).toBe(0);
      expect(await task).toBe('ran'); // the kept cancel was dropped: the function ran
      expect(task.cancelled()).toBe(false);
    });
  });

  it('cancelling a task that awaits a task cancels the inner one (the message travels)', async () => {
    await env.run(async (loop) => {
      const inner = loop.createTask(() => nap(loop, 10));
      const outer = loop.createTask(async () => {
        await inner;
      });
      loop.callLater(0.01, () => outer.cancel('outer'));
      const e = await errorOf(outer);
      expect((e as Error).message).toBe('outer');
      expect(outer.cancelled()).toBe(true);
      // Browsers: `inner` was made outside `outer`'s first step, so `outer` does not know it
      // awaits it; the cancel is kept and `outer` ends cancelled once `inner` is done.
      expect(inner.cancelled()).toBe(env.asyncContext);
      if (!env.asyncContext) expect(inner.done()).toBe(true);
    });
  });

  it('cancel while the function awaits a foreign promise: the next evloop await throws', async () => {
    if (!env.asyncContext) return; // browsers: docs/tasks.md
    await env.run(async (loop) => {
      const log: string[] = [];
      let release: () => void = () => {};
      const task = loop.createTask(async () => {
        await new Promise<void>((r) => (release = r)); // not an evloop Future: not cancellable
        log.push('foreign done');
        try {
          await nap(loop, 10);
          log.push('slept');
        } catch (e) {
          log.push((e as Error).message);
          throw e;
        }
      });
      loop.callLater(0.01, () => {
        task.cancel('later');
        loop.callLater(0.01, () => release());
      });
      await errorOf(task);
      expect(log).toEqual(['foreign done', 'later']);
      expect(task.cancelled()).toBe(true);
    });
  });

  it('a function that returns after a kept cancel leaves its task cancelled', async () => {
    await env.run(async (loop) => {
      let release: () => void = () => {};
      const task = loop.createTask(async () => {
        await new Promise<void>((r) => (release = r));
        return 'value';
      });
      loop.callLater(0.01, () => {
        task.cancel('kept');
        release();
      });
      expect(((await errorOf(task)) as Error).message).toBe('kept');
      expect(task.cancelled()).toBe(true);
    });
  });

  it('a cancel in the second step reaches the await of that step (async context)', async () => {
    if (!env.asyncContext) return;
    await env.run(async (loop) => {
      const steps: string[] = [];
      const start = loop.time();
      const task = loop.createTask(async () => {
        await nap(loop, 0.01);
        steps.push('one');
        await nap(loop, 10);
        steps.push('two');
      });
      loop.callLater(1, () => task.cancel());
      await errorOf(task);
      expect(steps).toEqual(['one']);
      expect(loop.time() - start).toBeLessThan(5); // it did not sleep 10 s
    });
  });

  it('currentTask() is the task in its steps and null in a callback it schedules', async () => {
    await env.run(async (loop) => {
      const seen: unknown[] = [];
      const task: Sim.Task<void> = loop.createTask(async () => {
        seen.push(currentTask() === task);
        const fut = loop.createFuture<void>();
        loop.callSoon(() => {
          seen.push(currentTask());
          fut.setResult(undefined);
        });
        await fut;
        if (env.asyncContext) seen.push(currentTask(loop) === task);
      });
      await task;
      expect(seen).toEqual(env.asyncContext ? [true, null, true] : [true, null]);
    });
  });

  it('eagerTaskFactory runs the first step inside createTask; setTaskFactory(null) restores', async () => {
    await env.run(async (loop) => {
      expect(loop.getTaskFactory()).toBe(null);
      loop.setTaskFactory(eagerTaskFactory);
      expect(loop.getTaskFactory()).toBe(eagerTaskFactory);
      const order: string[] = [];
      const task = loop.createTask(async () => {
        order.push('first step');
        await nap(loop, 0);
        order.push('second step');
        return 7;
      }, { name: 'eager' });
      order.push('after createTask');
      expect(task.getName()).toBe('eager');
      expect(await task).toBe(7);
      expect(order).toEqual(['first step', 'after createTask', 'second step']);
      loop.setTaskFactory(null);
      const lazy = loop.createTask(async () => order.push('lazy'));
      order.push('after lazy createTask');
      await lazy;
      expect(order.slice(3)).toEqual(['after lazy createTask', 'lazy']);
      expect(() => loop.setTaskFactory(42 as never)).toThrow(TypeError);
    });
  });

  it('a task factory receives the loop, the coroutine and the options', async () => {
    await env.run(async (loop) => {
      const calls: unknown[] = [];
      loop.setTaskFactory((lp, coro, options) => {
        calls.push(lp === loop, options.name);
        return new env.lib.Task(coro, { ...options, loop: lp });
      });
      const task = loop.createTask(async () => 1, { name: 'made' });
      expect(await task).toBe(1);
      expect(calls).toEqual([true, 'made']);
      loop.setTaskFactory(null);
    });
  });

  it('an eagerly started task is cancellable at its first await', async () => {
    await env.run(async (loop) => {
      loop.setTaskFactory(eagerTaskFactory);
      const task = loop.createTask(() => nap(loop, 10));
      loop.setTaskFactory(null);
      task.cancel('eager cancel');
      expect(((await errorOf(task)) as Error).message).toBe('eager cancel');
    });
  });

  it('a Future made and awaited in the first step is the waiter, even without async context', async () => {
    await env.run(async (loop) => {
      let fut: Sim.Future<number> | null = null;
      const task = loop.createTask(async () => {
        fut = loop.createFuture<number>();
        return await fut;
      });
      loop.callLater(0.01, () => task.cancel('via waiter'));
      expect(((await errorOf(task)) as Error).message).toBe('via waiter');
      expect((fut as unknown as Sim.Future<number>).cancelled()).toBe(true);
    });
  });
}
