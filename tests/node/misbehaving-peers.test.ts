// Misbehaving peers on every loop kind (docs/reliability.md). An evloop echo
// server in a child process (fixtures/peer-server.mjs), and beside its
// well-behaved clients: clients that reset mid-transfer, half-closed
// clients, idle half-open ones, a client process stopped with SIGSTOP while
// the server floods it (a zero window) and then closed with abortClients,
// and a client process killed mid-connection. Then fd exhaustion under load:
// the server's RLIMIT_NOFILE lowered while more clients connect than it has
// fds for. Checked: every well-behaved client gets all of its echoes,
// connectionLost runs exactly once per connection and nothing after it, and
// the server's open fds are back where they were once it closed.
//
// EVLOOP_PEERS_SCALE multiplies the client counts (default 1; `pnpm stress` 10).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOOPS, type LoopKind } from './loop-helpers.js';

const SCALE = Number(process.env.EVLOOP_PEERS_SCALE ?? 1);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
/** A client count, scaled. */
const n = (k: number): number => k * SCALE;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ServerStats {
  made: number;
  lost: number;
  lostWithError: Record<string, number>;
  pauses: number;
  violations: string[];
  emfileReports: number;
  otherReports: string[];
  open: number;
  fds?: number;
  fdDelta?: number;
}

/** A child process with its stdout as lines. */
function child(args: string[]) {
  const proc = spawn(process.execPath, args, { cwd: repoRoot }) as ChildProcessWithoutNullStreams;
  const lines: string[] = [];
  let stderr = '';
  readline.createInterface({ input: proc.stdout }).on('line', (l) => lines.push(l));
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  /** Waits for a line matching `re` (polls; a hang is bounded by the test's timeout). */
  async function line(re: RegExp): Promise<RegExpExecArray> {
    for (let seen = 0; ; ) {
      for (; seen < lines.length; seen++) {
        const m = re.exec(lines[seen]);
        if (m !== null) return m;
      }
      if (proc.exitCode !== null) throw new Error(`${args.join(' ')} exited ${proc.exitCode}: ${stderr}`);
      await sleep(5);
    }
  }
  return { proc, lines, line, stderr: () => stderr };
}

async function startServer(kind: LoopKind, headroom?: number) {
  const server = child([fixture('peer-server.mjs'), kind === 'default' ? 'epoll' : kind, ...(headroom === undefined ? [] : [String(headroom)])]);
  const port = Number((await server.line(/^PORT (\d+)/))[1]);
  let asked = 0;
  const stats = async (): Promise<ServerStats> => {
    server.proc.stdin.write('stats\n');
    asked += 1;
    const mine = asked;
    // The n-th STATS line answers the n-th question.
    for (;;) {
      const all = server.lines.filter((l) => l.startsWith('STATS '));
      if (all.length >= mine) return JSON.parse(all[mine - 1].slice(6)) as ServerStats;
      await sleep(5);
    }
  };
  const abort = async (): Promise<ServerStats> => {
    server.proc.stdin.write('abort\n');
    const m = await server.line(/^DONE (.*)$/);
    return JSON.parse(m[1]) as ServerStats;
  };
  return { server, port, stats, abort };
}

/** Polls the server's stats until `cond` holds (a hang is bounded by the test's timeout). */
async function statsUntil(stats: () => Promise<ServerStats>, cond: (s: ServerStats) => boolean): Promise<ServerStats> {
  for (;;) {
    const s = await stats();
    if (cond(s)) return s;
    await sleep(20);
  }
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** A well-behaved client: `lines` lines of 1 KiB, every echo back, then EOF and the server's BYE. */
async function goodClient(port: number, lines = 20): Promise<boolean> {
  const s = await connect(port);
  const line = `${'g'.repeat(1023)}\n`;
  const expected = line.repeat(lines) + 'BYE\n';
  let got = '';
  const done = new Promise<boolean>((resolve) => {
    s.on('data', (d: Buffer) => {
      got += d.toString();
    });
    s.on('error', () => resolve(false));
    s.on('close', () => resolve(got === expected));
  });
  for (let i = 0; i < lines; i++) s.write(line);
  // Half-close once every echo is back: the server answers EOF with BYE and closes.
  while (got.length < line.length * lines && !s.destroyed) await sleep(2);
  s.end();
  return done;
}

/** Writes 256 KiB without reading, then resets the connection (SO_LINGER 0). */
async function resetter(port: number): Promise<void> {
  const s = await connect(port);
  s.on('error', () => {});
  s.pause();
  s.write(Buffer.alloc(256 * 1024, 0x72));
  await sleep(5);
  s.resetAndDestroy();
}

/** Sends half a request and half-closes: gets the half back, then BYE, then EOF. */
async function halfClosed(port: number): Promise<boolean> {
  const s = await connect(port);
  let got = '';
  const done = new Promise<boolean>((resolve) => {
    s.on('data', (d: Buffer) => {
      got += d.toString();
    });
    s.on('error', () => resolve(false));
    s.on('close', () => resolve(got === 'GET /half-a-requBYE\n'));
  });
  s.end('GET /half-a-requ');
  return done;
}

for (const kind of LOOPS.filter((k) => k !== 'default')) {
  describe(`misbehaving peers on ${kind}`, () => {
    it('resets, half-closed and half-open peers, a stopped and a killed client process: good clients get everything', async () => {
      const { server, port, stats, abort } = await startServer(kind);
      const idle: net.Socket[] = [];
      for (let i = 0; i < n(5); i++) {
        const s = await connect(port);
        s.on('error', () => {});
        idle.push(s); // half-open: never sends, never closes
      }
      const stopped = child([fixture('peer-client.mjs'), String(port), String(n(3)), 'firehose']);
      const killed = child([fixture('peer-client.mjs'), String(port), String(n(3)), 'partial']);
      await Promise.all([stopped.line(/^READY/), killed.line(/^READY/)]);
      // Every flooded connection paused the server's writer: the client's window is full.
      await statsUntil(stats, (s) => s.pauses >= n(3));
      stopped.proc.kill('SIGSTOP');
      killed.proc.kill('SIGKILL');
      const [good, halves] = await Promise.all([
        Promise.all(Array.from({ length: n(10) }, () => goodClient(port))),
        Promise.all(Array.from({ length: n(5) }, () => halfClosed(port))),
        Promise.all(Array.from({ length: n(10) }, () => resetter(port))),
      ]);
      expect(good.filter((ok) => !ok)).toHaveLength(0);
      expect(halves.filter((ok) => !ok)).toHaveLength(0);
      // Everything but the idle and the stopped connections is lost by now.
      const total = n(5) + n(3) + n(3) + n(10) + n(5) + n(10);
      const before = await statsUntil(stats, (s) => s.made === total && s.lost === total - n(5) - n(3));
      expect(before.violations).toEqual([]);
      // Closing with abortClients while a client is stopped (its window zero) and others idle.
      const done = await abort();
      const idleClosed = await Promise.all(idle.map((s) => new Promise<boolean>((r) => (s.destroyed ? r(true) : s.on('close', () => r(true))))));
      stopped.proc.kill('SIGKILL');
      expect(idleClosed.every(Boolean)).toBe(true);
      expect(done.violations).toEqual([]);
      expect(done.made).toBe(total);
      expect(done.lost).toBe(total); // exactly once each: a second one is a violation
      expect(done.open).toBe(0);
      expect(done.fdDelta).toBe(0);
      expect(done.otherReports).toEqual([]);
      expect(server.stderr()).not.toMatch(/panicked|Aborted|FATAL/);
      console.info(`STRESS ${JSON.stringify({ kind, scenario: 'peers', connections: total, lostWithError: done.lostWithError, pauses: done.pauses })}`);
    }, 120_000);

    it('fd exhaustion under load: more clients than fds, every one served once fds free up', async () => {
      const { server, port, abort } = await startServer(kind, 12);
      const count = n(40);
      const good = await Promise.all(Array.from({ length: count }, () => goodClient(port, 3)));
      expect(good.filter((ok) => !ok)).toHaveLength(0);
      const done = await abort();
      expect(done.emfileReports).toBeGreaterThan(0);
      expect(done.violations).toEqual([]);
      expect(done.made).toBe(count);
      expect(done.lost).toBe(count);
      expect(done.fdDelta).toBe(0);
      expect(server.stderr()).not.toMatch(/panicked|Aborted|FATAL/);
      console.info(`STRESS ${JSON.stringify({ kind, scenario: 'fd exhaustion', clients: count, emfileReports: done.emfileReports })}`);
    }, 120_000);
  });
}
