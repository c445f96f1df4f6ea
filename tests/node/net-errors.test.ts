// Issue 14, "what users noticed": errors the core reports to the exception
// handler arrive as the OSError subclass with code/errno/syscall; a bind
// that fails with EADDRNOTAVAIL keeps its code; the warning after writes to
// a lost connection reaches the package's logger.
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import * as evloop from 'evloop';
import { OSError } from 'evloop';
import { inLoop, iterations, makeLoop, portOf, runNode } from './net-helpers.js';

/** What a child process imports as the package (the build under test). */
const entry = 'evloop';

describe('errors reported to the exception handler', () => {
  it('EMFILE on accept is an OSError with code, errno and syscall', async () => {
    // The client connects first (the kernel queues it while the loop does
    // not run); then the child fills its fds up to the soft limit, so the
    // server's accept fails with EMFILE once the loop runs.
    const source = `
      import fs from 'node:fs';
      import net from 'node:net';
      import { newEventLoop, OSError } from '${entry}';
      const loop = newEventLoop();
      const seen = [];
      loop.setExceptionHandler((_l, ctx) => { seen.push(ctx); });
      const srv = await loop.runUntilComplete(loop.createServer(() => ({}), '127.0.0.1', 0));
      const port = srv.sockets[0].getsockname().port;
      const client = net.connect(port, '127.0.0.1');
      client.on('error', () => {});
      await new Promise((r) => client.on('connect', r));
      const held = [];
      try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
      await loop.runUntilComplete(new Promise((r) => { const t = setInterval(() => { if (seen.length) { clearInterval(t); r(); } }, 5); }));
      for (const fd of held) fs.closeSync(fd);
      const exc = seen[0].exception;
      console.log(JSON.stringify({ message: seen[0].message, isOSError: exc instanceof OSError, name: exc.name, code: exc.code, errno: exc.errno, syscall: exc.syscall }));
      client.destroy(); srv.close(); loop.close();
    `;
    const r = await runNode(source);
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(got).toEqual({
      message: 'socket.accept() out of system resource',
      isOSError: true,
      name: 'OSError',
      code: 'EMFILE',
      errno: constants.errno.EMFILE,
      syscall: 'accept',
    });
  });
});

describe('bind errors', () => {
  it('an address that is not local: OSError EADDRNOTAVAIL from bind', async () => {
    const loop = makeLoop();
    await inLoop(loop, async () => {
      // 192.0.2.1 is TEST-NET-1: never an address of this machine.
      const err = await loop.createServer(() => ({}), '192.0.2.1', 0).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OSError);
      expect(err).toMatchObject({
        code: 'EADDRNOTAVAIL',
        errno: constants.errno.EADDRNOTAVAIL,
        syscall: 'bind',
        message: "could not bind on any address out of [('192.0.2.1', 0)]",
      });
    });
  });
});

describe('writes after the connection was lost', () => {
  it('asyncio\'s warning reaches the logger from the 5th write after the loss on', async () => {
    const api = evloop as unknown as { setLogger(l: unknown): void };
    const warnings: string[] = [];
    api.setLogger({ error: () => {}, warn: (m: string) => warnings.push(m) });
    try {
      const loop = makeLoop();
      await inLoop(loop, async () => {
        const srv = await loop.createServer(() => ({}), '127.0.0.1', 0);
        const [t] = await loop.createConnection(() => ({}), '127.0.0.1', portOf(srv));
        t.abort();
        await iterations(2);
        for (let i = 0; i < 4; i++) t.write(Uint8Array.of(1));
        expect(warnings).toEqual([]);
        t.write(Uint8Array.of(1));
        expect(warnings).toEqual(['socket.send() raised exception.']);
        srv.close();
      });
    } finally {
      api.setLogger(null);
    }
  });
});

describe('warnings of the core from outside any JS call', () => {
  it('an unclosed StreamWriter collected by the GC warns through the logger, without crashing', async () => {
    // The core's StreamWriter warns in its destructor, which runs when the GC
    // finalizes the JS wrapper: outside any JS call, with no handle scope open.
    const source = `
      import v8 from 'node:v8';
      import vm from 'node:vm';
      import { newEventLoop, openConnection, setLogger, sleep, startServer } from '${entry}';
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc');
      const warnings = [];
      setLogger({ error: () => {}, warn: (m) => warnings.push(String(m)) });
      const loop = newEventLoop();
      await loop.runUntilComplete(loop.createTask(async () => {
        const srv = await startServer(() => {}, '127.0.0.1', 0);
        const port = srv.sockets[0].getsockname().port;
        for (let i = 0; i < 3; i++) await openConnection('127.0.0.1', port); // reader and writer dropped
        for (let i = 0; i < 50 && !warnings.some((w) => w.startsWith('unclosed')); i++) {
          gc();
          await sleep(0.01);
        }
        srv.close();
      }));
      loop.close();
      console.log(JSON.stringify({ unclosed: warnings.some((w) => /^unclosed <StreamWriter/.test(w)) }));
    `;
    const r = await runNode(source);
    expect(r.stderr).not.toMatch(/FATAL/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}')).toEqual({ unclosed: true });
  });
});
