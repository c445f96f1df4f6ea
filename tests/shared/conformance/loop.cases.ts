// Loop cases: callbacks, timers, cancellation, stop and close, the exception
// handler and debug mode. Each body uses only the shared loop interface.
import { expect } from 'vitest';
import type { ConfContext } from './kit.js';
import { pause, ticks, withFresh } from './kit.js';
import type { Case } from './register.js';

export const loopCases: Case[] = [
  {
    name: 'callSoon runs callbacks first in, first out, with their arguments',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const seen: unknown[] = [];
        const push = (...args: unknown[]) => seen.push(args);
        const done = loop.createFuture<void>();
        loop.callSoon(push, 'a', 1);
        loop.callSoon(push, 'b', 2);
        loop.callSoon(push);
        loop.callSoon(() => done.setResult(undefined));
        await done;
        expect(seen).toEqual([['a', 1], ['b', 2], []]);
      }),
  },
  {
    name: 'a callback scheduled by a callback runs after those queued before it',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const seen: string[] = [];
        const done = loop.createFuture<void>();
        loop.callSoon(() => {
          seen.push('A');
          loop.callSoon(() => {
            seen.push('C');
            done.setResult(undefined);
          });
        });
        loop.callSoon(() => seen.push('B'));
        await done;
        expect(seen).toEqual(['A', 'B', 'C']);
      }),
  },
  {
    name: 'callSoonThreadsafe keeps FIFO order with callSoon',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const seen: string[] = [];
        loop.callSoonThreadsafe(() => seen.push('a'));
        loop.callSoon(() => seen.push('b'));
        loop.callSoonThreadsafe((x: string) => seen.push(x), 'c');
        await ticks(loop, 1);
        expect(seen).toEqual(['a', 'b', 'c']);
      }),
  },
  {
    name: 'callLater runs timers in deadline order, never early',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const seen: [string, number][] = [];
        const start = loop.time();
        const at = (name: string) => () => seen.push([name, loop.time()]);
        loop.callLater(0.05, at('c'));
        loop.callLater(0.01, at('a'));
        loop.callLater(0.03, at('b'));
        await pause(loop, 0.08);
        expect(seen.map(([n]) => n)).toEqual(['a', 'b', 'c']);
        const delays = { a: 0.01, b: 0.03, c: 0.05 } as Record<string, number>;
        for (const [n, t] of seen) expect(t - start).toBeGreaterThanOrEqual(delays[n] - 1e-9);
      }),
  },
  {
    name: 'callAt with equal deadlines runs in scheduling order, in one iteration',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const when = loop.time() + 0.01;
        const seen: string[] = [];
        const done = loop.createFuture<void>();
        for (let i = 0; i < 6; i++) {
          loop.callAt(when, () => {
            seen.push(String(i));
            // Scheduled from the first: runs after the other five only if they share its iteration.
            if (i === 0) loop.callSoon(() => seen.push('next iteration'));
            if (i === 5) loop.callSoon(() => done.setResult(undefined));
          });
        }
        await done;
        expect(seen).toEqual(['0', '1', '2', '3', '4', '5', 'next iteration']);
      }),
  },
  {
    name: 'negative delays are due at once, in deadline order',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const seen: string[] = [];
        loop.callLater(-1, () => seen.push('a'));
        loop.callLater(-2, () => seen.push('b'));
        loop.callLater(0, () => seen.push('c'));
        await pause(loop, 0.001);
        expect(seen).toEqual(['b', 'a', 'c']);
      }),
  },
  {
    name: 'TimerHandle.when() is the deadline of callAt and callLater',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const w = loop.time() + 0.02;
        const h = loop.callAt(w, () => {});
        expect(h.when()).toBe(w);
        const before = loop.time();
        const later = loop.callLater(0.5, () => {});
        expect(later.when()).toBeGreaterThanOrEqual(before + 0.5);
        expect(later.when()).toBeLessThanOrEqual(loop.time() + 0.5);
        later.cancel();
        h.cancel();
      }),
  },
  {
    name: 'cancelled handles and timers never run; cancel() is idempotent and allowed after running',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const seen: string[] = [];
        const h = loop.callSoon(() => seen.push('h'));
        const t = loop.callLater(0, () => seen.push('t'));
        expect(h.cancelled()).toBe(false);
        h.cancel();
        h.cancel();
        t.cancel();
        expect(h.cancelled()).toBe(true);
        expect(t.cancelled()).toBe(true);
        const ran = loop.callSoon(() => seen.push('ran'));
        await pause(loop, 0.01);
        expect(seen).toEqual(['ran']);
        ran.cancel();
        expect(ran.cancelled()).toBe(true);
      }),
  },
  {
    name: 'a handle cancelled by an earlier callback of the same iteration does not run',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const seen: string[] = [];
        loop.callSoon(() => {
          seen.push('first');
          victim.cancel();
        });
        const victim = loop.callSoon(() => seen.push('victim'));
        loop.callSoon(() => seen.push('third'));
        await ticks(loop, 2);
        expect(seen).toEqual(['first', 'third']);
      }),
  },
  {
    name: 'stop() inside a callback ends runForever after the current iteration',
    needs: ['runForever'],
    run: (kind) =>
      withFresh(kind, async ({ loop, runForever }) => {
        const seen: string[] = [];
        loop.callSoon(() => {
          seen.push('A');
          loop.stop();
          loop.callSoon(() => seen.push('next iteration'));
        });
        loop.callSoon(() => seen.push('rest of the batch'));
        await runForever!();
        expect(seen).toEqual(['A', 'rest of the batch']);
        expect(loop.isRunning()).toBe(false);
        loop.callSoon(() => loop.stop());
        await runForever!();
        expect(seen).toEqual(['A', 'rest of the batch', 'next iteration']);
      }),
  },
  {
    name: 'stop() before runForever makes it run exactly one iteration',
    needs: ['runForever'],
    run: (kind) =>
      withFresh(kind, async ({ loop, runForever }) => {
        const seen: string[] = [];
        loop.stop();
        loop.callSoon(() => {
          seen.push('X');
          loop.callSoon(() => seen.push('Y'));
        });
        await runForever!();
        expect(seen).toEqual(['X']);
      }),
  },
  {
    name: "a closed loop refuses new work with RuntimeError('Event loop is closed'); close() is idempotent",
    run: (kind) =>
      withFresh(kind, async ({ loop }) => {
        const seen: string[] = [];
        loop.callSoon(() => seen.push('dropped'));
        loop.callLater(0, () => seen.push('dropped timer'));
        expect(loop.isClosed()).toBe(false);
        loop.close();
        loop.close();
        expect(loop.isClosed()).toBe(true);
        const { RuntimeError } = kind.api;
        const calls: (() => unknown)[] = [
          () => loop.callSoon(() => {}),
          () => loop.callLater(1, () => {}),
          () => loop.callAt(1, () => {}),
          () => loop.createTask(async () => {}),
        ];
        for (const c of calls) {
          expect(c).toThrow(RuntimeError);
          expect(c).toThrow('Event loop is closed');
        }
        const fut = loop.createFuture<number>();
        fut.setResult(1);
        expect(fut.result()).toBe(1);
        expect(seen).toEqual([]);
      }),
  },
  {
    name: 'close() from a callback of the running loop is refused and the loop goes on',
    run: (kind) =>
      kind.run(async ({ loop, api }) => {
        const errors: unknown[] = [];
        const done = loop.createFuture<void>();
        loop.callSoon(() => {
          try {
            loop.close();
          } catch (e) {
            errors.push(e);
          }
        });
        loop.callSoon(() => done.setResult(undefined));
        await done;
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(api.RuntimeError);
        expect((errors[0] as Error).message).toBe('Cannot close a running event loop');
        expect(loop.isClosed()).toBe(false);
      }),
  },
  {
    name: 'isRunning() and the running loop inside callbacks and tasks',
    run: (kind) =>
      kind.run(async ({ loop, api }) => {
        expect(loop.isRunning()).toBe(true);
        expect(api.getRunningLoop()).toBe(loop);
        const inside: unknown[] = [];
        loop.callSoon(() => inside.push(loop.isRunning(), api.getRunningLoop() === loop));
        await ticks(loop, 1);
        expect(inside).toEqual([true, true]);
      }),
  },
  {
    name: 'a throwing callback reaches the exception handler with its context; the loop goes on',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const got: [unknown, ConfContext][] = [];
        loop.setExceptionHandler((l, ctx) => got.push([l, ctx]));
        const err = new Error('boom');
        const seen: string[] = [];
        const h = loop.callSoon(function thrower(_a: string, _b: number) {
          throw err;
        }, 'a', 1);
        loop.callSoon(() => seen.push('still running'));
        await ticks(loop, 1);
        expect(seen).toEqual(['still running']);
        expect(got).toHaveLength(1);
        expect(got[0][0]).toBe(loop);
        expect(got[0][1].message).toBe("Exception in callback thrower('a', 1)");
        expect(got[0][1].exception).toBe(err);
        expect(got[0][1].handle).toBe(h);
      }),
  },
  {
    name: 'a throwing timer callback reaches the exception handler too',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const got: ConfContext[] = [];
        loop.setExceptionHandler((_l, ctx) => got.push(ctx));
        const err = new RangeError('late boom');
        loop.callLater(0.001, function lateThrower() {
          throw err;
        });
        await pause(loop, 0.01);
        expect(got.map((c) => [c.message, c.exception])).toEqual([['Exception in callback lateThrower()', err]]);
      }),
  },
  {
    name: 'callExceptionHandler passes the very context to a custom handler; setExceptionHandler checks its argument',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        expect(loop.getExceptionHandler()).toBeNull();
        const got: [unknown, ConfContext][] = [];
        const handler = (l: unknown, ctx: ConfContext) => got.push([l, ctx]);
        loop.setExceptionHandler(handler);
        expect(loop.getExceptionHandler()).toBe(handler);
        const ctx = { message: 'custom', foo: 1 };
        loop.callExceptionHandler(ctx);
        expect(got).toHaveLength(1);
        expect(got[0][0]).toBe(loop);
        expect(got[0][1]).toBe(ctx);
        const loose = loop as unknown as { setExceptionHandler(h: unknown): void };
        expect(() => loose.setExceptionHandler('x')).toThrow(TypeError);
        expect(() => loose.setExceptionHandler('x')).toThrow("A callable object or None is expected, got 'x'");
        loop.setExceptionHandler(null);
        expect(loop.getExceptionHandler()).toBeNull();
      }),
  },
  {
    name: 'debug mode refuses async functions as callbacks',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        loop.callSoon(async () => {}).cancel(); // accepted without debug, as asyncio
        expect(loop.getDebug()).toBe(false);
        loop.setDebug(true);
        expect(loop.getDebug()).toBe(true);
        try {
          expect(() => loop.callSoon(async () => {})).toThrow(TypeError);
          expect(() => loop.callSoon(async () => {})).toThrow('coroutines cannot be used with callSoon()');
          expect(() => loop.callLater(1, async () => {})).toThrow('coroutines cannot be used with callLater()');
          expect(() => loop.callAt(1, async () => {})).toThrow('coroutines cannot be used with callAt()');
        } finally {
          loop.setDebug(false);
        }
      }),
  },
];
