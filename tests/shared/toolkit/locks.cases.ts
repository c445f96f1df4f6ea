// Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier: behaviour of CPython's
// test_locks.py, in our words.
import { expect, it } from 'vitest';
import { type Env, rejection } from './env.js';

export function lockCases({ lib, run, asyncContext }: Env): void {
  const itCtx = asyncContext ? it : it.skip;
  const { sleep, gather, waitFor, Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier, BrokenBarrierError } = lib;
  const { CancelledError, RuntimeError, ValueError } = lib;

  it('Lock: one holder at a time, waiters served first come first served', async () => {
    await run(async (loop) => {
      const lock = new Lock();
      const log: string[] = [];
      const worker = (name: string) => async () => {
        await lock.acquire();
        try {
          log.push(`${name} in`);
          await sleep(0.002);
          log.push(`${name} out`);
        } finally {
          lock.release();
        }
      };
      await gather(...['a', 'b', 'c'].map((n) => loop.createTask(worker(n))));
      expect(log).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
      expect(lock.locked()).toBe(false);
      expect(() => lock.release()).toThrow(RuntimeError);
      expect(String(lock)).toBe('<Lock [unlocked]>');
    });
  });

  it('Lock: a holder that releases and asks again goes behind the waiters', async () => {
    await run(async (loop) => {
      const lock = new Lock();
      const order: string[] = [];
      await lock.acquire();
      const waiter = loop.createTask(async () => {
        await lock.acquire();
        order.push('waiter');
        lock.release();
      });
      await sleep(0);
      lock.release();
      await lock.acquire();
      order.push('releaser');
      lock.release();
      await waiter;
      expect(order).toEqual(['waiter', 'releaser']);
    });
  });

  it('a lock that made a loop wait refuses another loop', async () => {
    const lock = new Lock();
    await run(async (loop) => {
      await lock.acquire();
      const waiter = loop.createTask(() => lock.acquire());
      await sleep(0);
      lock.release();
      await waiter;
      lock.release();
    });
    const e = await run(async () => {
      await lock.acquire(); // free: no wait, no loop needed
      return rejection(lock.acquire());
    });
    expect(e).toBeInstanceOf(RuntimeError);
    expect((e as Error).message).toMatch(/is bound to a different event loop$/);
  });

  it('Lock: a cancelled waiter leaves the line and the next one gets the lock', async () => {
    await run(async (loop) => {
      const lock = new Lock();
      await lock.acquire();
      const first = loop.createTask(() => lock.acquire());
      const second = loop.createTask(() => lock.acquire());
      await sleep(0);
      first.cancel();
      await sleep(0);
      lock.release();
      expect(await second).toBe(true);
      expect(await rejection(first)).toBeInstanceOf(CancelledError);
      expect(lock.locked()).toBe(true);
    });
  });

  itCtx('Lock: a waiter woken and then cancelled hands the lock to the next', async () => {
    await run(async (loop) => {
      const lock = new Lock();
      await lock.acquire();
      const first = loop.createTask(() => lock.acquire());
      const second = loop.createTask(() => lock.acquire());
      await sleep(0);
      lock.release(); // wakes `first`...
      first.cancel(); // ...which leaves anyway
      expect(await waitFor(second, 0.5)).toBe(true);
      expect(first.cancelled()).toBe(true);
    });
  });

  it('Lock.run holds the lock for the function and releases it however it ends', async () => {
    await run(async () => {
      const lock = new Lock();
      expect(await lock.run(async () => (lock.locked() ? 'held' : 'free'))).toBe('held');
      expect(await rejection(lock.run(async () => { throw new ValueError('x'); }))).toBeInstanceOf(ValueError);
      expect(lock.locked()).toBe(false);
      await lock.acquire();
      await lock[Symbol.asyncDispose]();
      expect(lock.locked()).toBe(false);
    });
  });

  it('Event: wait resolves true once set; set wakes every waiter; clear', async () => {
    await run(async (loop) => {
      const ev = new Event();
      const waiters = [1, 2, 3].map(() => loop.createTask(() => ev.wait()));
      await sleep(0);
      expect(waiters.some((w) => w.done())).toBe(false);
      ev.set();
      expect(await gather(...waiters)).toEqual([true, true, true]);
      expect(ev.isSet()).toBe(true);
      expect(await ev.wait()).toBe(true);
      ev.clear();
      expect(ev.isSet()).toBe(false);
      const w = loop.createTask(() => ev.wait());
      await sleep(0.005);
      expect(w.done()).toBe(false);
      if (asyncContext) {
        w.cancel();
        expect(await rejection(w)).toBeInstanceOf(CancelledError);
      } else {
        ev.set();
        expect(await w).toBe(true);
      }
    });
  });

  it('Condition: notify(n) wakes n waiters in order, notifyAll the rest; each holds the lock again', async () => {
    await run(async (loop) => {
      const cond = new Condition();
      const woke: number[] = [];
      const waiters = [1, 2, 3].map((n) =>
        loop.createTask(() =>
          cond.run(async () => {
            await cond.wait();
            expect(cond.locked()).toBe(true);
            woke.push(n);
          }),
        ),
      );
      await sleep(0.001);
      await cond.run(() => cond.notify(1));
      await sleep(0.001);
      expect(woke).toEqual([1]);
      await cond.run(() => cond.notifyAll());
      await gather(...waiters);
      expect(woke).toEqual([1, 2, 3]);
      expect(await rejection(cond.wait())).toBeInstanceOf(RuntimeError);
      expect(() => cond.notify()).toThrow(RuntimeError);
    });
  });

  it('Condition.waitFor waits until the predicate holds', async () => {
    await run(async (loop) => {
      const cond = new Condition(new Lock());
      let value = 0;
      const waiter = loop.createTask(() => cond.run(() => cond.waitFor(() => value >= 2 && `value ${value}`)));
      for (let i = 0; i < 3; i++) {
        await sleep(0.001);
        await cond.run(() => {
          value += 1;
          cond.notifyAll();
        });
      }
      expect(await waiter).toBe('value 2');
    });
  });

  itCtx('Condition: a cancelled waiter takes the lock back before it sees CancelledError', async () => {
    await run(async (loop) => {
      const cond = new Condition();
      let lockedWhenCancelled: boolean | null = null;
      const waiter = loop.createTask(async () => {
        await cond.acquire();
        try {
          await cond.wait();
        } catch (e) {
          lockedWhenCancelled = cond.locked();
          throw e;
        } finally {
          cond.release();
        }
      });
      await sleep(0.001);
      waiter.cancel();
      expect(await rejection(waiter)).toBeInstanceOf(CancelledError);
      expect(lockedWhenCancelled).toBe(true);
      expect(cond.locked()).toBe(false);
    });
  });

  it('Semaphore: at most value holders, in order; BoundedSemaphore refuses an extra release', async () => {
    await run(async (loop) => {
      const sem = new Semaphore(2);
      let inside = 0;
      let most = 0;
      const order: number[] = [];
      const tasks = [1, 2, 3, 4, 5].map((n) =>
        loop.createTask(() =>
          sem.run(async () => {
            order.push(n);
            inside += 1;
            most = Math.max(most, inside);
            await sleep(0.002);
            inside -= 1;
          }),
        ),
      );
      await gather(...tasks);
      expect(most).toBe(2);
      expect(order).toEqual([1, 2, 3, 4, 5]);
      expect(sem.locked()).toBe(false);
      expect(() => new Semaphore(-1)).toThrow(ValueError);
      const bounded = new BoundedSemaphore(1);
      await bounded.acquire();
      expect(bounded.locked()).toBe(true);
      bounded.release();
      expect(() => bounded.release()).toThrow(ValueError);
    });
  });

  itCtx('Semaphore: a woken waiter that is cancelled does not lose the count', async () => {
    await run(async (loop) => {
      const sem = new Semaphore(1);
      await sem.acquire();
      const a = loop.createTask(() => sem.acquire());
      const b = loop.createTask(() => sem.acquire());
      await sleep(0);
      sem.release(); // the count goes to `a`...
      a.cancel(); // ...which leaves: it must reach `b`
      expect(await waitFor(b, 0.5)).toBe(true);
      expect(a.cancelled()).toBe(true);
      expect(sem.locked()).toBe(true);
    });
  });

  it('Barrier: the parties pass together, each with its index; later ones start a new round', async () => {
    await run(async (loop) => {
      const barrier = new Barrier(3);
      expect(barrier.parties).toBe(3);
      const passed: number[] = [];
      const party = () => loop.createTask(async () => passed.push(await barrier.wait()));
      const first = [party(), party()];
      await sleep(0.001);
      expect(barrier.nWaiting).toBe(2);
      expect(passed).toEqual([]);
      first.push(party());
      await gather(...first);
      expect(passed.sort()).toEqual([0, 1, 2]);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    });
  });

  it('Barrier: abort and reset break the wait of those inside with BrokenBarrierError', async () => {
    await run(async (loop) => {
      const barrier = new Barrier(3);
      const w1 = loop.createTask(() => barrier.wait());
      await sleep(0.001);
      await barrier.reset();
      expect(await rejection(w1)).toBeInstanceOf(BrokenBarrierError);
      expect(barrier.broken).toBe(false);

      const w2 = loop.createTask(() => barrier.wait());
      await sleep(0.001);
      await barrier.abort();
      expect(await rejection(w2)).toBeInstanceOf(BrokenBarrierError);
      expect(barrier.broken).toBe(true);
      expect(await rejection(barrier.wait())).toBeInstanceOf(BrokenBarrierError);
      expect(() => new Barrier(0)).toThrow(ValueError);
    });
  });
}
