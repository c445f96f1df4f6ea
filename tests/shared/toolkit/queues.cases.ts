// Queue, PriorityQueue, LifoQueue: behaviour of CPython's test_queues.py, in our words.
import { expect, it } from 'vitest';
import { type Env, rejection } from './env.js';

export function queueCases({ lib, run, asyncContext }: Env): void {
  const { sleep, Queue, PriorityQueue, LifoQueue, QueueEmpty, QueueFull, QueueShutDown, ValueError, CancelledError, gather, waitFor } = lib;
  const itCtx = asyncContext ? it : it.skip;

  it('Queue is first in, first out; LifoQueue last in; PriorityQueue smallest first', async () => {
    await run(async () => {
      const q = new Queue<number>();
      const lifo = new LifoQueue<number>();
      const prio = new PriorityQueue<[number, string]>();
      for (const n of [3, 1, 2]) {
        q.putNowait(n);
        lifo.putNowait(n);
      }
      for (const item of [[5, 'e'], [1, 'a'], [3, 'c'], [1, 'A'], [4, 'd']] as [number, string][]) await prio.put(item);
      expect([q.getNowait(), q.getNowait(), q.getNowait()]).toEqual([3, 1, 2]);
      expect([await lifo.get(), await lifo.get(), await lifo.get()]).toEqual([2, 1, 3]);
      const got: string[] = [];
      while (!prio.empty()) got.push((await prio.get())[1]);
      expect(got).toEqual(['A', 'a', 'c', 'd', 'e']);
      const custom = new PriorityQueue<{ p: number }>({ compare: (a, b) => b.p - a.p });
      custom.putNowait({ p: 1 });
      custom.putNowait({ p: 9 });
      expect(custom.getNowait().p).toBe(9);
    });
  });

  it('PriorityQueue refuses items it cannot order without a compare function', async () => {
    await run(async () => {
      const q = new PriorityQueue<unknown>();
      q.putNowait({ a: 1 });
      expect(() => q.putNowait({ b: 2 })).toThrow(TypeError);
    });
  });

  it('maxsize: putNowait on a full queue is QueueFull, getNowait on an empty one QueueEmpty', async () => {
    await run(async () => {
      const q = new Queue<number>({ maxsize: 2 });
      expect(q.maxsize).toBe(2);
      expect(() => q.getNowait()).toThrow(QueueEmpty);
      q.putNowait(1);
      q.putNowait(2);
      expect(q.full()).toBe(true);
      expect(q.qsize()).toBe(2);
      expect(() => q.putNowait(3)).toThrow(QueueFull);
      expect(new Queue().full()).toBe(false);
    });
  });

  it('put waits while the queue is full, get while it is empty; waiters are served in order', async () => {
    await run(async (loop) => {
      const q = new Queue<string>({ maxsize: 1 });
      const got: string[] = [];
      const getters = [1, 2, 3].map((n) => loop.createTask(async () => got.push(`${n}:${await q.get()}`)));
      await sleep(0);
      for (const item of ['a', 'b', 'c']) await q.put(item);
      await gather(...getters);
      expect(got).toEqual(['1:a', '2:b', '3:c']);

      q.putNowait('x');
      const putter = loop.createTask(() => q.put('y'));
      await sleep(0.01);
      expect(putter.done()).toBe(false);
      expect(await q.get()).toBe('x');
      await putter;
      expect(q.getNowait()).toBe('y');
    });
  });

  it('a cancelled getter leaves the line: the item goes to the next getter', async () => {
    await run(async (loop) => {
      const q = new Queue<string>();
      const first = loop.createTask(() => q.get());
      const second = loop.createTask(() => q.get());
      await sleep(0);
      first.cancel();
      q.putNowait('item');
      expect(await second).toBe('item');
      expect(await rejection(first)).toBeInstanceOf(CancelledError);
      expect(q.empty()).toBe(true);
    });
  });

  itCtx('a getter woken and cancelled in the same iteration passes the item on', async () => {
    await run(async (loop) => {
      const q = new Queue<string>();
      const first = loop.createTask(() => q.get());
      const second = loop.createTask(() => q.get());
      await sleep(0.001);
      q.putNowait('item'); // wakes `first`...
      first.cancel(); // ...which leaves before it takes the item
      expect(await waitFor(second, 0.5)).toBe('item');
      expect(first.cancelled()).toBe(true);
    });
  });

  it('join waits until every item is marked done; taskDone too often is a ValueError', async () => {
    await run(async (loop) => {
      const q = new Queue<number>();
      let processed = 0;
      for (let i = 0; i < 3; i++) q.putNowait(i);
      const worker = loop.createTask(async () => {
        for (;;) {
          await q.get();
          await sleep(0.001);
          processed += 1;
          q.taskDone();
        }
      });
      await q.join();
      expect(processed).toBe(3);
      worker.cancel();
      expect(() => q.taskDone()).toThrow(ValueError);
    });
  });

  it('shutdown: puts fail, gets drain what is left then fail; waiting getters wake with QueueShutDown', async () => {
    await run(async (loop) => {
      const q = new Queue<number>();
      const waiting = loop.createTask(() => q.get());
      await sleep(0);
      q.shutdown();
      expect(await rejection(waiting)).toBeInstanceOf(QueueShutDown);
      expect(() => q.putNowait(1)).toThrow(QueueShutDown);
      expect(await rejection(q.put(1))).toBeInstanceOf(QueueShutDown);

      const r = new Queue<number>();
      r.putNowait(1);
      r.putNowait(2);
      r.shutdown();
      expect(await r.get()).toBe(1);
      expect(r.getNowait()).toBe(2);
      expect(await rejection(r.get())).toBeInstanceOf(QueueShutDown);
      expect(() => r.getNowait()).toThrow(QueueShutDown);
    });
  });

  it('shutdown(true) drops the items, counts them done, and wakes join and the putters', async () => {
    await run(async (loop) => {
      const q = new Queue<number>({ maxsize: 1 });
      q.putNowait(1);
      const putter = loop.createTask(() => q.put(2));
      const joiner = loop.createTask(() => q.join());
      await sleep(0);
      q.shutdown(true);
      expect(q.empty()).toBe(true);
      expect(await rejection(putter)).toBeInstanceOf(QueueShutDown);
      await joiner;
      expect(joiner.done()).toBe(true);
    });
  });
}
