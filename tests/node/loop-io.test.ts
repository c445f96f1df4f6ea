// Readiness callbacks on raw fds (L-37) and the libuv driving of each
// selector: a loop waiting only for I/O (no timer, nothing ready) is woken
// by the fd becoming ready, whether a Node timer or a node:net event makes
// it so. FIFOs stand in for socketpairs (Node has none): libuv never
// watches them, so only the loop under test reads them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeError, ValueError } from 'evloop';
import { LOOPS, makeLoop, runNode } from './loop-helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A FIFO's non-blocking read and write ends. */
function fifo(): { r: number; w: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evloop-io-'));
  const p = path.join(dir, 'fifo');
  execFileSync('mkfifo', [p]);
  const r = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const w = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  cleanups.push(() => {
    fs.closeSync(r);
    fs.closeSync(w);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { r, w };
}

function readAll(fd: number): string {
  const buf = Buffer.alloc(4096);
  try {
    return buf.subarray(0, fs.readSync(fd, buf)).toString();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return '';
    throw e;
  }
}

describe.each(LOOPS)('loop %s', (selector) => {
  it('L-37 addWriter fires; removeWriter is true once, then false', async () => {
    const loop = makeLoop(selector);
    const { w } = fifo();
    const seen: unknown[] = [];
    loop.addWriter(w, (tag: string) => {
      seen.push(tag);
      expect(loop.removeWriter(w)).toBe(true);
      expect(loop.removeWriter(w)).toBe(false);
      loop.stop();
    }, 'writable');
    await loop.runForever();
    expect(seen).toEqual(['writable']);
  });

  it('L-37 addReader gets the bytes written by a callSoon callback', async () => {
    const loop = makeLoop(selector);
    const { r, w } = fifo();
    let got = '';
    loop.addReader({ fileno: () => r }, () => {
      got += readAll(r);
      if (got === 'ping') {
        loop.removeReader(r);
        loop.stop();
      }
    });
    loop.callSoon(() => fs.writeSync(w, 'ping'));
    await loop.runForever();
    expect(got).toBe('ping');
    expect(loop.removeReader(r)).toBe(false);
  });

  it('a loop waiting only for I/O is woken by a write from a Node timer', async () => {
    const loop = makeLoop(selector);
    const { r, w } = fifo();
    let got = '';
    loop.addReader(r, () => {
      got += readAll(r);
      loop.removeReader(r);
      loop.stop();
    });
    setTimeout(() => fs.writeSync(w, 'from a Node timer'), 20);
    await loop.runForever();
    expect(got).toBe('from a Node timer');
  });

  it('a loop waiting only for I/O is woken by a node:net event', async () => {
    const loop = makeLoop(selector);
    const { r, w } = fifo();
    const server = net.createServer((sock) => {
      sock.on('data', (data) => fs.writeSync(w, data)); // node:net data -> the loop's fd
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => server.close());
    let got = '';
    loop.addReader(r, () => {
      got += readAll(r);
      if (got.length >= 5) {
        loop.removeReader(r);
        loop.stop();
      }
    });
    const run = loop.runForever();
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    cleanups.push(() => client.destroy());
    await once(client, 'connect');
    expect(loop.isRunning()).toBe(true);
    client.write('hello');
    await run;
    expect(got).toBe('hello');
  });

  it('readers registered while waiting are watched at once', async () => {
    const loop = makeLoop(selector);
    const { r, w } = fifo();
    let got = '';
    const run = loop.runForever();
    setTimeout(() => {
      loop.addReader(r, () => {
        got += readAll(r);
        loop.stop();
      });
      setTimeout(() => fs.writeSync(w, 'late reader'), 10);
    }, 10);
    await run;
    expect(got).toBe('late reader');
  });

  it('replacing a reader keeps one registration; a reader error reaches the handler', async () => {
    const loop = makeLoop(selector);
    const { r, w } = fifo();
    const got: unknown[] = [];
    loop.setExceptionHandler((_l, ctx) => got.push(ctx.message));
    loop.addReader(r, () => got.push('old'));
    loop.addReader(r, function reader() {
      readAll(r);
      loop.removeReader(r);
      loop.stop();
      throw new Error('reader failed');
    });
    fs.writeSync(w, 'x');
    await loop.runForever();
    expect(got).toEqual(['Exception in callback reader()']);
  });

  it('fd arguments are checked', () => {
    const loop = makeLoop(selector);
    const anyLoop = loop as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(() => anyLoop.addReader('3', () => {})).toThrow(
      new TypeError("addReader(): fd must be an integer or an object with a fileno() method, got string"),
    );
    expect(() => anyLoop.addWriter(-1, () => {})).toThrow(new ValueError('Invalid file descriptor: -1'));
    expect(() => anyLoop.addReader(1.5, () => {})).toThrow(ValueError);
    expect(() => anyLoop.removeReader(null)).toThrow(TypeError);
    expect(() => anyLoop.addReader({ fileno: () => 'x' }, () => {})).toThrow(ValueError);
    expect(() => anyLoop.addReader(0, 'nope')).toThrow('a callable object was expected by addReader(), got \'nope\'');
  });
});

describe('libuv driving of poll/select loops', () => {
  it('the watcher keeps Node alive while the loop waits, and lets it exit after', async () => {
    const res = await runNode(`
      import fs from 'node:fs';
      import { execFileSync } from 'node:child_process';
      import { SelectorEventLoop } from 'evloop';
      for (const selector of ['poll', 'select']) {
        const p = '/tmp/evloop-keepalive-' + process.pid + '-' + selector;
        execFileSync('mkfifo', [p]);
        const r = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        const w = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        const loop = new SelectorEventLoop({ selector });
        loop.addReader(r, () => { loop.removeReader(r); loop.stop(); });
        // Nothing but the helper thread's wake-up can end this run; an unref'd
        // Node timer does the write, so only the loop keeps the process alive.
        setTimeout(() => fs.writeSync(w, 'x'), 50).unref();
        await loop.runForever();
        loop.close();
        fs.closeSync(r); fs.closeSync(w); fs.unlinkSync(p);
        console.log(selector, 'woke');
      }
      const idle = new SelectorEventLoop({ selector: 'poll' });
      idle.callLater(3600, () => {});
    `);
    expect(res.signal).toBeNull();
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n')).toEqual(['poll woke', 'select woke']);
    expect(res.stderr).toBe('');
  });

  it('a running poll loop with nothing to do keeps the process alive until stopped', async () => {
    const res = await runNode(`
      import { SelectorEventLoop, LoopRemote } from 'evloop';
      import { Worker } from 'node:worker_threads';
      const loop = new SelectorEventLoop({ selector: 'poll' });
      const remote = loop.createRemote();
      // The only wake-up comes from another thread through the self-pipe.
      const src = "import { workerData } from 'node:worker_threads'; import { LoopRemote } from 'evloop';" +
        "setTimeout(() => LoopRemote.fromToken(workerData).stop(), 50);";
      const w = new Worker(src, { eval: true, workerData: remote.token });
      w.unref();
      await loop.runForever();
      console.log('stopped by the worker');
      loop.close();
    `);
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toBe('stopped by the worker');
  });

  it('a worker running a poll/select loop can be terminated mid-run', async () => {
    // terminate() tears the env down under a running loop whose helper
    // thread may be blocked in poll(2): the cleanup hook joins it.
    const res = await runNode(`
      import { Worker } from 'node:worker_threads';
      const src = \`
        import { parentPort, workerData } from 'node:worker_threads';
        import { SelectorEventLoop } from 'evloop';
        const loop = new SelectorEventLoop({ selector: workerData });
        let n = 0;
        const tick = () => {
          if (++n === 3) parentPort.postMessage(workerData + ' ticking');
          loop.callLater(0.001, tick);
        };
        loop.callSoon(tick);
        loop.runForever();
      \`;
      const idle = \`
        import { parentPort, workerData } from 'node:worker_threads';
        import { SelectorEventLoop } from 'evloop';
        new SelectorEventLoop({ selector: workerData }).runForever(); // waits on I/O only
        setTimeout(() => parentPort.postMessage(workerData + ' waiting'), 20);
      \`;
      for (const [code, selector] of [[src, 'poll'], [src, 'select'], [idle, 'poll'], [idle, 'select']]) {
        const w = new Worker(code, { eval: true, workerData: selector });
        console.log(await new Promise((r) => w.once('message', r)));
        await w.terminate();
      }
    `);
    expect(res.signal).toBeNull();
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n')).toEqual(['poll ticking', 'select ticking', 'poll waiting', 'select waiting']);
    expect(res.stderr).toBe('');
  });

  it('closing a loop joins its watcher; closed loops refuse readers', () => {
    for (const selector of ['poll', 'select'] as const) {
      const loop = makeLoop(selector);
      loop.close();
      expect(() => loop.addReader(0, () => {})).toThrow(RuntimeError);
      expect(loop.removeReader(0)).toBe(false);
    }
  });
});
