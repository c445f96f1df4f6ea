// Every loop closes clean. close() releases what a loop holds at once, not
// when the garbage collector gets to its object: loops of each kind made, run
// (callbacks, a timer, a future; every tenth a server and an echoed
// connection) and closed in a child process leave its open fds where they were
// and its RSS flat. And a loop that is never closed releases what it holds
// when it is garbage collected, warning "unclosed event loop" in debug mode as
// asyncio's ResourceWarning does (a child `node --expose-gc`). TLS connections
// and a running child process at close() are released too: the child killed
// and reaped, their protocols collectable.
//
// EVLOOP_LOOPS_PER_KIND sets the count (default 60; `pnpm stress` runs 1,000,
// where RSS must also stay flat).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNode } from './loop-helpers.js';

const PER_KIND = Number(process.env.EVLOOP_LOOPS_PER_KIND ?? 60);

const KINDS = `
  import { readdirSync, readFileSync } from 'node:fs';
  import { ProactorEventLoop, SelectorEventLoop } from 'evloop';
  const fds = () => readdirSync('/proc/self/fd').length;
  // After a full collection (the children run with --expose-gc): what is left is what is held.
  const rssKb = () => (globalThis.gc?.(), Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]));
  const kinds = {
    epoll: () => new SelectorEventLoop({ selector: 'epoll' }),
    poll: () => new SelectorEventLoop({ selector: 'poll' }),
    select: () => new SelectorEventLoop({ selector: 'select' }),
    proactor: () => new ProactorEventLoop(),
  };
`;

interface Figures {
  fdDelta: number;
  rssWarmKb: number;
  rssEndKb: number;
}

describe('loops close clean', () => {
  it(`${PER_KIND} loops of every kind, run and closed, leave the open fds where they were`, async () => {
    const source = `${KINDS}
      const N = ${PER_KIND};
      const kept = [];
      const out = {};
      class Echo {
        connectionMade(t) { this.t = t; }
        dataReceived(d) { this.t.write(d); }
      }
      for (const [name, make] of Object.entries(kinds)) {
        const before = fds();
        let rssWarmKb = rssKb();
        for (let i = 0; i < N; i++) {
          const loop = make();
          await loop.runUntilComplete(loop.createTask(async () => {
            const f = loop.createFuture();
            loop.callSoon(() => loop.callLater(0, () => f.setResult(1)));
            await f;
            if (i % 10 === 0) {
              const srv = await loop.createServer(() => new Echo(), '127.0.0.1', 0);
              const port = srv.sockets[0].getsockname().port;
              const got = loop.createFuture();
              const [t] = await loop.createConnection(() => ({ dataReceived: () => { if (!got.done()) got.setResult(1); } }), '127.0.0.1', port);
              t.write(new Uint8Array([1]));
              await got;
              t.close();
              srv.close();
              srv.closeClients();
              await srv.waitClosed();
            }
          }));
          loop.close();
          if (i < 20) kept.push(loop); // alive: only close() can have released their fds
          if (i === Math.floor(N / 4)) rssWarmKb = rssKb();
        }
        out[name] = { fdDelta: fds() - before, rssWarmKb, rssEndKb: rssKb() };
      }
      console.log(JSON.stringify(out));
    `;
    const r = await runNode(source, 600_000, ['--expose-gc']);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim()) as Record<string, Figures>;
    expect(Object.keys(out)).toEqual(['epoll', 'poll', 'select', 'proactor']);
    for (const [kind, f] of Object.entries(out)) {
      expect(f.fdDelta, kind).toBe(0);
      // RSS is judged only over a long run (pnpm stress): a short one is all warm-up.
      if (PER_KIND >= 500) {
        const tolerance = Math.max(16 * 1024, f.rssWarmKb * 0.25);
        expect(f.rssEndKb - f.rssWarmKb, `${kind}: RSS growth (KiB) after warm-up`).toBeLessThan(tolerance);
      }
      console.info(`STRESS ${JSON.stringify({ kind, loops: PER_KIND, ...f })}`);
    }
  }, 600_000);

  it('a TLS connection and a running child at close(): fds back at once, the child killed and reaped, their protocols collectable', async () => {
    // Certificates made with openssl, as the TLS suites do.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evloop-close-tls-'));
    const ssl = (...a: string[]) => execFileSync('openssl', a, { cwd: dir, stdio: 'ignore' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=evloop test CA');
    ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    fs.writeFileSync(path.join(dir, 'ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext');
    const source = `${KINDS}
      import { SSLContext } from 'evloop';
      const dir = ${JSON.stringify(dir)};
      const server = new SSLContext('server');
      server.loadCertChain(dir + '/server.pem', dir + '/server.key');
      const client = new SSLContext('client');
      client.loadVerifyLocations({ cafile: dir + '/ca.pem' });
      // The protocols hold their transports, as programs' protocols do.
      class Keep {
        connectionMade(t) { this.t = t; }
      }
      const collected = new Set();
      const registry = new FinalizationRegistry((what) => collected.add(what));
      const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
      // Everything made here is unreachable from JavaScript once it returns.
      async function closeWithOpenConnections(make, name) {
        const loop = make();
        let pid = 0;
        await loop.runUntilComplete(loop.createTask(async () => {
          const made = loop.createFuture();
          const srv = await loop.createServer(() => {
            const p = new Keep();
            registry.register(p, name + ' server protocol');
            p.connectionMade = (t) => { p.t = t; made.setResult(1); };
            return p;
          }, '127.0.0.1', 0, { ssl: server });
          const [t, p] = await loop.createConnection(() => new Keep(), '127.0.0.1', srv.sockets[0].getsockname().port, { ssl: client, serverHostname: 'localhost' });
          registry.register(p, name + ' client protocol');
          await made;
          t.write(new Uint8Array(10));
          const [, child] = await loop.subprocessExec(() => new Keep(), 'sleep', ['30']);
          registry.register(child, name + ' child protocol');
          pid = child.t.getPid();
        }));
        loop.close();
        return pid;
      }
      const out = {};
      for (const [name, make] of Object.entries(kinds)) {
        const before = fds();
        const pid = await closeWithOpenConnections(make, name);
        const fdDelta = fds() - before;
        const childAlive = alive(pid);
        for (let tries = 0; tries < 50 && collected.size < 3 * (Object.keys(out).length + 1); tries++) {
          gc();
          await new Promise((r) => setTimeout(r, 10));
        }
        out[name] = { fdDelta, childAlive, collected: [...collected].filter((w) => w.startsWith(name + ' ')).sort() };
      }
      console.log(JSON.stringify(out));
    `;
    try {
      const r = await runNode(source, 120_000, ['--expose-gc']);
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout.trim()) as Record<string, { fdDelta: number; childAlive: boolean; collected: string[] }>;
      expect(Object.keys(out)).toEqual(['epoll', 'poll', 'select', 'proactor']);
      for (const [kind, f] of Object.entries(out)) {
        expect(f.fdDelta, `${kind}: sockets, pipes, the pidfd and the loop's fds closed by close()`).toBe(0);
        expect(f.childAlive, `${kind}: the child was killed and reaped (no zombie)`).toBe(false);
        expect(f.collected, kind).toEqual([`${kind} child protocol`, `${kind} client protocol`, `${kind} server protocol`]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('an unclosed loop that is garbage collected releases its fds, and warns in debug mode', async () => {
    const source = `${KINDS}
      // Node opens an fd the first time it makes a stdio stream over a pipe; the warnings would
      // be its first use of stderr.
      void process.stderr;
      const out = {};
      for (const [name, make] of Object.entries(kinds)) {
        const before = fds();
        for (let i = 0; i < 20; i++) {
          const loop = make();
          loop.setDebug(i % 2 === 0);
          loop.callSoon(() => loop.stop());
          await loop.runForever();
        }
        const held = fds() - before;
        // Collections until the fds are back (bounded by count): native finalizers run after a turn.
        let tries = 0;
        for (; tries < 50 && fds() !== before; tries++) {
          gc();
          await new Promise((r) => setTimeout(r, 10));
        }
        out[name] = { held, fdDelta: fds() - before };
      }
      console.log(JSON.stringify(out));
    `;
    const r = await runNode(source, 120_000, ['--expose-gc']);
    const out = JSON.parse(r.stdout.trim()) as Record<string, { held: number; fdDelta: number }>;
    for (const [kind, f] of Object.entries(out)) {
      expect(f.held, `${kind}: unclosed loops hold fds until collected`).toBeGreaterThan(0);
      expect(f.fdDelta, `${kind}: fds released by the collection`).toBe(0);
    }
    // One warning per loop collected in debug mode (10 of each kind), none for the others.
    const warnings = r.stderr.split('\n').filter((l) => l.includes('unclosed event loop'));
    expect(warnings).toHaveLength(40);
    expect(warnings[0]).toMatch(/^unclosed event loop <EventLoop selector=\w+ running=false closed=false debug=true>$/);
    expect(r.stderr.replace(/^unclosed event loop .*\n/gm, '')).toBe('');
  }, 120_000);

  it('an unclosed loop in debug mode still at process exit: the process exits 0 and warns on stderr', async () => {
    // The loop is dropped while Node tears its environment down, where no JS may run: the
    // warning goes to stderr (this crashed the process with SIGSEGV once, from the logger).
    const source = `
      import { ProactorEventLoop, SelectorEventLoop } from 'evloop';
      for (const loop of [new SelectorEventLoop({ selector: 'epoll' }), new ProactorEventLoop()]) {
        loop.setDebug(true);
        await loop.runUntilComplete(loop.createTask(async () => {
          const f = loop.createFuture();
          loop.callLater(0.001, () => f.setResult(1));
          await f;
        }));
      }
      console.log('end');
    `;
    const r = await runNode(source);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('end\n');
    expect(r.stderr.split('\n').filter((l) => l.includes('unclosed event loop'))).toHaveLength(2);
  });
});
