// Server object cases of the reference (§8.2, S-), black-box over loopback
// with node:net clients, on every selector. The white-box cases (S-26's
// per-iteration count, S-27 EMFILE injection, S-28 close between accept
// and attach) are covered by the core's Rust tests (crates/evloop/tests).
import { describe, expect, it } from 'vitest';
import {
  AF_INET,
  CancelledError,
  IPPROTO_TCP,
  RuntimeError,
  SO_REUSEADDR,
  SOCK_STREAM,
  SOL_SOCKET,
  TransportSocket,
  ValueError,
} from 'evloop';
import {
  closed,
  connect,
  inLoop,
  iterations,
  makeLoop,
  portOf,
  recorders,
  LOOPS,
  until,
  Recorder,
} from './net-helpers.js';

/** Settles-state of a promise, without awaiting it. */
function track<T>(p: Promise<T>): { done: boolean; value?: T; error?: unknown } {
  const s: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (v) => Object.assign(s, { done: true, value: v }),
    (e) => Object.assign(s, { done: true, error: e }),
  );
  return s;
}

describe.each(LOOPS)('loop %s', (selector) => {
  it('S-02: TransportSocket is a safe view', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      const s = srv.sockets[0];
      expect(s).toBeInstanceOf(TransportSocket);
      s.settimeout(0);
      s.setblocking(false);
      expect(() => s.settimeout(1)).toThrow(ValueError);
      expect(() => s.settimeout(1)).toThrow('settimeout(): only 0 timeout is allowed on transport sockets');
      expect(() => s.settimeout(null)).toThrow(ValueError);
      expect(() => s.setblocking(true)).toThrow('setblocking(): transport sockets cannot be blocking');
      expect(s.gettimeout()).toBe(0);
      for (const member of ['close', 'accept', 'send', 'recv', 'read', 'write', 'listen', 'bind', 'connect', 'detach']) {
        expect(member in s, member).toBe(false);
      }
      expect(s.getsockopt(SOL_SOCKET, SO_REUSEADDR)).toBe(1);
      expect(s.family).toBe(AF_INET);
      expect(s.type).toBe(SOCK_STREAM);
      expect(s.proto).toBe(IPPROTO_TCP);
      const addr = s.getsockname();
      expect(addr).toEqual({ address: '127.0.0.1', port: expect.any(Number), family: 'IPv4' });
      expect(s.fileno()).toBeGreaterThan(2);
      expect(() => s.getpeername()).toThrow(expect.objectContaining({ name: 'OSError', code: 'ENOTCONN', syscall: 'getpeername' }));
      expect(String(s)).toMatch(/^<asyncio\.TransportSocket fd=\d+, family=2, type=1, proto=6, laddr=\('127\.0\.0\.1', \d+\)>$/);
      srv.close();
      expect(s.fileno()).toBe(-1);
    });
  });

  it('S-02: sockets is a new array of new views on every read, empty once closed', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      const a = srv.sockets;
      const b = srv.sockets;
      expect(a).not.toBe(b);
      expect(a[0]).not.toBe(b[0]);
      expect(a[0].fileno()).toBe(b[0].fileno());
      srv.close();
      expect(srv.sockets).toEqual([]);
    });
  });

  it('S-04: close() is idempotent', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      const port = portOf(srv);
      srv.close();
      srv.close();
      expect(srv.isServing()).toBe(false);
      expect(srv.sockets).toEqual([]);
      await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await srv.waitClosed();
    });
  });

  it('S-06: startServing() after close() throws RuntimeError and opens nothing', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), '127.0.0.1', 0, { startServing: false });
      srv.close();
      const err = await srv.startServing().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeError);
      expect((err as Error).message).toBe('server <Server sockets=()> is closed');
      expect(srv.sockets).toEqual([]);
      expect(srv.isServing()).toBe(false);
    });
  });

  it('S-07: a second serveForever() while one waits is a RuntimeError', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      const first = srv.serveForever();
      const err = await srv.serveForever().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeError);
      expect((err as Error).message).toMatch(/is already being awaited on serve_forever\(\)/);
      first.cancel();
      await expect(first).rejects.toBeInstanceOf(CancelledError);
    });
  });

  it('S-08: serveForever() after close() rejects with "is closed"', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      srv.close();
      await expect(srv.serveForever()).rejects.toThrow(/is closed/);
      await expect(srv.serveForever()).rejects.toBeInstanceOf(RuntimeError);
    });
  });

  it('S-09: cancelling serveForever() closes the server and rejects with CancelledError', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), '127.0.0.1', 0, { startServing: false });
      expect(srv.isServing()).toBe(false);
      const forever = srv.serveForever();
      expect(srv.isServing()).toBe(true);
      await iterations(1);
      expect(forever.cancel()).toBe(true);
      await expect(forever).rejects.toBeInstanceOf(CancelledError);
      expect(srv.sockets).toEqual([]);
      expect(srv.isServing()).toBe(false);
      await expect(srv.serveForever()).rejects.toThrow(/is closed/);
      expect(forever.cancel()).toBe(false);
    });
  });

  it('S-09: serveForever({ signal }) is cancelled by an AbortSignal', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      const ac = new AbortController();
      const forever = srv.serveForever({ signal: ac.signal });
      ac.abort();
      await expect(forever).rejects.toBeInstanceOf(CancelledError);
      expect(srv.isServing()).toBe(false);
    });
  });

  it('S-10: close() during serveForever() rejects it with CancelledError', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      const forever = srv.serveForever();
      loop.callSoon(() => srv.close());
      await expect(forever).rejects.toBeInstanceOf(CancelledError);
    });
  });

  it('S-10: an unawaited serveForever() ended by close() is no unhandled rejection', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      void srv.serveForever();
      srv.close();
      await srv.waitClosed();
      await iterations(2);
    });
  });

  it('S-11: serveForever() starts a server created with startServing: false', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0, { startServing: false });
      const port = portOf(srv);
      await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      const forever = srv.serveForever();
      await iterations(1);
      expect(srv.isServing()).toBe(true);
      const c = await connect(port);
      await until('accepted', () => made.length === 1 && made[0].count('made') === 1);
      c.destroy();
      forever.cancel();
      await expect(forever).rejects.toBeInstanceOf(CancelledError);
    });
  });

  it('S-12: [Symbol.asyncDispose] closes and waits for the clients', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      await until('accepted', () => made.length === 1 && made[0].count('made') === 1);
      const disposed = track(srv[Symbol.asyncDispose]());
      await iterations(3);
      expect(srv.sockets).toEqual([]);
      expect(srv.isServing()).toBe(false);
      expect(disposed.done).toBe(false);
      c.destroy();
      await until('disposed', () => disposed.done);
      expect(disposed.error).toBeUndefined();
    });
  });

  it('S-15: waitClosed() after close() with a client waits for it', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const early = track(srv.waitClosed());
      const c = await connect(portOf(srv));
      await until('accepted', () => made.length === 1 && made[0].count('made') === 1);
      srv.close();
      const late = track(srv.waitClosed());
      await iterations(3);
      expect(early.done).toBe(false);
      expect(late.done).toBe(false);
      c.end();
      await until('drained', () => early.done && late.done);
      expect(made[0].lost).toBe(true);
    });
  });

  it('S-16: a drained server resolves waitClosed() at once, any number of times', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      srv.close();
      await srv.waitClosed();
      const a = track(srv.waitClosed());
      const b = track(srv.waitClosed());
      await iterations(1);
      expect(a.done && b.done).toBe(true);
    });
  });

  it('S-17: close and client close scheduled together: waitClosed() completes', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const early = track(srv.waitClosed());
      const [clientTransport] = await loop.createConnection(() => new Recorder(), '127.0.0.1', portOf(srv));
      await until('accepted', () => made.length === 1 && made[0].count('made') === 1);
      loop.callSoon(() => srv.close());
      loop.callSoon(() => clientTransport.close());
      const started = Date.now();
      await srv.waitClosed();
      expect(Date.now() - started).toBeLessThan(2000);
      await until('early waiter', () => early.done);
    });
  });

  it('S-19: close(); abortClients() ends a client with a full write buffer at once', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      c.pause(); // the client does not read
      let received = 0;
      c.on('data', (d: Buffer) => {
        received += d.length;
      });
      await until('accepted', () => made.length === 1 && made[0].transport !== null);
      const t = made[0].transport!;
      const total = 32 * 1024 * 1024;
      t.write(Buffer.alloc(total, 1));
      expect(t.getWriteBufferSize()).toBeGreaterThan(0);
      srv.close();
      srv.abortClients();
      const waited = track(srv.waitClosed());
      await iterations(3);
      expect(waited.done).toBe(true);
      expect(made[0].lostWith).toBeNull();
      c.resume();
      await closed(c);
      expect(received).toBeLessThan(total);
    });
  });

  it('closeClients(): current clients closed gracefully, the server keeps serving', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      const ended = new Promise<void>((resolve) => c.on('end', () => resolve()));
      c.resume();
      await until('accepted', () => made.length === 1 && made[0].transport !== null);
      made[0].transport!.write(Buffer.from('bye'));
      srv.closeClients();
      await ended;
      await until('lost', () => made[0].lost);
      expect(srv.isServing()).toBe(true);
      const c2 = await connect(portOf(srv));
      await until('second client', () => made.length === 2);
      c2.destroy();
      c.destroy();
      srv.close();
      await srv.waitClosed();
    });
  });

  it('S-21: a cancelled serveForever() waits for an idle client, then ends cancelled', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const forever = srv.serveForever();
      const state = track(forever);
      const c = await connect(portOf(srv));
      await until('accepted', () => made.length === 1 && made[0].count('made') === 1);
      forever.cancel();
      await iterations(5);
      expect(state.done).toBe(false);
      expect(srv.isServing()).toBe(false);
      c.destroy();
      await until('cancelled', () => state.done);
      expect(state.error).toBeInstanceOf(CancelledError);
    });
  });

  it('S-22: getLoop() is the loop that created the server', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      expect(srv.getLoop()).toBe(loop);
      srv.close();
    });
  });

  it('S-23: isServing() transitions', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const a = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      expect(a.isServing()).toBe(true);
      const b = await loop.createServer(() => new Recorder(), '127.0.0.1', 0, { startServing: false });
      expect(b.isServing()).toBe(false);
      await b.startServing();
      expect(b.isServing()).toBe(true);
      await b.startServing(); // idempotent
      a.close();
      b.close();
      expect(a.isServing()).toBe(false);
      expect(b.isServing()).toBe(false);
    });
  });

  it('S-25: createServer resolves ready to serve', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      expect(srv.isServing()).toBe(true);
      const port = portOf(srv);
      expect(port).toBeGreaterThan(0);
      const c = await connect(port);
      await until('accepted', () => made.length === 1 && made[0].count('made') === 1);
      c.destroy();
      srv.close();
    });
  });

  it('S-26: with backlog 2, three waiting clients are all accepted', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0, { backlog: 2 });
      const clients = await Promise.all([0, 1, 2].map(() => connect(portOf(srv))));
      await until('three accepted', () => made.filter((r) => r.count('made') === 1).length === 3);
      for (const c of clients) c.destroy();
      srv.close();
      await srv.waitClosed();
    });
  });

  it('methods may be called before the loop runs', async () => {
    const loop = makeLoop(selector);
    const created = loop.createServer(() => new Recorder(), '127.0.0.1', 0);
    let settled = false;
    void created.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    const srv = await loop.runUntilComplete(created);
    expect(srv.isServing()).toBe(true);
    const waited = srv.waitClosed();
    srv.close();
    await loop.runUntilComplete(waited);
  });
});
