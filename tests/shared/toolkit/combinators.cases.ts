// gather, shield, wait, asCompleted: behaviour of the matching parts of CPython's
// test_tasks.py, in our words, on any loop.
import { expect, it } from 'vitest';
import { type Env, rejection } from './env.js';

export function combinatorCases({ lib, run, asyncContext }: Env): void {
  const { sleep, gather, shield, wait, asCompleted, FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED } = lib;
  const { CancelledError, TimeoutError, ValueError, Future } = lib;
  const itCtx = asyncContext ? it : it.skip;

  it('gather resolves the results in the order given, whatever the completion order', async () => {
    await run(async (loop) => {
      const order: string[] = [];
      const slow = async () => {
        await sleep(0.03);
        order.push('slow');
        return 'slow';
      };
      const fast = loop.createTask(async () => {
        await sleep(0.01);
        order.push('fast');
        return 'fast';
      });
      const results = await gather(slow, fast, Promise.resolve(3));
      expect(results).toEqual(['slow', 'fast', 3]);
      expect(order).toEqual(['fast', 'slow']);
      expect(await gather()).toEqual([]);
    });
  });

  it('gather runs an awaitable given twice once, and reports it twice', async () => {
    await run(async (loop) => {
      const t = loop.createTask(async () => 'x');
      expect(await gather(t, t)).toEqual(['x', 'x']);
    });
  });

  it('gather rejects with the first failure; the other children go on', async () => {
    await run(async (loop) => {
      const other = loop.createTask(() => sleep(0.02, 'other'));
      const e = await rejection(gather(other, async () => {
        throw new ValueError('bad');
      }));
      expect(e).toBeInstanceOf(ValueError);
      expect(other.done()).toBe(false);
      expect(await other).toBe('other');
    });
  });

  it('gather with returnExceptions: failures and cancellations are results', async () => {
    await run(async (loop) => {
      const cancelled = loop.createFuture<number>();
      cancelled.cancel('gone');
      const results = await gather(
        [async () => 1, async () => { throw new ValueError('v'); }, cancelled],
        { returnExceptions: true },
      );
      expect(results[0]).toBe(1);
      expect(results[1]).toBeInstanceOf(ValueError);
      expect(results[2]).toBeInstanceOf(CancelledError);
      expect((results[2] as unknown as Error).message).toBe('gone');
    });
  });

  it("cancelling gather's future cancels the children, then it ends with CancelledError", async () => {
    await run(async (loop) => {
      const a = loop.createFuture<number>();
      const b = loop.createFuture<number>();
      const g = gather(a, b);
      expect(g.cancel('all')).toBe(true);
      expect(a.cancelled() && b.cancelled()).toBe(true);
      const e = await rejection(g);
      expect(e).toBeInstanceOf(CancelledError);
      expect(g.cancel()).toBe(false);
    });
  });

  it('shield: cancelling the outer future leaves the inner one running', async () => {
    await run(async (loop) => {
      const inner = loop.createTask(() => sleep(0.02, 'inner'));
      const outer = shield(inner);
      outer.cancel();
      expect(await rejection(outer)).toBeInstanceOf(CancelledError);
      expect(await inner).toBe('inner');
      const innerCancelled = loop.createFuture<number>();
      const outer2 = shield(innerCancelled);
      innerCancelled.cancel();
      expect(await rejection(outer2)).toBeInstanceOf(CancelledError);
      const done = loop.createFuture<number>();
      done.setResult(1);
      expect(shield(done)).toBe(done);
    });
  });

  it('shield: cancelling the task that awaits it does not cancel the shielded task', async () => {
    await run(async (loop) => {
      const inner = loop.createTask(() => sleep(0.03, 'kept'));
      const waiter = loop.createTask(async () => shield(inner));
      await sleep(0.01);
      waiter.cancel();
      expect(await rejection(waiter)).toBeInstanceOf(CancelledError);
      expect(inner.cancelled()).toBe(false);
      expect(await inner).toBe('kept');
    });
  });

  it('wait: FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED and a timeout resolve the two sets', async () => {
    await run(async (loop) => {
      const a = loop.createTask(() => sleep(0.01, 'a'));
      const b = loop.createTask(() => sleep(0.05, 'b'));
      let [done, pending] = await wait<unknown>([a, b], { returnWhen: FIRST_COMPLETED });
      expect([...done]).toEqual([a]);
      expect([...pending]).toEqual([b]);

      const fails = loop.createTask(async () => {
        await sleep(0.01);
        throw new ValueError('f');
      });
      const slow = loop.createTask(() => sleep(0.2));
      [done, pending] = await wait<unknown>([fails, slow], { returnWhen: FIRST_EXCEPTION });
      expect([...done]).toEqual([fails]);
      expect(pending.has(slow)).toBe(true);
      expect(fails.exception()).toBeInstanceOf(ValueError);

      [done, pending] = await wait<unknown>([slow], { timeout: 0.01 });
      expect(done.size).toBe(0);
      expect(pending.has(slow)).toBe(true);
      expect(slow.cancelled()).toBe(false);

      [done, pending] = await wait<unknown>([a, b, slow], { returnWhen: ALL_COMPLETED });
      expect(done.size).toBe(3);
      expect(pending.size).toBe(0);
    });
  });

  it('wait refuses an empty set, a bad returnWhen and a single future', async () => {
    await run(async (loop) => {
      expect(await rejection(wait([]))).toBeInstanceOf(ValueError);
      const f = loop.createFuture();
      expect(await rejection(wait([f], { returnWhen: 'SOMETIMES' as never }))).toBeInstanceOf(ValueError);
      expect(await rejection(wait(f as never))).toBeInstanceOf(TypeError);
    });
  });

  it('asCompleted yields results in completion order; as an async iterable, the futures themselves', async () => {
    await run(async (loop) => {
      const mk = (d: number, v: string) => loop.createTask(() => sleep(d, v));
      const got: string[] = [];
      for (const next of asCompleted([mk(0.03, 'c'), mk(0.01, 'a'), mk(0.02, 'b')])) got.push(await next);
      expect(got).toEqual(['a', 'b', 'c']);

      const x = mk(0.02, 'x');
      const y = mk(0.01, 'y');
      const futs: unknown[] = [];
      for await (const f of asCompleted([x, y])) futs.push(f);
      expect(futs).toEqual([y, x]);
      expect(futs[0]).toBeInstanceOf(Future);
    });
  });

  it('asCompleted with a timeout: what is not done in time throws TimeoutError when its turn comes', async () => {
    await run(async (loop) => {
      const quick = loop.createTask(() => sleep(0.01, 'quick'));
      const never = loop.createFuture<string>();
      const it = asCompleted([quick, never], { timeout: 0.05 })[Symbol.iterator]();
      expect(await it.next().value).toBe('quick');
      expect(await rejection(it.next().value!)).toBeInstanceOf(TimeoutError);
      expect(it.next().done).toBe(true);
      expect(never.cancelled()).toBe(false);
    });
  });
}
