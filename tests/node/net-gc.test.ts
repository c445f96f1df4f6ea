// Protocols and transports are released once connectionLost ran: the core
// forgets the protocol then, which breaks the protocol <-> transport cycle
// that runs through native code (invisible to the garbage collector). Shown
// with a FinalizationRegistry in a child `node --expose-gc`, while the loop
// is still open (so it is not the loop's close that frees them). Misbehaving
// clients as the soak's (a reset with 256 KiB unread, half a line and gone)
// leave nothing behind either.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOOPS } from './net-helpers.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function runGcChild(source: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', source],
      { cwd: repoRoot, timeout: 60_000, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
}

const program = (selector: string) => `
import net from 'node:net';
import { ProactorEventLoop, SelectorEventLoop } from 'evloop';

const SERVER_CONNECTIONS = 200;
const MISBEHAVING = 40;
const CLIENT_CONNECTIONS = 50;
const loop = ${selector === 'proactor' ? 'new ProactorEventLoop()' : `new SelectorEventLoop({ selector: ${JSON.stringify(selector)} })`};
loop.setExceptionHandler(() => {}); // every 10th protocol throws on purpose
const counts = { protocols: 0, transports: 0, made: 0, lost: 0, lostWithError: 0 };
const registry = new FinalizationRegistry((kind) => { counts[kind] += 1; });
let serial = 0;

class Echo {
  constructor() {
    this.n = serial++;
    this.ballast = new Uint8Array(64 * 1024); // makes a leak visible in memory too
    registry.register(this, 'protocols');
    counts.made += 1;
  }
  connectionMade(t) {
    this.transport = t; // the usual cycle: protocol -> transport -> (native) -> protocol
    registry.register(t, 'transports');
  }
  dataReceived(data) {
    if (this.n % 10 === 0) throw new Error('on purpose, from ' + this.n, { cause: this });
    this.transport.write(data);
  }
  connectionLost(exc) {
    counts.lost += 1;
    if (exc) counts.lostWithError += 1;
  }
}

await loop.runUntilComplete(loop.createTask(async () => {
  const srv = await loop.createServer(() => new Echo(), '127.0.0.1', 0);
  const port = srv.sockets[0].getsockname().port;
  for (let batch = 0; batch < SERVER_CONNECTIONS / 20; batch++) {
    await Promise.all(Array.from({ length: 20 }, () => new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => c.end('ping'));
      c.on('data', () => {});
      c.on('error', () => {});
      c.on('close', resolve);
    })));
  }
  for (let i = 0; i < MISBEHAVING; i++) {
    await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        if (i % 2 === 0) {
          c.pause(); // never reads its echo: the server's writes back up
          c.write(Buffer.alloc(256 * 1024, 0x72));
          setTimeout(() => c.resetAndDestroy(), 20);
        } else {
          c.write('GET /half');
          setTimeout(() => c.destroy(), 20);
        }
      });
      c.on('error', () => {});
      c.on('close', resolve);
    });
  }
  for (let i = 0; i < CLIENT_CONNECTIONS; i++) {
    const [t] = await loop.createConnection(() => new Echo(), '127.0.0.1', port);
    t.write(Buffer.from('x'));
    t.close();
  }
  const expected = SERVER_CONNECTIONS + MISBEHAVING + 2 * CLIENT_CONNECTIONS;
  while (counts.lost < expected) await new Promise((r) => setTimeout(r, 5));
  srv.close();
  await srv.waitClosed();
}));

for (let i = 0; i < 50 && counts.protocols < counts.made; i++) {
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 10));
}
console.log(JSON.stringify({ ...counts, loopClosed: loop.isClosed() }));
loop.close();
`;

describe.each(LOOPS)('loop %s', (selector) => {
  it('protocols and transports are collected after connectionLost', async () => {
    const r = await runGcChild(program(selector));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out.made).toBe(340);
    expect(out.lost).toBe(340);
    expect(out.loopClosed).toBe(false);
    expect(out.lostWithError).toBeGreaterThan(0); // the resets reached the server as resets
    // Every protocol and transport wrapper is collectable; allow a few to
    // survive in registers/handles of the last iterations.
    expect(out.protocols).toBeGreaterThanOrEqual(335);
    expect(out.transports).toBeGreaterThanOrEqual(335);
  }, 60_000);
});
