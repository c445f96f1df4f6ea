// callSoonThreadsafe from worker threads: a LoopRemote made from a token
// queues calls (arguments copied) on the loop's thread and wakes the loop
// while it waits inside libuv; on every selector (L-26).
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { LoopRemote, RuntimeError, SystemExit, type ExceptionContext } from 'evloop';
import { LOOPS, makeLoop, runOnce } from './loop-helpers.js';

const workerUrl = new URL('./fixtures/remote-worker.mjs', import.meta.url);

function startWorker(workerData: Record<string, unknown>): Worker {
  return new Worker(workerUrl, { workerData });
}

describe.each(LOOPS)('loop %s', (selector) => {
  it('L-26 a worker\'s stop() ends a loop waiting on a long timer', async () => {
    const loop = makeLoop(selector);
    const seen: unknown[] = [];
    const remote = loop.createRemote((...args: unknown[]) => seen.push(args));
    loop.callLater(3600, () => {});
    const worker = startWorker({ token: remote.token, calls: [['one', { n: 1 }], ['two', [1, 2]]], stop: true });
    const message = once(worker, 'message');
    await loop.runForever(); // the worker's stop() ends it
    const [result] = await message;
    await worker.terminate();
    expect(seen).toEqual([['one', { n: 1 }], ['two', [1, 2]]]);
    expect(result.token).toBe(remote.token);
    expect(result.badToken[0]).toBe('RuntimeError');
    expect(result.badToken[1]).toMatch(/is not open/);
  });

  it('a call the worker cancelled does not run', async () => {
    const loop = makeLoop(selector);
    const seen: unknown[] = [];
    const remote = loop.createRemote((...args: unknown[]) => seen.push(args));
    const worker = startWorker({ token: remote.token, calls: [['kept']], cancelOne: true });
    const [result] = await once(worker, 'message');
    await worker.terminate();
    expect(result.cancelled).toBe(true);
    await runOnce(loop);
    expect(seen).toEqual([['kept']]);
  });

  it('errors in the remote callback go to the handler; fatal ones end the run', async () => {
    const loop = makeLoop(selector);
    const got: ExceptionContext[] = [];
    loop.setExceptionHandler((_l, ctx) => got.push(ctx));
    const remote = loop.createRemote(function onMessage(kind: string) {
      if (kind === 'fatal') throw new SystemExit('remote');
      throw new Error(`bad ${kind}`);
    });
    remote.callSoonThreadsafe('input');
    await runOnce(loop);
    expect(got).toHaveLength(1);
    expect(got[0].message).toBe("Exception in callback onMessage('input')");
    expect((got[0].exception as Error).message).toBe('bad input');
    remote.callSoonThreadsafe('fatal');
    loop.callLater(3600, () => {});
    await expect(loop.runForever()).rejects.toBeInstanceOf(SystemExit);
  });

  it('a closed remote or loop refuses new calls', async () => {
    const loop = makeLoop(selector);
    const remote = loop.createRemote(() => {});
    const other = LoopRemote.fromToken(remote.token);
    remote.close();
    expect(() => other.callSoonThreadsafe(1)).toThrow(RuntimeError);
    expect(() => LoopRemote.fromToken(remote.token)).toThrow(/is not open/);
    expect(() => other.close()).toThrow(RuntimeError);
    const noCallback = loop.createRemote();
    expect(() => noCallback.callSoonThreadsafe()).toThrow(/without a callback/);
    const stopper = LoopRemote.fromToken(noCallback.token);
    loop.close();
    expect(() => stopper.stop()).toThrow(RuntimeError);
    expect(() => loop.createRemote()).toThrow('Event loop is closed');
    expect(() => LoopRemote.fromToken('1' as unknown as number)).toThrow(TypeError);
    vi.restoreAllMocks();
  });
});
