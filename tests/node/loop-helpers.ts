// Helpers for the native loop suites: loops that are always cleaned up, and
// short Node programs run in a child process (for what only a whole process
// shows: exiting, stderr).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, vi } from 'vitest';
import { newEventLoop, ProactorEventLoop, SelectorEventLoop, type EventLoop, type SelectorName } from 'evloop';

const created: EventLoop[] = [];

/** Every selector a SelectorEventLoop can be built on here ("default" is epoll on Linux). */
export const SELECTORS: SelectorName[] =
  process.platform === 'linux' ? ['default', 'epoll', 'poll', 'select'] : ['default', 'kqueue', 'poll', 'select'];

/** A selector, or "proactor" for a ProactorEventLoop (io_uring). */
export type LoopKind = SelectorName | 'proactor';

/** Every loop the shared suites run on: each selector, and the proactor on Linux. */
export const LOOPS: LoopKind[] = process.platform === 'linux' ? [...SELECTORS, 'proactor'] : SELECTORS;

/**
 * A new loop of `kind` (typed as the common loop type: a ProactorEventLoop
 * has SelectorEventLoop's API, `selector` aside).
 */
export function newLoop(kind: LoopKind): EventLoop {
  return kind === 'proactor' ? (new ProactorEventLoop() as unknown as EventLoop) : new SelectorEventLoop({ selector: kind });
}

/** What `loop.selector` reports for a loop of `kind`. */
export function mechanismOf(kind: LoopKind): string {
  if (kind === 'proactor') return 'io_uring';
  if (kind === 'default') return process.platform === 'linux' ? 'epoll' : 'kqueue';
  return kind;
}

/**
 * A new loop that is stopped and closed after the test, whatever happens:
 * the policy's loop, or a loop of `kind`.
 */
export function makeLoop(kind?: LoopKind): EventLoop {
  // The suites' policies make EventLoops.
  const loop = kind === undefined ? (newEventLoop() as EventLoop) : newLoop(kind);
  created.push(loop);
  return loop;
}

/** Queues `loop.stop()` after everything queued so far and runs (one iteration). */
export async function runOnce(loop: EventLoop): Promise<void> {
  loop.callSoon(() => loop.stop());
  await loop.runForever();
}

afterEach(async () => {
  for (const loop of created.splice(0)) {
    if (loop.isRunning()) {
      // A failed test may leave a loop running; a running loop in this
      // process would make every later test's runForever fail.
      loop.stop();
      await vi.waitFor(() => {
        if (loop.isRunning()) throw new Error('loop still running');
      });
    }
    if (!loop.isClosed()) loop.close();
  }
});

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an ES module source with `node` from the repository root (so it can
 * `import 'evloop'`), with `nodeArgs` before it. The timeout only turns a hang into a failure.
 */
export function runNode(source: string, hangTimeoutMs = 30_000, nodeArgs: string[] = []): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...nodeArgs, '--input-type=module', '-e', source],
      { cwd: repoRoot, timeout: hangTimeoutMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, signal: err?.signal ?? null, stdout, stderr });
      },
    );
  });
}
