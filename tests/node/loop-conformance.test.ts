// The loop-core conformance cases of the reference (§8.1, L-01 .. L-40) that
// apply to Node, black-box, each on every selector. Cases that need internal
// hooks (W: L-12, L-13, L-34, L-35) are covered by the core's Rust tests; L-27
// (debug thread check) cannot arise in Node, where another thread cannot
// reach a loop object; L-38 (executor) is Rust only. See docs/node.md.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CancelledError,
  getEventLoop,
  getRunningLoop,
  KeyboardInterrupt,
  run,
  Runner,
  RuntimeError,
  SelectorEventLoop,
  setEventLoop,
  setEventLoopPolicy,
  sleep,
  SystemExit,
  ValueError,
  type ExceptionContext,
  type EventLoop,
} from 'evloop';
import { LOOPS, makeLoop, mechanismOf, newLoop as loopOf, runOnce } from './loop-helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
  setEventLoopPolicy(null);
});

/** Captures what the default exception handler logs (console.error), silently. */
function captureStderr(): string[] {
  const lines: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  return lines;
}

describe.each(LOOPS)('loop %s', (selector) => {
  const newLoop = () => makeLoop(selector);

  it('L-01 runs callSoon callbacks FIFO with their arguments', async () => {
    const loop = newLoop();
    const seen: unknown[] = [];
    const push = (...args: unknown[]) => seen.push(args);
    loop.callSoon(push, 'a', 1);
    loop.callSoon(push, 'b', 2);
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(seen).toEqual([['a', 1], ['b', 2]]);
  });

  it('L-02 runs what a callback schedules in a later iteration', async () => {
    const loop = newLoop();
    const seen: string[] = [];
    loop.callSoon(() => {
      seen.push('A');
      loop.callSoon(() => seen.push('B'));
      loop.stop();
    });
    await loop.runForever();
    expect(seen).toEqual(['A']);
    await runOnce(loop);
    expect(seen).toEqual(['A', 'B']);

    // From a due timer too: each step one iteration after the previous.
    const steps: string[] = [];
    loop.callLater(0, () => {
      steps.push('timer');
      loop.callSoon(() => {
        steps.push('soon 1');
        loop.callSoon(() => {
          steps.push('soon 2');
          loop.stop();
        });
      });
      loop.callSoon(() => steps.push('sibling'));
    });
    await loop.runForever();
    expect(steps).toEqual(['timer', 'soon 1', 'sibling', 'soon 2']);
  });

  it('L-04 a pre-stopped loop runs exactly one iteration', async () => {
    const loop = newLoop();
    const seen: string[] = [];
    loop.stop();
    loop.callSoon(() => {
      seen.push('X');
      loop.callSoon(() => seen.push('Y'));
    });
    await loop.runForever();
    expect(seen).toEqual(['X']);
  });

  it('L-06 negative delays are due now, in deadline order', async () => {
    const loop = newLoop();
    const seen: string[] = [];
    loop.callLater(-1, () => seen.push('a'));
    loop.callLater(-2, () => seen.push('b'));
    await runOnce(loop);
    expect(seen).toEqual(['b', 'a']);
  });

  it('L-07 timers run in deadline order', async () => {
    const loop = newLoop();
    const seen: string[] = [];
    loop.callLater(0.05, () => seen.push('c'));
    loop.callLater(0.01, () => seen.push('a'));
    loop.callLater(0.03, () => seen.push('b'));
    loop.callLater(0.06, () => loop.stop());
    await loop.runForever();
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('L-08 equal deadlines all run once, in one iteration', async () => {
    const loop = newLoop();
    const when = loop.time() + 0.01;
    const seen: number[] = [];
    const iterationOf: number[] = [];
    let iteration = 0;
    for (let i = 0; i < 6; i++) {
      loop.callAt(when, () => {
        seen.push(i);
        iterationOf.push(iteration);
      });
    }
    // A self-rescheduling counter: one increment per iteration.
    const tick = () => {
      iteration++;
      if (seen.length < 6) loop.callSoon(tick);
      else loop.stop();
    };
    loop.callSoon(tick);
    await loop.runForever();
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(iterationOf).size).toBe(1);
  });

  it('L-09 TimerHandle.when and never early', async () => {
    const loop = newLoop();
    const w = loop.time() + 0.02;
    let ranAt = -1;
    const h = loop.callAt(w, () => {
      ranAt = loop.time();
      loop.stop();
    });
    expect(h.when()).toBe(w);
    const before = loop.time();
    const later = loop.callLater(0.5, () => {});
    expect(later.when()).toBeGreaterThanOrEqual(before + 0.5);
    expect(later.when()).toBeLessThanOrEqual(loop.time() + 0.5);
    later.cancel();
    await loop.runForever();
    expect(ranAt).toBeGreaterThanOrEqual(w - 1e-9);
  });

  it('L-10 cancelled handles never run; cancel is idempotent and allowed after running', async () => {
    const loop = newLoop();
    const seen: string[] = [];
    const h = loop.callSoon(() => seen.push('h'));
    const t = loop.callLater(0, () => seen.push('t'));
    h.cancel();
    h.cancel();
    t.cancel();
    expect(h.cancelled()).toBe(true);
    expect(t.cancelled()).toBe(true);
    const ran = loop.callSoon(() => seen.push('ran'));
    const ranTimer = loop.callLater(0, () => seen.push('ranTimer'));
    await runOnce(loop);
    expect(seen).toEqual(['ran', 'ranTimer']);
    ran.cancel();
    ranTimer.cancel();
    expect(ran.cancelled()).toBe(true);
    expect(ranTimer.cancelled()).toBe(true);
    await runOnce(loop);
    expect(seen).toEqual(['ran', 'ranTimer']);
  });

  it('L-14 missing time arguments are TypeErrors with asyncio\'s texts', () => {
    const loop = newLoop();
    const anyLoop = loop as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(() => anyLoop.callLater(null, () => {})).toThrow(new TypeError('delay must not be None'));
    expect(() => anyLoop.callLater(undefined, () => {})).toThrow(TypeError);
    expect(() => anyLoop.callAt(null, () => {})).toThrow(new TypeError('when cannot be None'));
    expect(() => anyLoop.callAt(undefined, () => {})).toThrow('when cannot be None');
  });

  it('L-15 a closed loop refuses work; remove* return false; createFuture works', async () => {
    const loop = newLoop();
    const seen: string[] = [];
    loop.callSoon(() => seen.push('dropped'));
    loop.callLater(0, () => seen.push('dropped timer'));
    loop.close();
    loop.close();
    expect(loop.isClosed()).toBe(true);
    const closed = new RuntimeError('Event loop is closed');
    const calls: (() => unknown)[] = [
      () => loop.callSoon(() => {}),
      () => loop.callLater(1, () => {}),
      () => loop.callAt(1, () => {}),
      () => loop.callSoonThreadsafe(() => {}),
      () => loop.createTask(async () => {}),
      () => loop.addReader(0, () => {}),
      () => loop.addWriter(1, () => {}),
    ];
    for (const c of calls) {
      expect(c).toThrow(RuntimeError);
      expect(c).toThrow(closed);
    }
    await expect(loop.runForever()).rejects.toThrow(closed);
    await expect(loop.runUntilComplete(Promise.resolve(1))).rejects.toThrow(closed);
    expect(loop.removeReader(0)).toBe(false);
    expect(loop.removeWriter(1)).toBe(false);
    const fut = loop.createFuture<number>();
    expect(fut.done()).toBe(false);
    fut.setResult(1); // no done callbacks: nothing to schedule
    expect(fut.result()).toBe(1);
    expect(seen).toEqual([]);
  });

  it('L-16 close() from a callback is refused and the loop goes on', async () => {
    const loop = newLoop();
    const errors: unknown[] = [];
    const seen: string[] = [];
    loop.callSoon(() => {
      try {
        loop.close();
      } catch (e) {
        errors.push(e);
      }
    });
    loop.callSoon(() => seen.push('after'));
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RuntimeError);
    expect((errors[0] as Error).message).toBe('Cannot close a running event loop');
    expect(seen).toEqual(['after']);
    expect(loop.isClosed()).toBe(false);
  });

  it('L-17 no re-entrant run; no second loop running in this thread', async () => {
    const loop = newLoop();
    const other = newLoop();
    const errors: unknown[] = [];
    loop.callSoon(() => {
      loop.runForever().catch((e: unknown) => errors.push(e));
      loop.runUntilComplete(Promise.resolve()).catch((e: unknown) => errors.push(e));
      other.runForever().catch((e: unknown) => errors.push(e));
      other.runUntilComplete(Promise.resolve()).catch((e: unknown) => errors.push(e));
    });
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(errors.map((e) => [(e as Error).name, (e as Error).message])).toEqual([
      ['RuntimeError', 'This event loop is already running'],
      ['RuntimeError', 'This event loop is already running'],
      ['RuntimeError', 'Cannot run the event loop while another loop is running'],
      ['RuntimeError', 'Cannot run the event loop while another loop is running'],
    ]);
    expect(other.isRunning()).toBe(false);
  });

  it('L-19 an already-done future completes after exactly one iteration', async () => {
    const loop = newLoop();
    const fut = loop.createFuture<string>();
    fut.setResult('done');
    const seen: string[] = [];
    loop.callSoon(() => {
      seen.push('first');
      loop.callSoon(() => seen.push('second'));
    });
    expect(await loop.runUntilComplete(fut)).toBe('done');
    expect(seen).toEqual(['first']);
  });

  it('L-20 a foreign future is a ValueError, a non-awaitable a TypeError', async () => {
    const loop = newLoop();
    const other = newLoop();
    const foreign = other.createFuture();
    const err = await loop.runUntilComplete(foreign).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValueError);
    expect((err as Error).message).toBe(
      'The future belongs to a different loop than the one specified as the loop argument',
    );
    for (const bad of [42, 'x', null, {}, () => 1]) {
      await expect(loop.runUntilComplete(bad as unknown as Promise<unknown>)).rejects.toThrow(TypeError);
    }
    expect(loop.isRunning()).toBe(false);
  });

  it('L-22 exception handler validation', () => {
    const loop = newLoop();
    const anyLoop = loop as unknown as { setExceptionHandler(h: unknown): void };
    expect(() => anyLoop.setExceptionHandler('x')).toThrow(
      new TypeError("A callable object or None is expected, got 'x'"),
    );
    expect(() => anyLoop.setExceptionHandler(1)).toThrow(TypeError);
    expect(loop.getExceptionHandler()).toBeNull();
    const handler = () => {};
    loop.setExceptionHandler(handler);
    expect(loop.getExceptionHandler()).toBe(handler);
    loop.setExceptionHandler(null);
    expect(loop.getExceptionHandler()).toBeNull();
    const lines = captureStderr();
    loop.callExceptionHandler({ message: 'back to the default' });
    expect(lines).toEqual(['back to the default']);
  });

  it('L-23 a broken handler goes to the default handler and the loop goes on', async () => {
    const loop = newLoop();
    const lines = captureStderr();
    const reports: ExceptionContext[] = [];
    const broken = new Error('handler is broken');
    const defaultHandler = loop.defaultExceptionHandler.bind(loop);
    vi.spyOn(loop, 'defaultExceptionHandler').mockImplementation((ctx) => {
      reports.push(ctx);
      defaultHandler(ctx);
    });
    loop.setExceptionHandler(() => {
      throw broken;
    });
    const thrown = new Error('callback error');
    const seen: string[] = [];
    loop.callSoon(function failing() {
      throw thrown;
    });
    loop.callSoon(() => seen.push('still running'));
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(seen).toEqual(['still running']);
    expect(reports).toHaveLength(1);
    expect(reports[0].message).toBe('Unhandled error in exception handler');
    expect(reports[0].exception).toBe(broken);
    const original = reports[0].context as ExceptionContext;
    expect(original.message).toBe('Exception in callback failing()');
    expect(original.exception).toBe(thrown);
    expect(lines.join('\n')).toContain('Unhandled error in exception handler');
    expect(lines.join('\n')).toContain('handler is broken');
  });

  it('L-24 a custom handler gets exactly the context; the default logs it sorted', () => {
    const loop = newLoop();
    const got: [unknown, ExceptionContext][] = [];
    loop.setExceptionHandler((l, ctx) => got.push([l, ctx]));
    const ctx = { message: 'custom', foo: 1 };
    loop.callExceptionHandler(ctx);
    expect(got).toHaveLength(1);
    expect(got[0][0]).toBe(loop);
    expect(got[0][1]).toBe(ctx);
    expect(Object.keys(got[0][1])).toEqual(['message', 'foo']);

    loop.setExceptionHandler(null);
    const lines = captureStderr();
    loop.callExceptionHandler({ message: 'custom', zeta: 'z', foo: 1 });
    expect(lines).toEqual(["custom\nfoo: 1\nzeta: 'z'"]);
    loop.defaultExceptionHandler({ message: '' });
    expect(lines[1]).toBe('Unhandled exception in event loop');
  });

  it('callback errors reach the handler with the Error object and the handle', async () => {
    const loop = newLoop();
    const got: ExceptionContext[] = [];
    loop.setExceptionHandler((_l, ctx) => got.push(ctx));
    const err = new Error('boom');
    const h = loop.callSoon(function push(_a: string, _b: number) {
      throw err;
    }, 'a', 1);
    const t = loop.callLater(0, () => {
      throw 'a string';
    });
    await runOnce(loop);
    expect(got).toHaveLength(2);
    expect(got[0].message).toBe("Exception in callback push('a', 1)");
    expect(got[0].exception).toBe(err);
    expect(got[0].handle).toBe(h);
    expect(String(got[0].handle)).toBe("<Handle push('a', 1)>");
    expect(got[1].message).toBe('Exception in callback <anonymous>()');
    expect(got[1].exception).toBe('a string');
    expect(got[1].handle).toBe(t);
  });

  it('L-25 SystemExit/KeyboardInterrupt from a callback end runForever; the loop can run again', async () => {
    for (const Fatal of [SystemExit, KeyboardInterrupt]) {
      const loop = newLoop();
      const handler = vi.fn();
      loop.setExceptionHandler(handler);
      const seen: string[] = [];
      const fatal = new Fatal('stop now');
      loop.callSoon(() => {
        seen.push('fatal');
        throw fatal;
      });
      loop.callSoon(() => seen.push('rest of the batch'));
      const err = await loop.runForever().catch((e: unknown) => e);
      expect(err).toBe(fatal);
      expect(loop.isRunning()).toBe(false);
      expect(handler).not.toHaveBeenCalled();
      expect(seen).toEqual(['fatal']);
      // The rest of the batch stayed queued; the loop runs again.
      await runOnce(loop);
      expect(seen).toEqual(['fatal', 'rest of the batch']);
    }
  });

  it('L-25 a fatal error thrown by the exception handler ends the run too', async () => {
    const loop = newLoop();
    const fatal = new SystemExit('from the handler');
    loop.setExceptionHandler(() => {
      throw fatal;
    });
    loop.callSoon(() => {
      throw new Error('ordinary');
    });
    loop.callSoon(() => loop.stop());
    await expect(loop.runForever()).rejects.toBe(fatal);
    expect(loop.isRunning()).toBe(false);
  });

  it('L-26 callSoonThreadsafe keeps FIFO order with callSoon', async () => {
    const loop = newLoop();
    const seen: string[] = [];
    loop.callSoonThreadsafe(() => seen.push('a'));
    loop.callSoon(() => seen.push('b'));
    loop.callSoonThreadsafe((x: string) => seen.push(x), 'c');
    await runOnce(loop);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('L-26 callSoonThreadsafe from a Node callback wakes a waiting loop', async () => {
    const loop = newLoop();
    loop.callLater(3600, () => {});
    setTimeout(() => loop.callSoonThreadsafe(() => loop.stop()), 5);
    await loop.runForever();
    expect(loop.isRunning()).toBe(false);
  });

  it('L-28 debug mode refuses async functions and non-callables', () => {
    const loop = newLoop();
    const anyLoop = loop as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(() => anyLoop.callSoon(1)).toThrow(new TypeError('a callable object was expected by callSoon(), got 1'));
    loop.callSoon(async () => {}).cancel(); // accepted without debug, as asyncio
    loop.setDebug(true);
    expect(loop.getDebug()).toBe(true);
    expect(() => loop.callSoon(async () => {})).toThrow(new TypeError('coroutines cannot be used with callSoon()'));
    expect(() => loop.callLater(1, async () => {})).toThrow('coroutines cannot be used with callLater()');
    expect(() => loop.callAt(1, async () => {})).toThrow('coroutines cannot be used with callAt()');
    expect(() => loop.callSoonThreadsafe(async () => {})).toThrow(
      'coroutines cannot be used with callSoonThreadsafe()',
    );
    expect(() => anyLoop.callSoon(1)).toThrow(new TypeError('a callable object was expected by callSoon(), got 1'));
  });

  it('L-29 debug mode warns about slow callbacks', async () => {
    const loop = newLoop();
    expect(loop.slowCallbackDuration).toBe(0.1);
    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((msg: unknown) => warnings.push(String(msg)));
    loop.setDebug(true);
    loop.slowCallbackDuration = 0.01;
    loop.callSoon(function busy(ms: number) {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        /* busy */
      }
    }, 30);
    loop.callSoon(function quick() {});
    await runOnce(loop);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Executing <Handle busy\(30\)> took \d+\.\d{3} seconds$/);
    const took = Number(/took ([\d.]+)/.exec(warnings[0])![1]);
    expect(took).toBeGreaterThanOrEqual(0.03);
  });

  it('L-30 running state and the running-loop accessor', async () => {
    const loop = newLoop();
    expect(loop.isRunning()).toBe(false);
    expect(() => getRunningLoop()).toThrow(new RuntimeError('no running event loop'));
    const inside: unknown[] = [];
    loop.callSoon(() => {
      inside.push(loop.isRunning(), getRunningLoop() === loop, getEventLoop() === loop);
      loop.stop();
    });
    await loop.runForever();
    expect(inside).toEqual([true, true, true]);
    expect(loop.isRunning()).toBe(false);
    expect(() => getRunningLoop()).toThrow('no running event loop');
  });

  it('L-31 sleeps never end early', async () => {
    const loop = newLoop();
    const ends = await loop.runUntilComplete(
      loop.createTask(async () => {
        for (const d of [1e-2, 1e-4, 1e-6, 1e-8, 1e-10]) await sleep(d);
        const start = loop.time();
        await sleep(0.1);
        return loop.time() - start;
      }),
    );
    expect(ends).toBeGreaterThanOrEqual(0.1 - 1e-9);
  });

  it('L-36 no stale stop after a fatal error from runUntilComplete', async () => {
    const loop = newLoop();
    const fatal = new SystemExit('from a task');
    const task = loop.createTask(async () => {
      throw fatal;
    });
    await expect(loop.runUntilComplete(task)).rejects.toBe(fatal);
    expect(task.done()).toBe(true);
    expect(task.exception()).toBe(fatal);
    expect(loop.isRunning()).toBe(false);
    let fRan = false;
    loop.callSoon(() =>
      loop.callSoon(() => {
        fRan = true;
        loop.stop();
      }),
    );
    await loop.runForever();
    expect(fRan).toBe(true);
  });

  it('L-36 a fatal error settled from outside an iteration still ends the run', async () => {
    const loop = newLoop();
    const fatal = new KeyboardInterrupt();
    const task = loop.createTask(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5)); // resumes from a Node timer
      throw fatal;
    });
    loop.callLater(3600, () => {});
    await expect(loop.runUntilComplete(task)).rejects.toBe(fatal);
    await runOnce(loop); // and no stale stop or fatal is left
    expect(loop.isRunning()).toBe(false);
  });

  it('L-39 getEventLoop and setEventLoop', async () => {
    const loop = newLoop();
    expect(() => getEventLoop()).toThrow(new RuntimeError("There is no current event loop in thread 'MainThread'."));
    setEventLoop(loop);
    expect(getEventLoop()).toBe(loop);
    const other = newLoop();
    let inside: unknown;
    other.callSoon(() => {
      inside = getEventLoop();
      other.stop();
    });
    await other.runForever();
    expect(inside).toBe(other); // the running loop wins
    setEventLoop(null);
    expect(() => getEventLoop()).toThrow(RuntimeError);
    expect(() => setEventLoop({} as unknown as EventLoop)).toThrow(TypeError);
    expect(() => setEventLoop(42 as unknown as EventLoop)).toThrow(
      "loop must be an instance of AbstractEventLoop or None, not 'number'",
    );
  });

  it('L-40 run() returns main\'s result, closes the loop and cancels what is left', async () => {
    let used: EventLoop | undefined;
    let pending: ReturnType<EventLoop['createTask']> | undefined;
    const result = await run(
      async (loop) => {
        used = loop;
        pending = loop.createTask(() => new Promise(() => {}));
        await sleep(0.001);
        return 'main result';
      },
      { loopFactory: () => loopOf(selector) },
    );
    expect(result).toBe('main result');
    expect(used!.selector).toBe(mechanismOf(selector));
    expect(used!.isClosed()).toBe(true);
    expect(pending!.cancelled()).toBe(true);
    await expect(pending!).rejects.toBeInstanceOf(CancelledError);
  });

  it('L-40 run() rejects with main\'s error, and inside a running loop', async () => {
    const boom = new Error('main failed');
    await expect(
      run(async () => {
        throw boom;
      }, { loopFactory: () => loopOf(selector) }),
    ).rejects.toBe(boom);
    const loop = newLoop();
    let inner: unknown;
    loop.callSoon(() => {
      run(async () => 1).catch((e: unknown) => (inner = e));
      loop.callSoon(() => loop.stop());
    });
    await loop.runForever();
    expect(inner).toBeInstanceOf(RuntimeError);
    expect((inner as Error).message).toBe('asyncio.run() cannot be called from a running event loop');
  });

  it('L-40 Runner: several runs on one loop, then closed', async () => {
    const runner = new Runner({ loopFactory: () => loopOf(selector), debug: true });
    const loop = runner.getLoop();
    expect(loop.getDebug()).toBe(true);
    expect(await runner.run(async (l) => l === loop)).toBe(true);
    expect(await runner.run(Promise.resolve(7))).toBe(7);
    await runner.close();
    await runner.close();
    expect(loop.isClosed()).toBe(true);
    await expect(runner.run(async () => 1)).rejects.toThrow(new RuntimeError('Runner is closed'));
    expect(() => runner.getLoop()).toThrow('Runner is closed');
  });
});
