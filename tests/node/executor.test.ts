// runInExecutor on Node's loops: work runs on worker threads while the loop keeps running, named
// by module and export (workerFunction) or sent as a self-contained function's source; arguments
// and results by structured clone; errors and cancellation come back through the evloop Future.
import { describe, expect, it } from 'vitest';
import { CancelledError, RuntimeError, ValueError, WorkerPoolExecutor, workerFunction } from 'evloop';
import { threadId } from 'node:worker_threads';
import { LOOPS, makeLoop, runNode } from './loop-helpers.js';

const work = new URL('./fixtures/executor-work.mjs', import.meta.url);
const whichThread = workerFunction(work, 'whichThread');
const waitForFlag = workerFunction(work, 'waitForFlag');
const bump = workerFunction(work, 'bump');

function release(buffer: SharedArrayBuffer): void {
  const flag = new Int32Array(buffer);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

describe.each(LOOPS)('loop %s', (kind) => {
  it('a blocked job never blocks the loop: the loop releases it', async () => {
    const loop = makeLoop(kind);
    const flag = new SharedArrayBuffer(4);
    const fut = loop.runInExecutor(null, waitForFlag, flag);
    // Runs while the worker is blocked; without it the job would never finish.
    loop.callLater(0.001, () => release(flag));
    const result = await loop.runUntilComplete(fut);
    expect(result).toMatch(/^woken on \d+$/);
    expect(result).not.toBe(`woken on ${threadId}`);
    await loop.runUntilComplete(loop.shutdownDefaultExecutor());
  });
});

describe('runInExecutor', () => {
  it('runs a self-contained function from its source, with structured-cloned arguments', async () => {
    const loop = makeLoop();
    const fut = loop.runInExecutor(null, (m: Map<string, number>, n: number) => [...m.values()].reduce((a, b) => a + b, n), new Map([['a', 1], ['b', 2]]), 10);
    expect(await loop.runUntilComplete(fut)).toBe(13);
    await loop.runUntilComplete(loop.shutdownDefaultExecutor());
  });

  it('a closure runs without the variables it closed over: ReferenceError as the exception', async () => {
    const loop = makeLoop();
    const secret = 41;
    const fut = loop.runInExecutor(null, () => secret + 1);
    await expect(loop.runUntilComplete(fut)).rejects.toThrow(ReferenceError);
    expect(fut.exception()).toBeInstanceOf(ReferenceError);
    expect(String(fut.exception())).toMatch(/secret is not defined/);
    await loop.runUntilComplete(loop.shutdownDefaultExecutor());
  });

  it("a worker's error is the Future's exception", async () => {
    const loop = makeLoop();
    const fut = loop.runInExecutor(null, workerFunction(work, 'failLater'), 'too far');
    await expect(loop.runUntilComplete(fut)).rejects.toThrow(new RangeError('too far'));
    const missing = loop.runInExecutor(null, workerFunction(work, 'notAFunction'));
    await expect(loop.runUntilComplete(missing)).rejects.toThrow(/has no exported function 'notAFunction'/);
    const uncloneable = loop.runInExecutor(null, (x: unknown) => x, () => 1);
    await expect(loop.runUntilComplete(uncloneable)).rejects.toThrow(/cannot be sent to a worker/);
    await loop.runUntilComplete(loop.shutdownDefaultExecutor());
  });

  it('refuses what cannot cross to a worker, at once and by name', () => {
    const loop = makeLoop();
    const bound = function f(this: unknown) {}.bind(null);
    expect(() => loop.runInExecutor(null, bound)).toThrow(TypeError);
    expect(() => loop.runInExecutor(null, Math.max)).toThrow(/cannot run on a worker: it is native or bound/);
    const obj = { method(): number { return 1; } };
    expect(() => loop.runInExecutor(null, obj.method)).toThrow(/not a function expression/);
    expect(() => loop.runInExecutor(null, 42 as unknown as () => void)).toThrow(TypeError);
    expect(() => loop.runInExecutor({} as never, () => 1)).toThrow(TypeError);
  });

  it('cancelling a queued job drops it; a pool of one runs jobs in turn on one thread', async () => {
    const loop = makeLoop();
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    expect(pool.maxWorkers).toBe(1);
    loop.setDefaultExecutor(pool);
    const flag = new SharedArrayBuffer(4);
    const counter = new SharedArrayBuffer(4);
    const blocked = loop.runInExecutor(null, waitForFlag, flag);
    const queued = loop.runInExecutor(pool, bump, counter);
    queued.cancel();
    expect(queued.cancelled()).toBe(true);
    loop.callSoon(() => release(flag));
    await loop.runUntilComplete(blocked);
    const [a, b] = [loop.runInExecutor(null, whichThread), loop.runInExecutor(pool, whichThread)];
    expect(await loop.runUntilComplete(a)).toBe(await loop.runUntilComplete(b));
    expect(Atomics.load(new Int32Array(counter), 0)).toBe(0);
    await loop.runUntilComplete(loop.shutdownDefaultExecutor());
    expect(() => pool.submit(whichThread)).toThrow(new RuntimeError('cannot schedule new futures after shutdown'));
    expect(() => loop.runInExecutor(null, whichThread)).toThrow(new RuntimeError('Executor shutdown has been called'));
  });

  it('checks its arguments', () => {
    const loop = makeLoop();
    expect(() => new WorkerPoolExecutor({ maxWorkers: 0 })).toThrow(ValueError);
    expect(() => loop.setDefaultExecutor({} as never)).toThrow(TypeError);
    expect(() => loop.shutdownDefaultExecutor(-1)).toThrow(ValueError);
    expect(() => workerFunction('', 'x')).toThrow(TypeError);
    loop.close();
    expect(() => loop.runInExecutor(null, () => 1)).toThrow(new RuntimeError('Event loop is closed'));
  });

  it('CancelledError is what awaiting a cancelled executor Future gives', async () => {
    const loop = makeLoop();
    const fut = loop.runInExecutor(null, () => 1);
    fut.cancel();
    await expect(loop.runUntilComplete(fut)).rejects.toThrow(CancelledError);
    await loop.runUntilComplete(loop.shutdownDefaultExecutor());
  });
});

describe('the default pool and the process', () => {
  it('an idle pool does not keep the process alive (no shutdown needed)', async () => {
    const r = await runNode(`
      import { newEventLoop } from 'evloop';
      const loop = newEventLoop();
      const fut = loop.runInExecutor(null, (n) => n * 2, 21);
      console.log(await loop.runUntilComplete(fut));
      loop.close();
    `);
    expect(r.stderr).toBe('');
    expect({ code: r.code, out: r.stdout.trim() }).toEqual({ code: 0, out: '42' });
  });
});
