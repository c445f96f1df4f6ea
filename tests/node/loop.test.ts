// The native loop's scheduling semantics (asyncio 3.13): callSoon, timers,
// stop, cancel, close, argument errors, runUntilComplete.
import { describe, expect, it } from 'vitest';
import { RuntimeError, type EventLoop } from 'evloop';
import { makeLoop, runNode } from './loop-helpers.js';

/** Schedules `loop.stop()` after everything queued so far and runs. */
async function runPending(loop: EventLoop): Promise<void> {
  loop.callSoon(() => loop.stop());
  await loop.runForever();
}

describe('callSoon', () => {
  it('runs callbacks first in, first out, with their arguments', async () => {
    const loop = makeLoop();
    const seen: unknown[] = [];
    loop.callSoon((a: number, b: string) => seen.push(['one', a, b]), 1, 'x');
    loop.callSoon(() => seen.push('two'));
    loop.callSoon((...rest: unknown[]) => seen.push(rest), null, undefined, { k: 1 });
    await runPending(loop);
    expect(seen).toEqual([['one', 1, 'x'], 'two', [null, undefined, { k: 1 }]]);
  });

  it('runs a callback scheduled by a callback in the next iteration', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    loop.callSoon(() => {
      seen.push('a');
      loop.callSoon(() => seen.push('c'));
    });
    loop.callSoon(() => seen.push('b'));
    loop.callSoon(() => loop.callSoon(() => loop.stop()));
    await loop.runForever();
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('returns a Handle that cancels', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    const h = loop.callSoon(() => seen.push('cancelled one'));
    loop.callSoon(() => seen.push('kept'));
    expect(h.cancelled()).toBe(false);
    h.cancel();
    h.cancel(); // idempotent
    expect(h.cancelled()).toBe(true);
    await runPending(loop);
    expect(seen).toEqual(['kept']);
  });

  it('skips a handle cancelled by an earlier callback of the same iteration', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    let second: { cancel(): void } | undefined;
    loop.callSoon(() => second?.cancel());
    second = loop.callSoon(() => seen.push('second'));
    await runPending(loop);
    expect(seen).toEqual([]);
  });
});

describe('the callbacks of one batch', () => {
  // Consecutive callSoon callbacks run in one entry into JS (js_ready.rs),
  // with the nextTick and microtask queues drained between them: each
  // callback must see exactly what it would after a separate entry.
  it('see every microtask and nextTick of the previous one run first, chains included', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    loop.callSoon(() => {
      seen.push('a');
      void Promise.resolve()
        .then(() => seen.push('a.1'))
        .then(() => seen.push('a.2'))
        .then(() => process.nextTick(() => seen.push('a.3 tick')));
      queueMicrotask(() => seen.push('a.micro'));
      process.nextTick(() => seen.push('a.tick'));
    });
    loop.callSoon(() => seen.push('b'));
    await runPending(loop);
    expect(seen).toEqual(['a', 'a.tick', 'a.1', 'a.micro', 'a.2', 'a.3 tick', 'b']);
  });

  it('keep a handle cancelled by the previous callback from running, and stop() ends the run after the batch', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    loop.callSoon(() => {
      seen.push('a');
      void Promise.resolve().then(() => b.cancel());
      loop.stop();
    });
    const b = loop.callSoon(() => seen.push('b'));
    loop.callSoon(() => seen.push('c'));
    await loop.runForever();
    expect(seen).toEqual(['a', 'c']);
    expect(b.cancelled()).toBe(true);
  });

  it('report a nextTick that throws between two callbacks and go on with the next one', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    const reports: unknown[] = [];
    loop.setExceptionHandler((_l, ctx) => reports.push(ctx.exception));
    const boom = new Error('tick boom');
    loop.callSoon(() => {
      seen.push('a');
      process.nextTick(() => {
        throw boom;
      });
      process.nextTick(() => seen.push('a.tick after the throw'));
    });
    loop.callSoon(() => seen.push('b'));
    await runPending(loop);
    expect(reports).toEqual([boom]);
    expect(seen).toEqual(['a', 'a.tick after the throw', 'b']);
  });

  it('leave the rest of the batch queued after a callback scheduled by a microtask of the first', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    loop.callSoon(() => {
      seen.push('a');
      void Promise.resolve().then(() => loop.callSoon(() => seen.push('next iteration')));
    });
    loop.callSoon(() => {
      seen.push('b');
      loop.stop();
    });
    await loop.runForever();
    expect(seen).toEqual(['a', 'b']);
    await runPending(loop);
    expect(seen).toEqual(['a', 'b', 'next iteration']);
  });
});

describe('a throwing callback', () => {
  // Node runs process.nextTick callbacks before microtasks when both are
  // queued (processTicksAndRejections), so `.tick` precedes `.micro`. What a
  // callback queued must run before the loop's next callback even if it
  // threw: Node skips its drain after a throw, the driver drains again.
  // In a child process, to see the report on stderr.
  it('still has its microtasks and nextTicks run before the next callback', async () => {
    const res = await runNode(`
      import { newEventLoop } from 'evloop';
      const loop = newEventLoop();
      const seen = [];
      loop.callSoon(function A() {
        seen.push('A');
        void Promise.resolve().then(() => seen.push('A.micro'));
        process.nextTick(() => seen.push('A.tick'));
      });
      loop.callSoon(function B() {
        seen.push('B');
        void Promise.resolve().then(() => seen.push('B.micro'));
        process.nextTick(() => seen.push('B.tick'));
        throw new Error('boom from B');
      });
      loop.callSoon(function C() { seen.push('C'); });
      loop.callSoon(() => loop.stop());
      await loop.runForever();
      console.log(JSON.stringify(seen));
    `);
    expect(res.signal).toBeNull();
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual(['A', 'A.tick', 'A.micro', 'B', 'B.tick', 'B.micro', 'C']);
    expect(res.stderr).toContain('Exception in callback B()');
    expect(res.stderr).toContain('Error: boom from B');
  });
});

describe('callLater and callAt', () => {
  it('run timers in deadline order, after ready callbacks', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    loop.callLater(0.03, () => {
      seen.push('30ms');
      loop.stop();
    });
    loop.callLater(0.01, (tag: string) => seen.push(tag), '10ms');
    loop.callLater(0.02, () => seen.push('20ms'));
    loop.callLater(0, () => seen.push('0ms'));
    loop.callSoon(() => seen.push('soon'));
    await loop.runForever();
    expect(seen).toEqual(['soon', '0ms', '10ms', '20ms', '30ms']);
  });

  it('treat negative delays as due now, in deadline order', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    loop.callLater(-1, () => seen.push('a'));
    loop.callLater(-2, () => seen.push('b'));
    await loop.runUntilComplete(new Promise((r) => loop.callLater(0.001, r, undefined)));
    expect(seen).toEqual(['b', 'a']);
  });

  it('callAt schedules on the loop clock and when() reports it', async () => {
    const loop = makeLoop();
    const when = loop.time() + 0.02;
    let ranAt = -1;
    const th = loop.callAt(when, () => {
      ranAt = loop.time();
      loop.stop();
    });
    expect(th.when()).toBe(when);
    const later = loop.callLater(10, () => {});
    expect(later.when()).toBeGreaterThanOrEqual(when);
    later.cancel();
    await loop.runForever();
    expect(ranAt).toBeGreaterThanOrEqual(when - 1e-3); // never more than a clock resolution early
  });

  it('a cancelled timer does not run', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    const th = loop.callLater(0.01, () => seen.push('cancelled'));
    loop.callLater(0.02, () => {
      seen.push('kept');
      loop.stop();
    });
    th.cancel();
    expect(th.cancelled()).toBe(true);
    await loop.runForever();
    expect(seen).toEqual(['kept']);
  });
});

describe('stop', () => {
  it('finishes the iteration; what it schedules runs on the next runForever', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    loop.callSoon(() => {
      seen.push('a');
      loop.stop();
      loop.callSoon(() => seen.push('c'));
    });
    loop.callSoon(() => seen.push('b')); // same batch: still runs
    await loop.runForever();
    expect(seen).toEqual(['a', 'b']);
    expect(loop.isRunning()).toBe(false);
    await runPending(loop);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('before runForever makes it run exactly one iteration', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    loop.callSoon(() => {
      seen.push('first');
      loop.callSoon(() => seen.push('second'));
    });
    loop.stop();
    await loop.runForever();
    expect(seen).toEqual(['first']);
    await runPending(loop);
    expect(seen).toEqual(['first', 'second']);
  });

  it('from a Node callback wakes a loop that is waiting', async () => {
    const loop = makeLoop();
    loop.callLater(3600, () => {});
    setTimeout(() => loop.stop(), 5);
    await loop.runForever();
    expect(loop.isRunning()).toBe(false);
  });

  it('isRunning is true from runForever until it resolves', async () => {
    const loop = makeLoop();
    const seen: boolean[] = [];
    expect(loop.isRunning()).toBe(false);
    loop.callSoon(() => {
      seen.push(loop.isRunning());
      loop.stop();
    });
    const run = loop.runForever();
    seen.push(loop.isRunning());
    await run;
    seen.push(loop.isRunning());
    expect(seen).toEqual([true, true, false]);
  });
});

describe('errors', () => {
  it('a closed loop refuses new work with RuntimeError', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    loop.callSoon(() => seen.push('dropped'));
    loop.close();
    loop.close(); // closing twice is fine
    expect(loop.isClosed()).toBe(true);
    for (const call of [
      () => loop.callSoon(() => {}),
      () => loop.callLater(1, () => {}),
      () => loop.callAt(1, () => {}),
    ]) {
      expect(call).toThrow(RuntimeError);
      expect(call).toThrow('Event loop is closed');
    }
    await expect(loop.runForever()).rejects.toThrow(new RuntimeError('Event loop is closed'));
    await expect(loop.runUntilComplete(Promise.resolve(1))).rejects.toThrow('Event loop is closed');
    expect(seen).toEqual([]);
  });

  it('errors carry the Python class name', () => {
    const loop = makeLoop();
    loop.close();
    try {
      loop.callSoon(() => {});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RuntimeError);
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).name).toBe('RuntimeError');
      expect((e as Error).message).toBe('Event loop is closed');
    }
  });

  it('a running loop cannot run again or close', async () => {
    const loop = makeLoop();
    const errors: unknown[] = [];
    loop.callSoon(async () => {
      try {
        loop.close();
      } catch (e) {
        errors.push(e);
      }
      await loop.runForever().catch((e) => errors.push(e));
      loop.stop();
    });
    await loop.runForever();
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(RuntimeError);
    expect((errors[0] as Error).message).toBe('Cannot close a running event loop');
    expect(errors[1]).toBeInstanceOf(RuntimeError);
    expect((errors[1] as Error).message).toBe('This event loop is already running');
  });

  it('another loop cannot run while one is running', async () => {
    const loop = makeLoop();
    const other = makeLoop();
    let error: unknown;
    loop.callSoon(async () => {
      await other.runForever().catch((e) => (error = e));
      loop.stop();
    });
    await loop.runForever();
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as Error).message).toBe('Cannot run the event loop while another loop is running');
  });

  it('bad argument types throw TypeError', () => {
    const loop = makeLoop();
    const anyLoop = loop as unknown as Record<string, (...a: unknown[]) => unknown>;
    const cases: [() => unknown, string | RegExp][] = [
      [() => anyLoop.callLater(null, () => {}), 'delay must not be None'],
      [() => anyLoop.callLater(undefined, () => {}), 'delay must not be None'],
      [() => anyLoop.callAt(null, () => {}), 'when cannot be None'],
      [() => anyLoop.callLater('1', () => {}), /delay must be a number/],
      [() => anyLoop.callSoon(123), /callSoon\(\)/],
      [() => anyLoop.callSoon(), /callSoon\(\)/],
      [() => anyLoop.callLater(1, 'not a function'), /callLater\(\)/],
      [() => anyLoop.callAt(1, {}), /callAt\(\)/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(TypeError);
      expect(call).toThrow(message);
    }
  });
});

describe('runUntilComplete', () => {
  it('resolves with the value of a promise settled by a loop callback', async () => {
    const loop = makeLoop();
    const value = await loop.runUntilComplete(new Promise<number>((resolve) => loop.callLater(0.01, resolve, 42)));
    expect(value).toBe(42);
    expect(loop.isRunning()).toBe(false);
  });

  it('rejects with the reason of a rejected promise', async () => {
    const loop = makeLoop();
    const reason = new Error('nope');
    const p = new Promise((_, reject) => loop.callSoon(reject, reason));
    await expect(loop.runUntilComplete(p)).rejects.toBe(reason);
  });

  it('completes an already-settled promise after one iteration', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    loop.callSoon(() => {
      seen.push('first');
      loop.callSoon(() => seen.push('second'));
    });
    expect(await loop.runUntilComplete(Promise.resolve('v'))).toBe('v');
    expect(seen).toEqual(['first']);
  });

  it('resolves with a promise settled from outside the loop', async () => {
    const loop = makeLoop();
    const p = new Promise((resolve) => setTimeout(resolve, 5, 'from node'));
    expect(await loop.runUntilComplete(p)).toBe('from node');
  });

  it("rejects with 'Event loop stopped before Future completed.'", async () => {
    const loop = makeLoop();
    loop.callSoon(() => loop.stop());
    const err = await loop.runUntilComplete(new Promise(() => {})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toBe('Event loop stopped before Future completed.');
  });

  it('does not stop a later run when the promise settles after it', async () => {
    const loop = makeLoop();
    let resolve!: (v: string) => void;
    const p = new Promise<string>((r) => (resolve = r));
    loop.callSoon(() => loop.stop());
    await expect(loop.runUntilComplete(p)).rejects.toThrow('Event loop stopped before Future completed.');
    resolve('late');
    await p;
    const seen: string[] = [];
    loop.callSoon(() => loop.callSoon(() => seen.push('second iteration')));
    loop.callLater(0.01, () => loop.stop());
    await loop.runForever();
    expect(seen).toEqual(['second iteration']);
  });

  it('rejects a non-awaitable with TypeError', async () => {
    const loop = makeLoop();
    await expect(loop.runUntilComplete(42 as unknown as Promise<number>)).rejects.toThrow(TypeError);
    expect(loop.isRunning()).toBe(false);
  });
});
