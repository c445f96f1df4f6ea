// addSignalHandler / removeSignalHandler on Node's loops with real signals: the handler runs as a
// loop callback, beside the program's own process.on listeners, and a server process shuts down
// on a SIGTERM that another process sends it.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getRunningLoop, RuntimeError, SIGTERM, SIGUSR1, SIGUSR2, ValueError } from 'evloop';
import { LOOPS, makeLoop } from './loop-helpers.js';

describe.each(LOOPS)('loop %s', (kind) => {
  it('a handler runs as a loop callback with its arguments, beside process.on listeners', async () => {
    const loop = makeLoop(kind);
    const seen: string[] = [];
    const listener = (): void => void seen.push('process.on');
    process.on('SIGUSR1', listener);
    try {
      loop.addSignalHandler(SIGUSR1, (tag: string) => {
        seen.push(`${tag} ${getRunningLoop() === loop}`);
        loop.stop();
      }, 'handler');
      loop.callSoon(() => {
        process.kill(process.pid, 'SIGUSR1');
        // Delivery is never inside kill(): it comes back through the loop.
        seen.push('after kill');
      });
      await loop.runForever();
      expect(seen).toEqual(['after kill', 'process.on', 'handler true']);
      expect(loop.removeSignalHandler('SIGUSR1')).toBe(true);
      expect(loop.removeSignalHandler(SIGUSR1)).toBe(false);
      // Only the program's own listener is left.
      expect(process.listeners('SIGUSR1')).toEqual([listener]);
    } finally {
      process.off('SIGUSR1', listener);
    }
  });

  it('adding again replaces the handler; a name and a number are the same signal', async () => {
    const loop = makeLoop(kind);
    const seen: string[] = [];
    loop.addSignalHandler('SIGUSR2', () => void seen.push('first'));
    loop.addSignalHandler(SIGUSR2, () => {
      seen.push('second');
      loop.stop();
    });
    expect(process.listenerCount('SIGUSR2')).toBe(1);
    loop.callSoon(() => process.kill(process.pid, 'SIGUSR2'));
    await loop.runForever();
    expect(seen).toEqual(['second']);
    loop.close();
    // close() removed it.
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });
});

describe('signal arguments', () => {
  it('refuses what asyncio refuses, in its words', () => {
    const loop = makeLoop();
    expect(() => loop.addSignalHandler(9, () => {})).toThrow(new RuntimeError('sig 9 cannot be caught'));
    expect(() => loop.addSignalHandler('SIGSTOP', () => {})).toThrow(RuntimeError);
    expect(() => loop.addSignalHandler(999, () => {})).toThrow(new ValueError('invalid signal number 999'));
    expect(() => loop.addSignalHandler(0, () => {})).toThrow(ValueError);
    expect(() => loop.addSignalHandler('SIGFOO', () => {})).toThrow(
      new ValueError("addSignalHandler(): unknown signal name 'SIGFOO'"),
    );
    expect(() => loop.addSignalHandler({} as unknown as number, () => {})).toThrow(TypeError);
    expect(() => loop.addSignalHandler(SIGUSR1, 'x' as unknown as () => void)).toThrow(TypeError);
    expect(() => loop.addSignalHandler(SIGUSR1, async () => {})).toThrow(
      new TypeError('coroutines cannot be used with addSignalHandler()'),
    );
    expect(() => loop.removeSignalHandler(999)).toThrow(ValueError);
    expect(process.listenerCount('SIGUSR1')).toBe(0);
    loop.close();
    expect(() => loop.addSignalHandler(SIGUSR1, () => {})).toThrow(new RuntimeError('Event loop is closed'));
    expect(loop.removeSignalHandler(SIGUSR1)).toBe(false);
  });
});

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

// The server counts on its handler to stop: SIGTERM's default would end it with a signal, not 0.
const serverSource = `
import { newEventLoop, SIGTERM } from 'evloop';
const loop = newEventLoop();
loop.addSignalHandler(SIGTERM, (name) => {
  console.log('got ' + name);
  loop.stop();
}, 'SIGTERM');
loop.callSoon(() => console.log('ready'));
await loop.runForever();
loop.close();
console.log('closed');
`;

describe('a server process', () => {
  it('stops on the SIGTERM another process sends it, and exits 0', async () => {
    expect(SIGTERM).toBe(15);
    const server = spawn(process.execPath, ['--input-type=module', '-e', serverSource], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    const rl = createInterface({ input: server.stdout });
    const ready = new Promise<void>((resolve) => {
      rl.on('line', (line) => {
        lines.push(line);
        if (line === 'ready') resolve();
      });
    });
    const exited = once(server, 'exit');
    await ready;
    // Sent by another process, the system's kill(1).
    await new Promise<void>((resolve, reject) => {
      execFile('kill', ['-TERM', String(server.pid)], (err) => (err ? reject(err) : resolve()));
    });
    const [code, signal] = (await exited) as [number | null, string | null];
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(lines).toEqual(['ready', 'got SIGTERM', 'closed']);
  });
});
