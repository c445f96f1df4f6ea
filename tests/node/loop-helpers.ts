// Helpers for the native loop suites: loops that are always cleaned up, and
// short Node programs run in a child process (for what only a whole process
// shows: exiting, stderr).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, vi } from 'vitest';
import { newEventLoop, SelectorEventLoop, type EventLoop, type SelectorName } from 'evloop';

const created: EventLoop[] = [];

/** Every selector a SelectorEventLoop can be built on here ("default" is epoll on Linux). */
export const SELECTORS: SelectorName[] =
  process.platform === 'linux' ? ['default', 'epoll', 'poll', 'select'] : ['default', 'kqueue', 'poll', 'select'];

/**
 * A new loop that is stopped and closed after the test, whatever happens:
 * the policy's loop, or a SelectorEventLoop on `selector`.
 */
export function makeLoop(selector?: SelectorName): EventLoop {
  const loop = selector === undefined ? newEventLoop() : new SelectorEventLoop({ selector });
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
 * `import 'evloop'`). The timeout only turns a hang into a failure.
 */
export function runNode(source: string, hangTimeoutMs = 30_000): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', source],
      { cwd: repoRoot, timeout: hangTimeoutMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, signal: err?.signal ?? null, stdout, stderr });
      },
    );
  });
}
