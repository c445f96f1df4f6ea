// asyncio's task semantics (issue 16) on Node loops and on a simulated host under Node (both with
// AsyncLocalStorage), plus what only Node shows: async context in callbacks, unhandledRejection,
// and the never-retrieved report at garbage collection (a child `node --expose-gc`).
import { execFile } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as evloop from 'evloop';
import * as sim from 'evloop/sim';
import { type Loop, type TaskEnv, type TaskLib, taskSemanticsCases } from '../shared/tasks-semantics.cases.js';
import { LOOPS, makeLoop } from './loop-helpers.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function nodeEnv(selector: string): TaskEnv {
  return {
    lib: evloop as unknown as TaskLib,
    asyncContext: true,
    async run<T>(main: (loop: Loop) => Promise<T>): Promise<T> {
      const loop = makeLoop(selector as never);
      try {
        return await loop.runUntilComplete(loop.createTask(() => main(loop as unknown as Loop)));
      } finally {
        loop.close();
      }
    },
  };
}

function simEnv(): TaskEnv {
  return {
    lib: sim as unknown as TaskLib,
    asyncContext: true,
    async run<T>(main: (loop: Loop) => Promise<T>): Promise<T> {
      const s = new sim.Simulation({ seed: 3 });
      const host = s.host('main');
      try {
        return await s.runUntilComplete(host.createTask(() => main(host as unknown as Loop)));
      } finally {
        s.close();
      }
    },
  };
}

for (const selector of LOOPS) {
  describe(`tasks on loop ${selector}`, () => taskSemanticsCases(nodeEnv(selector)));
}
describe('tasks on a simulated host', () => taskSemanticsCases(simEnv()));

describe.each([
  ['a Node loop', nodeEnv('default')],
  ['a simulated host', simEnv()],
])('async context on %s', (_name, env) => {
  it('callSoon, callLater, callAt and done callbacks run in the context they were scheduled in', async () => {
    const als = new AsyncLocalStorage<string>();
    const seen = await env.run(async (loop) => {
      const seen: (string | undefined)[] = [];
      const done = loop.createFuture<void>();
      const fut = loop.createFuture<void>();
      als.run('soon', () => loop.callSoon(() => seen.push(`soon:${als.getStore()}`)));
      als.run('later', () => loop.callLater(0.01, () => seen.push(`later:${als.getStore()}`)));
      als.run('at', () => loop.callAt(loop.time() + 0.02, () => seen.push(`at:${als.getStore()}`)));
      als.run('callback', () => fut.addDoneCallback(() => seen.push(`done:${als.getStore()}`)));
      // Completed from another context: the callback keeps the one it was added in.
      als.run('completer', () => loop.callLater(0.03, () => fut.setResult(undefined)));
      loop.callLater(0.05, () => done.setResult(undefined));
      await done;
      return seen;
    });
    expect(seen).toEqual(['soon:soon', 'later:later', 'at:at', 'done:callback']);
  });

  it('a task runs in the context of createTask, or in the one given as `context`', async () => {
    const als = new AsyncLocalStorage<string>();
    const seen = await env.run(async (loop) => {
      const seen: (string | undefined)[] = [];
      const a = als.run('created', () =>
        loop.createTask(async () => {
          seen.push(als.getStore());
        }),
      );
      a.cancel();
      const snapshot = als.run('given', () => AsyncLocalStorage.snapshot());
      const b = als.run('ignored', () =>
        loop.createTask(
          async () => {
            const fut = loop.createFuture<void>();
            loop.callSoon(() => fut.setResult(undefined));
            await fut;
            seen.push(als.getStore());
          },
          { context: snapshot },
        ),
      );
      await b;
      expect(b.getContext()).toBe(snapshot);
      return seen;
    });
    expect(seen).toEqual(['given']); // `a` was cancelled before its first step
  });

  it('a context change inside a task stays in the task', async () => {
    const als = new AsyncLocalStorage<string>();
    const seen = await env.run(async (loop) => {
      const seen: (string | undefined)[] = [];
      await als.run('outer', () =>
        loop.createTask(async () => {
          als.enterWith('inner');
          const fut = loop.createFuture<void>();
          loop.callSoon(() => {
            seen.push(`callback:${als.getStore()}`);
            fut.setResult(undefined);
          });
          await fut;
          seen.push(`task:${als.getStore()}`);
        }),
      );
      seen.push(`caller:${als.getStore()}`);
      return seen;
    });
    expect(seen).toEqual(['callback:inner', 'task:inner', 'caller:undefined']);
  });
});

// One context object serves many callbacks where nothing changed in between (node/async-context.ts):
// these are the cases where sharing it could leak a change into a callback scheduled before it.
describe.each([
  ['a Node loop', nodeEnv('default')],
  ['a simulated host', simEnv()],
])('callbacks sharing a captured context on %s', (_name, env) => {
  it('each callback sees the context of its own scheduling, whatever changes around and inside them', async () => {
    const als = new AsyncLocalStorage<string>();
    const seen = await env.run(async (loop) => {
      const seen: string[] = [];
      const done = loop.createFuture<void>();
      const see = (tag: string) => (): void => {
        seen.push(`${tag}:${als.getStore()}`);
      };
      als.run('a', () => {
        loop.callSoon(see('a1'));
        loop.callSoon(see('a2'));
      });
      als.run('b', () => loop.callSoon(see('b')));
      als.run('a', () => loop.callSoon(see('a3')));
      // A callback that schedules one, then changes its own context, then schedules another.
      als.run('c', () =>
        loop.callSoon(() => {
          loop.callSoon(see('before-enter'));
          als.enterWith('changed');
          loop.callSoon(see('after-enter'));
          seen.push(`changer:${als.getStore()}`);
        }),
      );
      // A storage first used after a context was captured here is seen by the next capture.
      const late = new AsyncLocalStorage<string>();
      loop.callSoon(() => seen.push(`late-before:${late.getStore()}`));
      late.enterWith('late');
      loop.callSoon(() => seen.push(`late-after:${late.getStore()}`));
      loop.callLater(0.01, () => done.setResult(undefined));
      await done;
      return seen;
    });
    expect(seen).toEqual([
      'a1:a',
      'a2:a',
      'b:b',
      'a3:a',
      'changer:changed',
      'late-before:undefined',
      'late-after:late',
      'before-enter:c',
      'after-enter:changed',
    ]);
  });

  it('a callback that re-schedules itself keeps its context; a change inside it reaches only later ones', async () => {
    const als = new AsyncLocalStorage<number>();
    const seen = await env.run(async (loop) => {
      const seen: (number | undefined)[] = [];
      const done = loop.createFuture<void>();
      let n = 0;
      const tick = (): void => {
        seen.push(als.getStore());
        n += 1;
        if (n === 6) {
          done.setResult(undefined);
          return;
        }
        if (n === 4) als.enterWith(77); // before scheduling: the next ones see it
        loop.callSoon(tick);
        if (n === 3) als.enterWith(99); // after scheduling: the next one does not
      };
      als.run(1, () => loop.callSoon(tick));
      await done;
      return seen;
    });
    expect(seen).toEqual([1, 1, 1, 1, 77, 77]);
  });
});

describe('failing tasks nobody awaits', () => {
  it('createTask of a function that fails at once raises no unhandledRejection', async () => {
    const unhandled: unknown[] = [];
    const listener = (e: unknown): void => {
      unhandled.push(e);
    };
    process.on('unhandledRejection', listener);
    try {
      const loop = makeLoop('default');
      loop.createTask(async () => {
        throw new Error('at once');
      });
      loop.createTask(() => {
        throw new Error('synchronously');
      });
      const later = loop.createFuture<void>();
      loop.callLater(0.02, () => later.setResult(undefined));
      await loop.runUntilComplete(later);
      await new Promise((r) => setTimeout(r, 20));
      loop.close();
    } finally {
      process.off('unhandledRejection', listener);
    }
    expect(unhandled).toEqual([]);
  });

  const program = (kind: 'native' | 'sim', debug: boolean) => `
import { ${kind === 'native' ? 'newEventLoop' : 'Simulation'} } from '${kind === 'native' ? 'evloop' : 'evloop/sim'}';
const reports = [];
${kind === 'native' ? 'const loop = newEventLoop();' : "const s = new Simulation({ seed: 1 }); const loop = s.host('h');"}
loop.setDebug(${debug});
loop.setExceptionHandler((_l, ctx) => reports.push({
  message: ctx.message, exception: ctx.exception?.message, future: String(ctx.future),
  createdAt: typeof ctx.source_traceback === 'string' && ctx.source_traceback.includes('madeHere'),
}));
function madeHere() {
  loop.createTask(async () => { throw new Error('task failed'); }, { name: 'lost' });
  const f = loop.createFuture(); f.setException(new Error('future failed'));
  const kept = loop.createTask(async () => { throw new Error('retrieved'); });
  globalThis.kept = kept;
}
madeHere();
const tick = loop.createTask(async () => { const f = loop.createFuture(); loop.callLater(0.01, () => f.setResult(1)); await f; });
${kind === 'native' ? 'await loop.runUntilComplete(tick);' : 'await s.runUntilComplete(tick);'}
globalThis.kept.exception();
for (let i = 0; i < 5 && reports.length < 2; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
console.log(JSON.stringify(reports.sort((a, b) => a.message.localeCompare(b.message))));
`;

  function runGcChild(source: string): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ['--expose-gc', '--input-type=module', '-e', source],
        { cwd: repoRoot, timeout: 60_000, killSignal: 'SIGKILL' },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
  }

  for (const kind of ['native', 'sim'] as const) {
    it(`are reported when collected, as asyncio's __del__ does (${kind})`, async () => {
      const reports = JSON.parse(await runGcChild(program(kind, true))) as Record<string, unknown>[];
      expect(reports).toHaveLength(2);
      expect(reports[0]).toMatchObject({ message: 'Future exception was never retrieved', exception: 'future failed', createdAt: true });
      expect(reports[0]?.future).toMatch(/^<Future finished exception=/);
      expect(reports[1]).toMatchObject({ message: 'Task exception was never retrieved', exception: 'task failed', createdAt: true });
      expect(reports[1]?.future).toMatch(/^<Task name='lost' finished exception=/);
    });
  }

  it('outside debug mode the report has no source_traceback', async () => {
    const reports = JSON.parse(await runGcChild(program('native', false))) as Record<string, unknown>[];
    expect(reports.map((r) => r.createdAt)).toEqual([false, false]);
  });
});
