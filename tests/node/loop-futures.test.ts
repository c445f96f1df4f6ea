// Future and Task on the native loop: asyncio's states, messages and
// callback scheduling, awaitable from JavaScript; on every selector.
import { describe, expect, it } from 'vitest';
import {
  allTasks,
  CancelledError,
  Future,
  InvalidStateError,
  isFuture,
  RuntimeError,
  sleep,
  Task,
} from 'evloop';
import { LOOPS, makeLoop, runOnce } from './loop-helpers.js';

describe.each(LOOPS)('loop %s', (selector) => {
  const newLoop = () => makeLoop(selector);

  it('a future starts pending; result() and exception() say so', () => {
    const loop = newLoop();
    const fut = loop.createFuture<number>();
    expect(isFuture(fut)).toBe(true);
    expect(fut).toBeInstanceOf(Future);
    expect(fut.getLoop()).toBe(loop);
    expect(fut.done()).toBe(false);
    expect(fut.cancelled()).toBe(false);
    expect(() => fut.result()).toThrow(new InvalidStateError('Result is not set.'));
    expect(() => fut.exception()).toThrow(new InvalidStateError('Exception is not set.'));
  });

  it('setResult / setException complete it once', () => {
    const loop = newLoop();
    const ok = loop.createFuture<string>();
    ok.setResult('v');
    expect(ok.done()).toBe(true);
    expect(ok.result()).toBe('v');
    expect(ok.exception()).toBeNull();
    expect(() => ok.setResult('again')).toThrow(new InvalidStateError('invalid state'));
    expect(() => ok.setException(new Error('x'))).toThrow('invalid state');
    expect(ok.cancel()).toBe(false);

    const bad = loop.createFuture();
    const err = new Error('failed');
    bad.setException(err);
    expect(bad.exception()).toBe(err);
    expect(() => bad.result()).toThrow(err);

    const fromClass = loop.createFuture();
    fromClass.setException(RangeError);
    expect(fromClass.exception()).toBeInstanceOf(RangeError);
    expect(() => loop.createFuture().setException('text' as unknown as Error)).toThrow(TypeError);
  });

  it('cancel() makes it cancelled; result() and awaiters get CancelledError(msg)', async () => {
    const loop = newLoop();
    const fut = loop.createFuture();
    const awaited = fut.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    expect(fut.cancel('because')).toBe(true);
    expect(fut.cancel()).toBe(false);
    expect(fut.cancelled()).toBe(true);
    expect(fut.done()).toBe(true);
    expect(() => fut.result()).toThrow(CancelledError);
    expect(() => fut.result()).toThrow('because');
    expect(() => fut.exception()).toThrow(CancelledError);
    const e = await awaited;
    expect(e).toBeInstanceOf(CancelledError);
    expect((e as Error).message).toBe('because');
    expect(() => fut.setResult(1)).toThrow(InvalidStateError);
  });

  it('done callbacks run through callSoon, in order, with the future', async () => {
    const loop = newLoop();
    const fut = loop.createFuture<number>();
    const seen: unknown[] = [];
    const a = (f: Future<number>) => seen.push(['a', f === fut, f.result()]);
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
    loop.callSoon(() => loop.callSoon(() => loop.stop()));
    await loop.runForever();
    expect(seen).toEqual(['set', 'next in batch', ['a', true, 5], 'b']);
    // On a done future a new callback is scheduled at once.
    fut.addDoneCallback(() => seen.push('late'));
    await runOnce(loop);
    expect(seen.at(-1)).toBe('late');
    expect(() => fut.addDoneCallback(1 as unknown as () => void)).toThrow(TypeError);
  });

  it('await resumes right after the callback that completed the future', async () => {
    const loop = newLoop();
    const fut = loop.createFuture<string>();
    const seen: string[] = [];
    void (async () => {
      seen.push(`awaited ${await fut}`);
    })();
    loop.callSoon(() => {
      fut.setResult('x');
      seen.push('setter');
    });
    loop.callSoon(() => seen.push('next callback'));
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(seen).toEqual(['setter', 'awaited x', 'next callback']);
  });

  it('runUntilComplete(future) returns its result or throws its error', async () => {
    const loop = newLoop();
    const fut = loop.createFuture<number>();
    loop.callLater(0.001, () => fut.setResult(42));
    expect(await loop.runUntilComplete(fut)).toBe(42);
    const failing = loop.createFuture();
    const err = new Error('nope');
    loop.callSoon(() => failing.setException(err));
    await expect(loop.runUntilComplete(failing)).rejects.toBe(err);
    const cancelled = loop.createFuture();
    loop.callSoon(() => cancelled.cancel());
    await expect(loop.runUntilComplete(cancelled)).rejects.toBeInstanceOf(CancelledError);
    const never = loop.createFuture();
    loop.callSoon(() => loop.stop());
    await expect(loop.runUntilComplete(never)).rejects.toThrow(
      new RuntimeError('Event loop stopped before Future completed.'),
    );
  });

  it('a task runs its function from the next iteration and holds its outcome', async () => {
    const loop = newLoop();
    const seen: string[] = [];
    const task = loop.createTask(async () => {
      seen.push('task started');
      await sleep(0);
      return 'task result';
    });
    seen.push('created');
    expect(task).toBeInstanceOf(Task);
    expect(allTasks(loop).has(task)).toBe(true);
    expect(await loop.runUntilComplete(task)).toBe('task result');
    expect(seen).toEqual(['created', 'task started']);
    expect(task.result()).toBe('task result');
    expect(allTasks(loop).size).toBe(0);
    expect(() => task.setResult('x')).toThrow(RuntimeError);
    expect(() => task.setException(new Error())).toThrow(RuntimeError);
    expect(task.getName()).toMatch(/^Task-\d+$/);
    task.setName('renamed');
    expect(task.getName()).toBe('renamed');
  });

  it('a task can wrap a promise, and a throwing function fails it', async () => {
    const loop = newLoop();
    const fromPromise = loop.createTask(new Promise<number>((r) => loop.callLater(0.001, r, 3)));
    expect(await loop.runUntilComplete(fromPromise)).toBe(3);
    const err = new Error('sync throw');
    const sync = loop.createTask(() => {
      throw err;
    });
    await expect(loop.runUntilComplete(sync)).rejects.toBe(err);
    expect(sync.exception()).toBe(err);
    const cancelledByItself = loop.createTask(async () => {
      throw new CancelledError('inside');
    });
    await expect(loop.runUntilComplete(cancelledByItself)).rejects.toBeInstanceOf(CancelledError);
    expect(cancelledByItself.cancelled()).toBe(true);
    expect(() => loop.createTask(42 as unknown as Promise<number>)).toThrow(TypeError);
  });

  it('cancelling a task: CancelledError thrown at its await, signal aborted', async () => {
    const loop = newLoop();
    let aborted: unknown;
    let finished = false;
    const task: Task<string> = loop.createTask(async () => {
      task.signal.addEventListener('abort', () => (aborted = task.signal.reason));
      await sleep(0.01);
      finished = true;
      return 'ignored';
    });
    loop.callLater(0.001, () => task.cancel('stop it'));
    await expect(loop.runUntilComplete(task)).rejects.toThrow(new CancelledError('stop it'));
    expect(task.cancelled()).toBe(true);
    expect(aborted).toBeInstanceOf(CancelledError);
    expect(task.cancel()).toBe(false);
    // asyncio's semantics (issue 16): the function stops at its await.
    await loop.runUntilComplete(loop.createTask(() => sleep(0.02)));
    expect(finished).toBe(false);
    expect(task.cancelled()).toBe(true);
  });

  it('a task cancelled before its first step never runs', async () => {
    const loop = newLoop();
    let ran = false;
    const task = loop.createTask(async () => {
      ran = true;
    });
    task.cancel();
    await runOnce(loop);
    expect(ran).toBe(false);
    expect(task.cancelled()).toBe(true);
  });

  it('new Future() and new Task() default to the current and the running loop', async () => {
    const loop = newLoop();
    expect(() => new Future()).toThrow("There is no current event loop in thread 'MainThread'.");
    expect(() => new Task(async () => 1)).toThrow('no running event loop');
    let inside: Future | undefined;
    loop.callSoon(() => {
      inside = new Future();
      loop.stop();
    });
    await loop.runForever();
    expect(inside!.getLoop()).toBe(loop);
  });
});
