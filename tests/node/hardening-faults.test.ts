// Hardening (docs/reliability.md): resource exhaustion and resets, in Node.
// EMFILE on accept is reported and the server recovers once fds are free
// again (the Rust twin is crates/evloop/tests/accept_emfile.rs); a peer that
// resets the connection while the transport writes gives connectionLost an
// error. Backpressure and a slow-loris client are the last two.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConnectionResetError, OSError, startServer, type Transport } from 'evloop';
import { connect, inLoop, makeLoop, portOf, SELECTORS, until } from './net-helpers.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

// The child lowers its own soft fd limit (prlimit on its pid) to what it has
// open plus a few, uses the rest up, and waits for the parent to connect.
const emfileChild = `
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { SelectorEventLoop, sleep } from 'evloop';

const loop = new SelectorEventLoop();
const reports = [];
loop.setExceptionHandler((_loop, ctx) => reports.push(ctx));
const made = [];
const out = (s) => process.stdout.write(s + '\\n');
await loop.runUntilComplete(loop.createTask(async () => {
  const server = await loop.createServer(() => ({ connectionMade: (t) => made.push(t) }), '127.0.0.1', 0);
  const limits = fs.readFileSync('/proc/self/limits', 'utf8').match(/Max open files\\s+(\\d+)\\s+(\\d+)/);
  const soft = Number(limits[1]);
  const low = fs.readdirSync('/proc/self/fd').length + 16;
  execFileSync('prlimit', ['--pid', String(process.pid), '--nofile=' + low + ':']);
  const hog = [];
  for (let i = 0; i < 100000; i++) {
    try { hog.push(fs.openSync('/dev/null', 'r')); } catch (e) { if (e.code === 'EMFILE') break; throw e; }
  }
  out('READY ' + server.sockets[0].getsockname().port + ' ' + hog.length);
  for (let i = 0; i < 2000 && reports.length === 0; i++) await sleep(0.005);
  const reportedAt = loop.time();
  const listening = server.sockets.length === 1 && server.sockets[0].fileno() >= 0 && server.isServing();
  const madeWhileExhausted = made.length;
  for (const fd of hog) fs.closeSync(fd);
  execFileSync('prlimit', ['--pid', String(process.pid), '--nofile=' + soft + ':']);
  for (let i = 0; i < 1000 && made.length === 0; i++) await sleep(0.005);
  const r = reports[0] ?? {};
  out('RESULT ' + JSON.stringify({
    reports: reports.length,
    message: r.message,
    keys: Object.keys(r).sort(),
    exception: r.exception && { name: r.exception.name, code: r.exception.code, errno: r.exception.errno, message: r.exception.message },
    listening,
    madeWhileExhausted,
    made: made.length,
    recoveredAfter: made.length ? loop.time() - reportedAt : null,
  }));
  for (const t of made) t.abort();
  server.close();
  await sleep(0.01);
}));
loop.close();
`;

describe('hardening: faults', () => {
  it('EMFILE on accept is reported once, the server keeps listening and recovers', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', emfileChild], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    let client: net.Socket | undefined;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const result = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child hung; stdout: ${stdout} stderr: ${stderr}`));
      }, 30_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const ready = /READY (\d+) (\d+)/.exec(stdout);
        if (ready !== null && client === undefined) {
          expect(Number(ready[2])).toBeGreaterThan(0); // fds were used up
          client = net.connect({ port: Number(ready[1]), host: '127.0.0.1' });
          client.on('error', () => {});
        }
        const done = /RESULT (.*)\n/.exec(stdout);
        if (done !== null) {
          clearTimeout(timer);
          resolve(JSON.parse(done[1]) as Record<string, unknown>);
        }
      });
      child.on('exit', (code) => {
        if (!/RESULT/.test(stdout)) {
          clearTimeout(timer);
          reject(new Error(`child exited ${code}; stderr: ${stderr}`));
        }
      });
    });
    client?.destroy();
    expect(result).toMatchObject({
      reports: 1,
      message: 'socket.accept() out of system resource',
      keys: ['exception', 'message', 'socket'],
      listening: true,
      madeWhileExhausted: 0,
      made: 1,
    });
    // Errors the core reports itself reach JS as an Error with the core's
    // text (docs/node.md, "Exception handler"), not as an OSError object.
    expect((result.exception as { message: string }).message).toMatch(/\[Errno 24\] Too many open files/);
    // The listener was paused for the 1 s back-off, then accepted.
    expect(result.recoveredAfter as number).toBeGreaterThan(0.5);
    expect(stderr).not.toMatch(/panicked|Aborted/);
  }, 40_000);

  for (const selector of SELECTORS) {
    it(`[${selector}] a reset while the transport writes is connectionLost(ConnectionResetError)`, async () => {
      const loop = makeLoop(selector);
      const reports: unknown[] = [];
      loop.setExceptionHandler((_l, ctx) => reports.push(ctx));
      let transport: Transport | undefined;
      let lost: Error | null | undefined;
      await inLoop(loop, async () => {
        const srv = await loop.createServer(
          () => ({
            connectionMade(t: Transport) {
              transport = t;
              for (let i = 0; i < 32; i++) t.write(new Uint8Array(256 * 1024));
            },
            connectionLost(exc: Error | null) {
              lost = exc;
            },
          }),
          '127.0.0.1',
          0,
        );
        const c = await connect(portOf(srv));
        c.pause(); // never reads
        await until('buffered', () => transport !== undefined && transport.getWriteBufferSize() > 0);
        c.resetAndDestroy();
        await until('lost', () => lost !== undefined);
        srv.close();
      });
      expect(lost).toBeInstanceOf(ConnectionResetError);
      expect(lost).toBeInstanceOf(OSError);
      expect(lost).toMatchObject({ code: 'ECONNRESET', errno: 104 });
      expect(transport!.getWriteBufferSize()).toBe(0);
      expect(reports).toEqual([]); // OS errors go to connectionLost only
    });
  }
});

describe('hardening: backpressure', () => {
  for (const selector of SELECTORS) {
    it(`[${selector}] a client that never reads pauses the writer; the buffer stays bounded; reading resumes it`, async () => {
      const loop = makeLoop(selector);
      const CHUNK = 64 * 1024;
      const TOTAL = 32 * 2 ** 20;
      const state = { paused: false, pauses: 0, resumes: 0, written: 0, maxBuffered: 0, transport: undefined as Transport | undefined };
      const pump = () => {
        const t = state.transport!;
        while (!state.paused && state.written < TOTAL) {
          t.write(new Uint8Array(CHUNK));
          state.written += CHUNK;
          state.maxBuffered = Math.max(state.maxBuffered, t.getWriteBufferSize());
        }
        if (state.written >= TOTAL) t.close();
      };
      await inLoop(loop, async () => {
        const srv = await loop.createServer(
          () => ({
            connectionMade(t: Transport) {
              state.transport = t;
              pump();
            },
            pauseWriting() {
              state.paused = true;
              state.pauses++;
            },
            resumeWriting() {
              state.paused = false;
              state.resumes++;
              pump();
            },
          }),
          '127.0.0.1',
          0,
        );
        const c = await connect(portOf(srv));
        c.pause();
        await until('paused', () => state.pauses === 1);
        await new Promise((r) => setTimeout(r, 200));
        const [, high] = state.transport!.getWriteBufferLimits();
        expect(state.paused).toBe(true);
        expect(state.pauses).toBe(1);
        expect(state.maxBuffered).toBeLessThanOrEqual(high + CHUNK);
        expect(state.written).toBeLessThan(TOTAL);
        // Now read: the writer resumes, and every byte arrives.
        let got = 0;
        c.on('data', (d: Buffer) => {
          got += d.length;
        });
        c.resume();
        await until('all received', () => got === TOTAL, 20_000);
        expect(state.resumes).toBeGreaterThan(0);
        expect(state.maxBuffered).toBeLessThanOrEqual(high + CHUNK);
        c.destroy();
        srv.close();
      });
    }, 30_000);
  }

  it('a slow-loris client does not stall the other connections', async () => {
    const loop = makeLoop();
    const CLIENTS = 16;
    const ROUNDS = 25;
    await inLoop(loop, async () => {
      const srv = await startServer(async (reader, writer) => {
        for await (const line of reader) writer.write(line);
        writer.close();
      }, '127.0.0.1', 0);
      const port = portOf(srv);
      const loris = await connect(port);
      loris.on('error', () => {});
      let n = 0;
      const drip = setInterval(() => loris.write(String.fromCharCode(97 + (n++ % 26))), 2);
      let worst = 0;
      const client = async (id: number) => {
        const s = await connect(port);
        let buf = '';
        s.on('data', (d: Buffer) => {
          buf += d.toString();
        });
        for (let r = 0; r < ROUNDS; r++) {
          const msg = `client ${id} round ${r}\n`;
          const t0 = performance.now();
          s.write(msg);
          await until(`echo ${id}/${r}`, () => buf.endsWith(msg), 10_000);
          worst = Math.max(worst, performance.now() - t0);
        }
        s.destroy();
      };
      await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
      clearInterval(drip);
      expect(loris.destroyed).toBe(false);
      expect(n).toBeGreaterThan(0);
      expect(worst).toBeLessThan(2000);
      loris.destroy();
      srv.close();
      srv.closeClients();
    });
  }, 30_000);
});
