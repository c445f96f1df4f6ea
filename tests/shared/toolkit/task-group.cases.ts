// TaskGroup: behaviour of CPython's test_taskgroups.py, in our words, on any loop.
import { expect, it } from 'vitest';
import { type Env, rejection } from './env.js';

export function taskGroupCases({ lib, run, asyncContext }: Env): void {
  const { sleep, TaskGroup, ExceptionGroup, BaseExceptionGroup, CancelledError, ValueError, RuntimeError, currentTask } = lib;
  const itCtx = asyncContext ? it : it.skip;

  it('runs the children to their end; run() resolves the block result after them', async () => {
    await run(async () => {
      const tg = new TaskGroup();
      const t1 = tg.createTask(() => sleep(0.01, 1));
      const result = await tg.run(async (g) => {
        g.createTask(() => sleep(0.02, 2));
        return 'block';
      });
      expect(result).toBe('block');
      expect(t1.done() && t1.result()).toBe(1);
      expect(() => tg.createTask(async () => 0)).toThrow(RuntimeError);
    });
  });

  it('with await using, the disposal waits for the children', async () => {
    await run(async () => {
      // What `await using tg = new TaskGroup()` does, written out.
      const tg = new TaskGroup();
      const a = tg.createTask(() => sleep(0.01, 'a'));
      const b = tg.createTask(() => sleep(0.02, 'b'));
      await tg[Symbol.asyncDispose]();
      expect([a.result(), b.result()]).toEqual(['a', 'b']);
      expect(() => tg.createTask(async () => 0)).toThrow(RuntimeError);
    });
  });

  it('a failing child cancels the others and the block; the error comes out in an ExceptionGroup', async () => {
    await run(async () => {
      const me = currentTask()!; // known in the first step, also in browsers
      const steps: string[] = [];
      let sibling: ReturnType<InstanceType<Env['lib']['TaskGroup']>['createTask']> | null = null;
      const e = await rejection(
        new TaskGroup().run(async (tg) => {
          sibling = tg.createTask(async () => {
            try {
              await sleep(10);
            } finally {
              steps.push('sibling cancelled');
            }
          });
          tg.createTask(async () => {
            await sleep(0.01);
            throw new ValueError('child failed');
          });
          try {
            await sleep(10);
          } catch (err) {
            steps.push(`block: ${(err as Error).name}`);
            throw err;
          }
        }),
      );
      expect(e).toBeInstanceOf(ExceptionGroup);
      expect(e).toBeInstanceOf(AggregateError);
      const group = e as InstanceType<Env['lib']['ExceptionGroup']>;
      expect(group.message).toBe('unhandled errors in a TaskGroup');
      expect(group.exceptions).toHaveLength(1);
      expect(group.exceptions[0]).toBeInstanceOf(ValueError);
      expect(group.errors).toBe(group.exceptions);
      expect(sibling!.cancelled()).toBe(true);
      expect(steps.sort()).toEqual(['block: CancelledError', 'sibling cancelled']);
      // The group withdrew the cancellation it asked of this task.
      expect(me.cancelling()).toBe(0);
    });
  });

  it('children failing together are all in the group', async () => {
    await run(async () => {
      const e = await rejection(
        new TaskGroup().run(async (tg) => {
          for (const n of [1, 2]) {
            tg.createTask(async () => {
              await sleep(0.01);
              throw new ValueError(`e${n}`);
            });
          }
        }),
      );
      const group = e as InstanceType<Env['lib']['ExceptionGroup']>;
      expect(group.exceptions.map((x) => (x as Error).message)).toEqual(['e1', 'e2']);
    });
  });

  it("the block's own error cancels the children and joins the group", async () => {
    await run(async () => {
      let child: { cancelled(): boolean } | null = null;
      const e = await rejection(
        new TaskGroup().run(async (tg) => {
          child = tg.createTask(() => sleep(10));
          await sleep(0.01);
          throw new ValueError('block failed');
        }),
      );
      expect(e).toBeInstanceOf(ExceptionGroup);
      expect((e as InstanceType<Env['lib']['ExceptionGroup']>).exceptions[0]).toBeInstanceOf(ValueError);
      expect(child!.cancelled()).toBe(true);
    });
  });

  it('a cancellation from outside cancels the children and propagates as CancelledError', async () => {
    await run(async (loop) => {
      const children: { cancelled(): boolean }[] = [];
      const outer = loop.createTask(() =>
        new TaskGroup().run(async (tg) => {
          children.push(tg.createTask(() => sleep(10)), tg.createTask(() => sleep(10)));
          await sleep(10);
        }),
      );
      await sleep(0.01);
      outer.cancel();
      expect(await rejection(outer)).toBeInstanceOf(CancelledError);
      expect(children.every((c) => c.cancelled())).toBe(true);
    });
  });

  itCtx('a cancellation from outside while the block waits for its children cancels them', async () => {
    await run(async (loop) => {
      let child: { cancelled(): boolean } | null = null;
      const outer = loop.createTask(() =>
        new TaskGroup().run(async (tg) => {
          child = tg.createTask(() => sleep(10));
        }),
      );
      await sleep(0.01);
      outer.cancel();
      expect(await rejection(outer)).toBeInstanceOf(CancelledError);
      expect(child!.cancelled()).toBe(true);
    });
  });

  it('a failing nested group cancels its parent group: groups nest in the error', async () => {
    await run(async () => {
      let sibling: { cancelled(): boolean } | null = null;
      const e = await rejection(
        new TaskGroup().run(async (outer) => {
          sibling = outer.createTask(() => sleep(10));
          outer.createTask(() =>
            new TaskGroup().run(async (inner) => {
              inner.createTask(async () => {
                await sleep(0.01);
                throw new ValueError('deep');
              });
            }),
          );
        }),
      );
      const group = e as InstanceType<Env['lib']['ExceptionGroup']>;
      expect(group).toBeInstanceOf(ExceptionGroup);
      expect(group.exceptions).toHaveLength(1);
      const nested = group.exceptions[0] as InstanceType<Env['lib']['ExceptionGroup']>;
      expect(nested).toBeInstanceOf(ExceptionGroup);
      expect(nested.exceptions[0]).toBeInstanceOf(ValueError);
      expect(sibling!.cancelled()).toBe(true);
    });
  });

  it('createTask while the group shuts down is a RuntimeError', async () => {
    await run(async () => {
      let late: unknown = null;
      await rejection(
        new TaskGroup().run(async (tg) => {
          tg.createTask(async () => {
            throw new ValueError('x');
          });
          try {
            await sleep(10);
          } finally {
            try {
              tg.createTask(async () => 0);
            } catch (err) {
              late = err;
            }
          }
        }),
      );
      expect(late).toBeInstanceOf(RuntimeError);
      expect((late as Error).message).toMatch(/is shutting down$/);
    });
  });

  it('a TaskGroup needs a task: outside one it is a RuntimeError', async () => {
    await run(async (loop) => {
      const fut = loop.createFuture<unknown>();
      loop.callSoon(() => {
        try {
          new TaskGroup();
          fut.setResult(null);
        } catch (e) {
          fut.setResult(e);
        }
      });
      expect(await fut).toBeInstanceOf(RuntimeError);
    });
  });

  it('ExceptionGroup and BaseExceptionGroup are AggregateErrors with Python names', () => {
    const g = new ExceptionGroup('m', [new ValueError('a')]);
    expect(g.name).toBe('ExceptionGroup');
    expect(g).toBeInstanceOf(BaseExceptionGroup);
    expect(g).toBeInstanceOf(AggregateError);
    expect(String(g)).toBe('ExceptionGroup: m (1 sub-exception)');
    expect(() => new ExceptionGroup('m', [])).toThrow(ValueError);
  });
}
