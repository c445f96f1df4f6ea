// sleep, waitFor, timeout/timeoutAt: behaviour of CPython's test_waitfor.py and
// test_timeouts.py, in our words, on any loop.
import { expect, it } from 'vitest';
import { type Env, outcome, rejection } from './env.js';

export function timeoutCases({ lib, run, asyncContext }: Env): void {
  const { sleep, waitFor, timeout, timeoutAt, CancelledError, TimeoutError, OSError, RuntimeError, currentTask } = lib;
  const itCtx = asyncContext ? it : it.skip;

  it('sleep resolves with its result once the delay has passed', async () => {
    await run(async (loop) => {
      const t0 = loop.time();
      expect(await sleep(0.02, 'r')).toBe('r');
      expect(loop.time() - t0).toBeGreaterThanOrEqual(0.02 - 1e-6);
      expect(await sleep(0)).toBeUndefined();
    });
  });

  it('cancelling a sleeping task throws CancelledError at its await at once', async () => {
    await run(async (loop) => {
      const steps: string[] = [];
      const t0 = loop.time();
      const task = loop.createTask(async () => {
        try {
          await sleep(10);
          steps.push('woke');
        } finally {
          steps.push(`finally after ${loop.time() - t0 < 5 ? 'little' : 'long'}`);
        }
      });
      await sleep(0.01);
      expect(task.cancel('stop')).toBe(true);
      const e = await rejection(task);
      expect(e).toBeInstanceOf(CancelledError);
      expect((e as Error).message).toBe('stop');
      expect(steps).toEqual(['finally after little']);
    });
  });

  itCtx('waitFor resolves with the result when it comes in time', async () => {
    await run(async () => {
      expect(await waitFor(sleep(0.01, 'fast'), 5)).toBe('fast');
      expect(await waitFor(async () => 'coro', 5)).toBe('coro');
      expect(await waitFor(Promise.resolve('promise'), null)).toBe('promise');
    });
  });

  it('waitFor rejects with TimeoutError (an OSError) and cancels the inner task, which finishes first', async () => {
    await run(async (loop) => {
      const me = currentTask()!; // known in the first step, also in browsers
      const steps: string[] = [];
      const inner = loop.createTask(async () => {
        try {
          await sleep(10);
        } finally {
          steps.push('inner cleaned up');
        }
      });
      const e = await rejection(waitFor(inner, 0.01));
      expect(e).toBeInstanceOf(TimeoutError);
      expect(e).toBeInstanceOf(OSError);
      expect(inner.cancelled()).toBe(true);
      expect(steps).toEqual(['inner cleaned up']);
      expect(me.cancelling()).toBe(0);
    });
  });

  it('waitFor with a timeout of 0 or less: the result if done, else cancel and TimeoutError', async () => {
    await run(async (loop) => {
      const done = loop.createFuture<string>();
      done.setResult('ready');
      expect(await waitFor(done, 0)).toBe('ready');
      const pending = loop.createFuture<string>();
      expect(await rejection(waitFor(pending, -1))).toBeInstanceOf(TimeoutError);
      expect(pending.cancelled()).toBe(true);
    });
  });

  it('waitFor returns the value of an inner task that swallows its cancellation (3.12)', async () => {
    await run(async () => {
      const value = await waitFor(async () => {
        try {
          await sleep(10);
          return 'slept';
        } catch (e) {
          if (e instanceof CancelledError) return 'swallowed';
          throw e;
        }
      }, 0.01);
      expect(value).toBe('swallowed');
    });
  });

  it('cancelling the task in waitFor cancels the inner task and propagates CancelledError', async () => {
    await run(async (loop) => {
      let inner: ReturnType<Env['lib']['shield']> | null = null;
      const outer = loop.createTask(async () => {
        inner = loop.createTask(() => sleep(10));
        await waitFor(inner, 5);
      });
      await sleep(0.01);
      outer.cancel();
      expect(await rejection(outer)).toBeInstanceOf(CancelledError);
      expect(inner!.cancelled()).toBe(true);
    });
  });

  it('waitFor rejects with the error the inner task raises while it is cancelled', async () => {
    await run(async () => {
      const e = await rejection(
        waitFor(async () => {
          try {
            await sleep(10);
          } catch {
            throw new lib.ValueError('cleanup failed');
          }
        }, 0.01),
      );
      expect(e).toBeInstanceOf(lib.ValueError);
    });
  });

  it('timeout(): reschedule() to an earlier deadline expires then', async () => {
    await run(async (loop) => {
      const t = timeout(10);
      const earlier = loop.time() + 0.01;
      t.reschedule(earlier);
      const e = await rejection(t.run(() => sleep(10)));
      expect(e).toBeInstanceOf(TimeoutError);
      expect(t.expired()).toBe(true);
      expect(t.when()).toBe(earlier);
    });
  });

  it('waitFor times out a promise it cannot cancel', async () => {
    await run(async () => {
      const slow = new Promise<string>(() => {});
      expect(await rejection(waitFor(slow, 0.01))).toBeInstanceOf(TimeoutError);
    });
  });

  it('timeout(): the deadline cancels the block, which ends with TimeoutError; the task goes on', async () => {
    await run(async () => {
      const me = currentTask()!; // known in the first step, also in browsers
      let t: InstanceType<Env['lib']['Timeout']> | null = null;
      const e = await rejection(
        timeout(0.01).run(async (tm) => {
          t = tm;
          await sleep(10);
        }),
      );
      expect(e).toBeInstanceOf(TimeoutError);
      expect((e as Error).cause).toBeInstanceOf(CancelledError);
      expect(t!.expired()).toBe(true);
      expect(me.cancelling()).toBe(0);
      expect(await sleep(0.001, 'still running')).toBe('still running');
    });
  });

  it('timeout(): a block that ends in time is not touched; when(), reschedule(), expired()', async () => {
    await run(async (loop) => {
      const t = timeout(null);
      expect(t.when()).toBeNull();
      expect(String(t)).toBe('<Timeout [active] when=None>');
      const at = loop.time() + 10;
      t.reschedule(at);
      expect(t.when()).toBe(at);
      expect(await t.run(async () => sleep(0.001, 'ok'))).toBe('ok');
      expect(t.expired()).toBe(false);
      expect(() => t.reschedule(null)).toThrow(RuntimeError);
      expect(String(t)).toBe('<Timeout [finished]>');
    });
  });

  it('timeoutAt() with a past deadline expires at the next iteration', async () => {
    await run(async (loop) => {
      const e = await rejection(timeoutAt(loop.time() - 1).run(() => sleep(10)));
      expect(e).toBeInstanceOf(TimeoutError);
    });
  });

  it('nested timeouts: the inner one expires, the outer one is unaffected', async () => {
    await run(async () => {
      const result = await timeout(10).run(async (outer) => {
        const inner = await outcome(timeout(0.01).run(() => sleep(10)));
        expect(inner.ok ? null : inner.error).toBeInstanceOf(TimeoutError);
        expect(outer.expired()).toBe(false);
        return 'outer finished';
      });
      expect(result).toBe('outer finished');
    });
  });

  it('a cancellation from elsewhere propagates as CancelledError, not TimeoutError', async () => {
    await run(async (loop) => {
      const task = loop.createTask(async () => {
        await timeout(0.05).run(async () => {
          await sleep(10);
        });
      });
      await sleep(0.01);
      task.cancel();
      expect(await rejection(task)).toBeInstanceOf(CancelledError);
    });
  });

  it('timeout() with await using: the disposal throws the TimeoutError (the block saw CancelledError)', async () => {
    await run(async () => {
      const me = currentTask()!; // known in the first step, also in browsers
      // What `await using quiet = timeout(10); await using t = timeout(0.01);` does, written out
      // (Node 20 has no Symbol.asyncDispose).
      const quiet = timeout(10);
      const t = timeout(0.01);
      let seen: unknown = null;
      try {
        await sleep(10);
      } catch (e) {
        seen = e;
      }
      expect(seen).toBeInstanceOf(CancelledError);
      expect(await rejection(t[Symbol.asyncDispose]())).toBeInstanceOf(TimeoutError);
      expect(me.cancelling()).toBe(0);
      await quiet[Symbol.asyncDispose]();
      expect(quiet.expired()).toBe(false);
    });
  });

  it('timeout() outside a task is a RuntimeError', async () => {
    await run(async (loop) => {
      const fut = loop.createFuture<unknown>();
      loop.callSoon(() => {
        try {
          timeout(1);
          fut.setResult(null);
        } catch (e) {
          fut.setResult(e);
        }
      });
      const e = await fut;
      expect(e).toBeInstanceOf(RuntimeError);
      expect((e as Error).message).toBe('Timeout should be used inside a task');
    });
  });
}
