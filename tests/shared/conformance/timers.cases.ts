// Timer cases: asyncio's `(when, seq)` order among timers, callSoon callbacks and timers
// scheduled from callbacks, cancelled timers, and the clock. Each body uses only the shared
// loop interface, so a loop that keeps its timers anywhere (the core, a JS queue) is held to
// the same order.
import { expect } from 'vitest';
import { pause } from './kit.js';
import type { Case } from './register.js';

export const timerCases: Case[] = [
  {
    name: 'timers due now run after the callbacks already ready, earliest deadline first',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const seen: string[] = [];
        loop.callSoon(() => seen.push('soon a'));
        loop.callLater(0, () => seen.push('later 0'));
        loop.callAt(loop.time() - 10, () => seen.push('at past'));
        loop.callSoon(() => seen.push('soon b'));
        await pause(loop, 0.005);
        expect(seen).toEqual(['soon a', 'soon b', 'at past', 'later 0']);
      }),
  },
  {
    name: 'timers at one deadline run in scheduling order, cancelled ones left out',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const when = loop.time() + 0.005;
        const seen: number[] = [];
        const handles = [];
        for (let i = 0; i < 10; i++) handles.push(loop.callAt(when, () => seen.push(i)));
        for (let i = 1; i < 10; i += 3) handles[i]?.cancel();
        await pause(loop, 0.02);
        expect(seen).toEqual([0, 2, 3, 5, 6, 8, 9]);
      }),
  },
  {
    name: 'a timer scheduled by a timer callback runs in a later iteration, after its callSoon',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const seen: string[] = [];
        const done = loop.createFuture<void>();
        loop.callLater(0, () => {
          seen.push('first timer');
          loop.callLater(0, () => {
            seen.push('later 0');
            done.setResult(undefined);
          });
          loop.callAt(loop.time() - 1, () => seen.push('at past'));
          loop.callSoon(() => seen.push('soon'));
        });
        loop.callLater(0, () => seen.push('second timer'));
        await done;
        expect(seen).toEqual(['first timer', 'second timer', 'soon', 'at past', 'later 0']);
      }),
  },
  {
    name: 'a timer cancelled by an earlier one of the same iteration does not run',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const when = loop.time() + 0.002;
        const seen: string[] = [];
        const b = loop.callAt(when, () => seen.push('b'));
        loop.callAt(when - 0.001, () => {
          seen.push('a');
          b.cancel();
        });
        loop.callAt(when, () => seen.push('c'));
        await pause(loop, 0.01);
        expect(seen).toEqual(['a', 'c']);
        expect(b.cancelled()).toBe(true);
      }),
  },
  {
    name: 'cancelling the earliest timer leaves the later ones on time',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const seen: string[] = [];
        const early = loop.callLater(0.001, () => seen.push('early'));
        const start = loop.time();
        const late = loop.callLater(0.004, (): void => {
          seen.push(`late ${loop.time() >= late.when() - 1e-9}`);
        });
        early.cancel();
        await pause(loop, 0.01);
        expect(seen).toEqual(['late true']);
        expect(late.when()).toBeGreaterThanOrEqual(start + 0.004);
      }),
  },
  {
    name: 'many timers, most of them cancelled: the rest run by deadline, ties in scheduling order',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const seen: number[] = [];
        const kept: { i: number; when: number }[] = [];
        const done = loop.createFuture<void>();
        const n = 1000;
        for (let i = 0; i < n; i++) {
          // Seven delays, some of them the same deadline through callAt: both kinds of schedule.
          const h = i % 5 === 0 ? loop.callAt(loop.time() + 0.002, () => seen.push(i)) : loop.callLater((i % 7) * 3e-4, () => seen.push(i));
          if (i % 4 !== 0) h.cancel();
          else kept.push({ i, when: h.when() });
        }
        const last = loop.callLater(0.01, () => done.setResult(undefined));
        await done;
        kept.sort((a, b) => a.when - b.when || a.i - b.i);
        expect(seen).toEqual(kept.map((k) => k.i));
        expect(last.cancelled()).toBe(false);
      }),
  },
  {
    name: 'time() never goes back, and a timer never runs before its when()',
    run: (kind) =>
      kind.run(async ({ loop }) => {
        const times: number[] = [loop.time()];
        const early: number[] = [];
        const done = loop.createFuture<void>();
        let left = 40;
        const step = (): void => {
          times.push(loop.time());
          if (--left === 0) {
            done.setResult(undefined);
            return;
          }
          if (left % 2 === 0) loop.callSoon(step);
          else {
            const h = loop.callLater((left % 3) * 1e-4, () => {
              if (loop.time() < h.when() - 1e-9) early.push(h.when() - loop.time());
              step();
            });
          }
        };
        loop.callSoon(step);
        await done;
        times.push(loop.time());
        for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number);
        expect(early).toEqual([]);
      }),
  },
];
