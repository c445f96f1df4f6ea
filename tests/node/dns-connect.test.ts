// loop.getaddrinfo / loop.getnameinfo and createConnection's address options
// (localAddr by name, proto, happyEyeballsDelay, interleave, allErrors) on
// every Node loop, against node:dns and node:net peers over loopback.
//
// Two addresses without DNS: getaddrinfo(null, port) gives the loopback
// addresses ::1 and 127.0.0.1, in that order (as node:dns lookup of
// 'localhost' with { all: true } may not: /etc/hosts decides). The "dead"
// address that hangs is a black hole the test makes: a listener on [::1]
// with a backlog of 0, in a child process whose event loop is blocked so it
// never accepts, its queue filled by one connection; later SYNs go
// unanswered.
import { spawn, type ChildProcess } from 'node:child_process';
import dns from 'node:dns';
import { readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { AF_INET, AF_INET6, CancelledError, ConnectionRefusedError, gaierror, OSError, SOCK_STREAM, ValueError, openConnection } from 'evloop';
import { inLoop, LOOPS, makeLoop, Recorder } from './net-helpers.js';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

/**
 * The black hole: the port of a never-accepting [::1] listener whose queue is full, and the
 * fillers. node:net takes a backlog of 0 as "the default", so the listener has a backlog of 1 and
 * the fillers connect until one gets no answer (the queue's size is the kernel's business).
 */
async function blackHole(): Promise<{ port: number; fillers: net.Socket[] }> {
  const source = `
    const s = require('node:net').createServer();
    s.listen({ host: '::1', port: 0, backlog: 1 }, () => {
      process.stdout.write(s.address().port + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // never accepts
    });`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`black-hole child exited with ${code}`)));
  });
  const fillers: net.Socket[] = [];
  for (;;) {
    const filler = net.connect({ host: '::1', port });
    fillers.push(filler);
    const answered = await new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => resolve(false), 500);
      filler.once('connect', () => (clearTimeout(timer), resolve(true))).once('error', reject);
    });
    if (!answered) return { port, fillers };
    expect(fillers.length).toBeLessThan(16);
  }
}

/** A node:net server on 127.0.0.1:`port` that records the peers it accepts. */
async function liveServer(port: number): Promise<{ server: net.Server; peers: net.Socket[] }> {
  const peers: net.Socket[] = [];
  const server = net.createServer((s) => peers.push(s));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return { server, peers };
}

/** A port on which neither loopback address listens. */
async function refusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Sockets this process has open. */
function openSockets(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

describe.each(LOOPS)('loop %s', (kind) => {
  it('getaddrinfo finds what node:dns lookup finds for localhost', async () => {
    const loop = makeLoop(kind);
    const expected = await dns.promises.lookup('localhost', { all: true, verbatim: true });
    await inLoop(loop, async () => {
      const infos = await loop.getaddrinfo('localhost', 80, { type: SOCK_STREAM });
      const got = infos.map(([family, type, proto, canonname, addr]) => {
        expect([type, proto, canonname]).toEqual([SOCK_STREAM, 6, '']);
        expect(family).toBe(addr.family === 'IPv4' ? AF_INET : AF_INET6);
        expect(addr.port).toBe(80);
        return { address: addr.address, family: addr.family === 'IPv4' ? 4 : 6 };
      });
      expect(got).toEqual(expected);
      // A service name resolves too; no host and AI_PASSIVE: every interface.
      const [[, , , , http]] = await loop.getaddrinfo('127.0.0.1', 'http', { type: SOCK_STREAM });
      expect(http).toEqual({ address: '127.0.0.1', port: 80, family: 'IPv4' });
      const passive = await loop.getaddrinfo(null, 0, { family: AF_INET, type: SOCK_STREAM, flags: 1 });
      expect(passive.map((i) => i[4].address)).toEqual(['0.0.0.0']);
    });
    loop.close();
  });

  it('a name that does not resolve rejects with gaierror naming getaddrinfo', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const e = await loop.getaddrinfo('name.invalid', 80).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(gaierror);
      expect(e).toBeInstanceOf(OSError);
      expect(e).toMatchObject({ name: 'gaierror', errno: -2, code: 'ENOTFOUND', syscall: 'getaddrinfo', message: '[Errno -2] Name or service not known' });
      const c = await loop.createConnection(() => new Recorder(), 'name.invalid', 80).catch((x: unknown) => x);
      expect(c).toMatchObject({ name: 'gaierror', syscall: 'getaddrinfo' });
    });
    loop.close();
  });

  it('a cancelled lookup rejects with CancelledError and the loop goes on', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const lookup = loop.getaddrinfo('localhost', 80);
      expect(lookup.cancel()).toBe(true);
      await expect(lookup).rejects.toBeInstanceOf(CancelledError);
      expect((await loop.getaddrinfo('localhost', 80)).length).toBeGreaterThan(0);
    });
    loop.close();
  });

  it('getnameinfo of 127.0.0.1 agrees with node:dns lookupService', async () => {
    const loop = makeLoop(kind);
    const peer = await dns.promises.lookupService('127.0.0.1', 22);
    await inLoop(loop, async () => {
      expect(await loop.getnameinfo(['127.0.0.1', 22])).toEqual([peer.hostname, peer.service]);
      expect(await loop.getnameinfo({ address: '127.0.0.1', port: 8080 }, 1 | 2)).toEqual(['127.0.0.1', '8080']);
      await expect(loop.getnameinfo(['name.invalid', 80])).rejects.toBeInstanceOf(gaierror);
    });
    loop.close();
  });

  it('happy eyeballs: the live address wins over the one that hangs, which is closed', async () => {
    const loop = makeLoop(kind);
    const hole = await blackHole();
    const live = await liveServer(hole.port);
    await inLoop(loop, async () => {
      const before = openSockets();
      const [t] = await loop.createConnection(() => new Recorder(), null, hole.port, { happyEyeballsDelay: 0.05 });
      expect(t.getExtraInfo('peername')).toEqual({ address: '127.0.0.1', port: hole.port, family: 'IPv4' });
      await new Promise((r) => setTimeout(r, 20));
      expect(live.peers).toHaveLength(1);
      // Open: the winner and node:net's accepted end; the attempt on ::1 is closed.
      expect(openSockets()).toBe(before + 2);
      t.close();
    });
    for (const f of hole.fillers) f.destroy();
    live.server.close();
    for (const p of live.peers) p.destroy();
    loop.close();
  });

  it('allErrors rejects with an AggregateError of the OSErrors, in attempt order', async () => {
    const loop = makeLoop(kind);
    const port = await refusedPort();
    await inLoop(loop, async () => {
      const e = await loop.createConnection(() => new Recorder(), null, port, { allErrors: true }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AggregateError);
      const errors = (e as AggregateError).errors as Error[];
      expect(errors.map((x) => x.message)).toEqual([
        `[Errno 111] Connect call failed ('::1', ${port}, 0, 0)`,
        `[Errno 111] Connect call failed ('127.0.0.1', ${port})`,
      ]);
      for (const x of errors) expect(x).toBeInstanceOf(ConnectionRefusedError);
      expect((e as Error).message).toBe('create_connection failed (2 sub-exceptions)');
      // Without it: asyncio's one OSError for different messages.
      const one = await loop.createConnection(() => new Recorder(), null, port).catch((x: unknown) => x);
      expect(one).toBeInstanceOf(OSError);
      expect((one as Error).message).toBe(`Multiple exceptions: ${errors[0].message}, ${errors[1].message}`);
      // The stream form takes the same options.
      await expect(openConnection(null, port, { allErrors: true, happyEyeballsDelay: 0.01, interleave: 2 })).rejects.toBeInstanceOf(AggregateError);
    });
    loop.close();
  });

  it('interleave keeps one address per family in turn (the attempts follow the resolved order)', async () => {
    const loop = makeLoop(kind);
    const port = await refusedPort();
    await inLoop(loop, async () => {
      const order = (await loop.getaddrinfo(null, port, { type: SOCK_STREAM })).map((i) => i[4].address);
      for (const interleave of [1, 2, 0]) {
        const e = (await loop.createConnection(() => new Recorder(), null, port, { allErrors: true, interleave }).catch((x: unknown) => x)) as AggregateError;
        expect((e.errors as Error[]).map((x) => /\('([^']+)'/.exec(x.message)![1])).toEqual(order);
      }
    });
    loop.close();
  });

  it('localAddr by name binds before connecting; a family without a local address is refused', async () => {
    const loop = makeLoop(kind);
    const live = await liveServer(0);
    const port = (live.server.address() as net.AddressInfo).port;
    await inLoop(loop, async () => {
      const [t] = await loop.createConnection(() => new Recorder(), '127.0.0.1', port, { localAddr: ['localhost', 0] });
      expect(t.getExtraInfo('sockname')).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
      t.close();
      const e = await loop.createConnection(() => new Recorder(), '::1', port, { localAddr: { address: '127.0.0.1', port: 0 } }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(OSError);
      expect((e as Error).message).toBe('no matching local address with family=<AddressFamily.AF_INET6: 10> found');
    });
    live.server.close();
    for (const p of live.peers) p.destroy();
    loop.close();
  });

  it('bad arguments are named by call and argument', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const f = (): Recorder => new Recorder();
      await expect(loop.getaddrinfo(42 as unknown as string, 80)).rejects.toThrow(new TypeError('getaddrinfo(): host must be a string or null, got number'));
      await expect(loop.getaddrinfo('localhost', 70000)).rejects.toThrow(RangeError);
      await expect(loop.getaddrinfo('localhost', 80, { kind: 1 } as never)).rejects.toThrow("getaddrinfo(): unknown option 'kind'");
      await expect(loop.getaddrinfo('local\0host', 80)).rejects.toThrow(ValueError);
      await expect(loop.getnameinfo('127.0.0.1' as never)).rejects.toThrow(/^getnameinfo\(\): sockaddr must be/);
      await expect(loop.getnameinfo(['127.0.0.1', 80], 1.5)).rejects.toThrow(RangeError);
      await expect(loop.createConnection(f, '127.0.0.1', 1, { happyEyeballsDelay: -1 })).rejects.toThrow(
        'createConnection(): happyEyeballsDelay must be a non-negative number of seconds, got -1',
      );
      await expect(loop.createConnection(f, '127.0.0.1', 1, { interleave: -1 })).rejects.toThrow(RangeError);
      await expect(loop.createConnection(f, '127.0.0.1', 1, { allErrors: 1 as never })).rejects.toThrow('createConnection(): allErrors must be a boolean, got number');
      await expect(loop.createConnection(f, '127.0.0.1', 1, { localAddr: ['127.0.0.1'] as never })).rejects.toThrow("createConnection(): localAddr must be [host, port], got an array of 1");
      await expect(loop.createConnection(f, '127.0.0.1', 1, { proto: 'tcp' as never })).rejects.toThrow('createConnection(): proto must be an integer, got');
    });
    loop.close();
  });
});
