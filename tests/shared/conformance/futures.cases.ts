// Future and task cases, and runUntilComplete, over the shared loop interface.
import { expect } from 'vitest';
import type { ConfFuture } from './kit.js';
import { pause, ticks, withFresh } from './kit.js';
import type { Case } from './register.js';

export const futureCases: Case[] = [
  {
    name: 'a future starts pending; setResult completes it once',
    run: (kind) =>
      kind.run(async ({ loop, api }) => {
        const fut = loop.createFuture<number>();
        expect(fut.done()).toBe(false);
        expect(fut.cancelled()).toBe(false);
        expect(() => fut.result()).toThrow(api.InvalidStateError);
        expect(() => fut.result()).toThrow('Result is not set.');
        expect(() => fut.exception()).toThrow('Exception is not set.');
        fut.setResult(7);
        expect(fut.done()).toBe(true);
        expect(fut.result()).toBe(7);
        expect(fut.exception()).toBeNull();
        expect(() => fut.setResult(8)).toThrow(api.InvalidStateError);
        expect(() => fut.setException(new Error('late'))).toThrow('invalid state');
        expect(fut.cancel()).toBe(false);
        expect(await fut).toBe(7);
      }),
  },
  {
    name: 'a future with an exception throws it from result() and rejects its awaiters',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const fut = loop.createFuture<number>();
        const err = new Error('failed');
        loop.callSoon(() => fut.setException(err));
        await expect(fut).rejects.toBe(err);
        expect(fut.exception()).toBe(err);
        expect(() => fut.result()).toThrow(err);
      }),
  },
  {
    name: 'cancel() makes a future cancelled; result() and awaiters get CancelledError(msg)',
    run: (kind) =>
      kind.run(async ({ loop, api }) => {
        const fut = loop.createFuture();
        const awaited = Promise.resolve(fut).then(
          () => 'resolved',
          (e: unknown) => e,
        );
        expect(fut.cancel('because')).toBe(true);
        expect(fut.cancel()).toBe(false);
        expect(fut.cancelled()).toBe(true);
        expect(fut.done()).toBe(true);
        expect(() => fut.result()).toThrow(api.CancelledError);
        expect(() => fut.exception()).toThrow(api.CancelledError);
        const e = await awaited;
        expect(e).toBeInstanceOf(api.CancelledError);
        expect((e as Error).message).toBe('because');
        expect(() => fut.setResult(1)).toThrow(api.InvalidStateError);
      }),
  },
  {
    name: 'done callbacks run through callSoon, in order, with the future; removeDoneCallback counts',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const fut = loop.createFuture<number>();
        const seen: unknown[] = [];
        const a = (f: ConfFuture<number>) => seen.push(['a', f === fut, f.result()]);
        const b = () => seen.push('b');
        fut.addDoneCallback(a);
        fut.addDoneCallback(b);
        fut.addDoneCallback(b);
        expect(fut.removeDoneCallback(b)).toBe(2);
        fut.addDoneCallback(b);
        loop.callSoon(() => {
          fut.setResult(5);
          seen.push('set'); // callbacks are scheduled, not called
        });
        loop.callSoon(() => seen.push('next in batch'));
        await ticks(loop, 3);
        expect(seen).toEqual(['set', 'next in batch', ['a', true, 5], 'b']);
        fut.addDoneCallback(() => seen.push('late')); // on a done future: scheduled at once
        await ticks(loop, 1);
        expect(seen.at(-1)).toBe('late');
      }),
  },
  {
    name: 'a task runs its function from a later iteration and holds its result',
    run: (kind) =>
      kind.run(async ({ loop, api }) => {
        const seen: string[] = [];
        const task = loop.createTask(
          async () => {
            seen.push('task started');
            await api.sleep(0);
            return 'task result';
          },
          { name: 'worker' },
        );
        seen.push('created');
        expect(task.getName()).toBe('worker');
        expect(task.done()).toBe(false);
        expect(await task).toBe('task result');
        expect(seen).toEqual(['created', 'task started']);
        expect(task.result()).toBe('task result');
        expect(() => task.setResult('x')).toThrow(api.RuntimeError);
      }),
  },
  {
    name: 'a failing task holds its exception; awaiting it rejects',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const err = new Error('task failed');
        const task = loop.createTask(async () => {
          await pause(loop, 0.001);
          throw err;
        });
        await expect(task).rejects.toBe(err);
        expect(task.done()).toBe(true);
        expect(task.exception()).toBe(err);
      }),
  },
  {
    name: 'cancelling a task: CancelledError at its await, awaiters get it; a task cancelled before its first step never runs',
    run: (kind) =>
      kind.run(async ({ loop, api }) => {
        const task = loop.createTask(async () => {
          await pause(loop, 1);
          return 'ignored';
        });
        await ticks(loop, 2);
        expect(task.cancel('stop it')).toBe(true);
        await expect(task).rejects.toBeInstanceOf(api.CancelledError);
        expect(task.cancelled()).toBe(true);
        expect(task.cancel()).toBe(false);
        let ran = false;
        const early = loop.createTask(async () => {
          ran = true;
        });
        early.cancel();
        await ticks(loop, 2);
        expect(ran).toBe(false);
        expect(early.cancelled()).toBe(true);
      }),
  },
  {
    name: 'sleep(delay) resumes after at least delay seconds of the loop clock',
    run: (kind) =>
      kind.run(async ({ loop, api }) => {
        const start = loop.time();
        await api.sleep(0.05);
        expect(loop.time() - start).toBeGreaterThanOrEqual(0.05 - 1e-9);
      }),
  },
  {
    name: 'runUntilComplete returns the result of a future or promise, and rejects with its error',
    run: (kind) =>
      withFresh(kind, async ({ loop, runUntilComplete }) => {
        const fut = loop.createFuture<number>();
        loop.callLater(0.001, () => fut.setResult(42));
        expect(await runUntilComplete(fut)).toBe(42);
        const done = loop.createFuture<string>();
        done.setResult('already');
        expect(await runUntilComplete(done)).toBe('already');
        const failing = loop.createFuture();
        const err = new Error('nope');
        loop.callSoon(() => failing.setException(err));
        await expect(runUntilComplete(failing)).rejects.toBe(err);
        const task = loop.createTask(async () => {
          await pause(loop, 0.01);
          return 'from a task';
        });
        expect(await runUntilComplete(task)).toBe('from a task');
        expect(loop.isRunning()).toBe(false);
      }),
  },
];
