// createServer / createUnixServer / createConnection cases of the reference
// (§8.3, C-), black-box over loopback, on every selector; plus the errors'
// shapes (class, code, errno, syscall, asyncio's text) and argument checks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  ConnectionRefusedError,
  FileNotFoundError,
  gaierror,
  OSError,
  RuntimeError,
  SO_KEEPALIVE,
  SOL_SOCKET,
  ValueError,
} from 'evloop';
import { connect, connectUnix, inLoop, makeLoop, portOf, recorders, runNode, LOOPS, until, Recorder } from './net-helpers.js';

function tmpPath(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'evloop-net-')), name);
}

describe.each(LOOPS)('loop %s', (selector) => {
  it('C-01: host/port and sock together are a ValueError', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const other = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      const sock = other.sockets[0].fileno();
      const msg = 'host/port and sock can not be specified at the same time';
      await expect(loop.createServer(() => new Recorder(), '127.0.0.1', 0, { sock })).rejects.toThrow(msg);
      await expect(loop.createServer(() => new Recorder(), undefined, 0, { sock })).rejects.toThrow(ValueError);
      expect(other.sockets[0].fileno()).toBe(sock); // not taken over
      other.close();
    });
  });

  it('C-02: neither host/port nor sock is a ValueError', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const msg = 'Neither host/port nor sock were specified';
      await expect(loop.createServer(() => new Recorder())).rejects.toThrow(msg);
      await expect(loop.createServer(() => new Recorder(), null, null, { family: AF_INET })).rejects.toThrow(ValueError);
    });
  });

  it('C-04: ssl true/false is a TypeError', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      for (const ssl of [true, false]) {
        const err = await loop.createServer(() => new Recorder(), '127.0.0.1', 0, { ssl }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TypeError);
        expect((err as Error).message).toBe('ssl argument must be an SSLContext or None');
      }
      // Anything but an SSLContext is refused too.
      await expect(loop.createServer(() => new Recorder(), '127.0.0.1', 0, { ssl: {} as never })).rejects.toThrow(
        new TypeError('ssl argument must be an SSLContext or None'),
      );
      // A connection's `ssl: true` is asyncio's default context (tls-interop.test.ts).
      await expect(loop.createConnection(() => new Recorder(), '127.0.0.1', 1, { ssl: {} as never })).rejects.toThrow(TypeError);
    });
  });

  it('C-05: ssl timeouts without ssl are a ValueError', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      await expect(loop.createServer(() => new Recorder(), '127.0.0.1', 0, { sslHandshakeTimeout: 1 })).rejects.toThrow(
        'ssl_handshake_timeout is only meaningful with ssl',
      );
      await expect(loop.createServer(() => new Recorder(), '127.0.0.1', 0, { sslShutdownTimeout: 1 })).rejects.toThrow(
        'ssl_shutdown_timeout is only meaningful with ssl',
      );
      await expect(loop.createUnixServer(() => new Recorder(), tmpPath('s'), { sslHandshakeTimeout: 1 })).rejects.toThrow(ValueError);
    });
  });

  it('C-08: duplicate hosts bind once', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), ['127.0.0.1', '127.0.0.1'], 0);
      expect(srv.sockets).toHaveLength(1);
      srv.close();
    });
  });

  it('C-09: two hosts with port 0 get two sockets with their own ports', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Recorder(), ['127.0.0.1', '127.0.0.2'], 0);
      const addrs = srv.sockets.map((s) => s.getsockname() as { address: string; port: number });
      expect(addrs.map((a) => a.address).sort()).toEqual(['127.0.0.1', '127.0.0.2']);
      expect(addrs[0].port).not.toBe(addrs[1].port);
      srv.close();
      let v6;
      try {
        v6 = await loop.createServer(() => new Recorder(), '::1', 0);
      } catch (e) {
        expect(e).toBeInstanceOf(OSError); // no IPv6 loopback here
        return;
      }
      expect(v6.sockets.length).toBeGreaterThanOrEqual(1);
      expect(v6.sockets[0].family).toBe(AF_INET6);
      expect(v6.sockets[0].getsockname()).toMatchObject({ address: '::1', family: 'IPv6' });
      v6.close();
    });
  });

  it('C-10: port 0, or no port with a host, picks an ephemeral port', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const a = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      const b = await loop.createServer(() => new Recorder(), '127.0.0.1', null);
      const c = await loop.createServer(() => new Recorder(), '127.0.0.1');
      for (const s of [a, b, c]) {
        expect(portOf(s)).toBeGreaterThan(0);
        s.close();
      }
    });
  });

  it('C-11: out-of-range, fractional or non-number ports are rejected before binding', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      for (const port of [70000, -1, 1.5, Number.NaN, Infinity]) {
        const err = await loop.createServer(() => new Recorder(), '127.0.0.1', port).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RangeError);
        expect((err as Error).message).toMatch(/^createServer\(\): port must be an integer in 0\.\.65535/);
      }
      const err = await loop.createServer(() => new Recorder(), '127.0.0.1', '80' as unknown as number).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toMatch(/port/);
      await expect(loop.createConnection(() => new Recorder(), '127.0.0.1', 65536)).rejects.toThrow(RangeError);
    });
  });

  it('C-12: a host that does not resolve is a gaierror with a code', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      for (const host of ['no.such.host.invalid', '256.1.1.1']) {
        const err = (await loop.createServer(() => new Recorder(), host, 0).catch((e: unknown) => e)) as gaierror;
        expect(err).toBeInstanceOf(gaierror);
        expect(err).toBeInstanceOf(OSError);
        expect(err.name).toBe('gaierror');
        expect(err.code).toMatch(/^(ENOTFOUND|EAI_[A-Z]+)$/);
        expect(err.errno).toBeLessThan(0);
        expect(err.syscall).toBe('getaddrinfo');
        expect(err.message).toMatch(/^\[Errno -\d+\] /);
      }
      const err = await loop.createConnection(() => new Recorder(), 'no.such.host.invalid', 80).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(gaierror);
    });
  });

  it('C-13: a non-local address binds nothing', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const err = (await loop.createServer(() => new Recorder(), '192.0.2.1', 0).catch((e: unknown) => e)) as OSError;
      expect(err).toBeInstanceOf(OSError);
      expect(err.message).toBe("could not bind on any address out of [('192.0.2.1', 0)]");
      // asyncio's error has no errno here; evloop keeps the reason (docs/net.md).
      expect(err.code).toBe('EADDRNOTAVAIL');
    });
  });

  it('C-14: host [] is an OSError', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      await expect(loop.createServer(() => new Recorder(), [], 0)).rejects.toThrow('could not bind on any address out of []');
    });
  });

  it('C-15: an IPv4 literal with family AF_INET6 is a resolution error', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const err = (await loop.createServer(() => new Recorder(), '127.0.0.1', 0, { family: AF_INET6 }).catch((e: unknown) => e)) as gaierror;
      expect(err).toBeInstanceOf(gaierror);
      expect(err.message).toMatch(/Address family for hostname not supported|Name or service not known/);
    });
  });

  it('C-17: keepAlive sets SO_KEEPALIVE on the listening sockets', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const on = await loop.createServer(() => new Recorder(), '127.0.0.1', 0, { keepAlive: true });
      const off = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      expect(on.sockets[0].getsockopt(SOL_SOCKET, SO_KEEPALIVE)).toBe(1);
      expect(off.sockets[0].getsockopt(SOL_SOCKET, SO_KEEPALIVE)).toBe(0);
      on.close();
      off.close();
    });
  });

  it('C-19: backlog 0 is accepted and the server still accepts', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0, { backlog: 0 });
      const c = await connect(portOf(srv));
      await until('accepted', () => made.length === 1);
      c.destroy();
      srv.close();
    });
  });

  it('EADDRINUSE: the bind error has asyncio\'s text and the OS details', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const a = await loop.createServer(() => new Recorder(), '127.0.0.1', 0);
      const port = portOf(a);
      const err = (await loop.createServer(() => new Recorder(), '127.0.0.1', port).catch((e: unknown) => e)) as OSError;
      expect(err).toBeInstanceOf(OSError);
      expect(err.name).toBe('OSError');
      expect(err.code).toBe('EADDRINUSE');
      expect(err.errno).toBe(98);
      expect(err.syscall).toBe('bind');
      expect(err.message).toBe(
        `[Errno 98] error while attempting to bind on address ('127.0.0.1', ${port}): [errno 98] address already in use`,
      );
      a.close();
    });
  });

  it('argument checks name the call and the argument', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      await expect(loop.createServer('x' as never, '127.0.0.1', 0)).rejects.toThrow(
        'createServer(): protocolFactory must be a function, got string',
      );
      await expect(loop.createServer(() => new Recorder(), 5 as never, 0)).rejects.toThrow(TypeError);
      await expect(loop.createServer(() => new Recorder(), ['a', 5] as never, 0)).rejects.toThrow(/host/);
      await expect(loop.createServer(() => new Recorder(), '127.0.0.1', 0, { bogus: 1 } as never)).rejects.toThrow(
        "createServer(): unknown option 'bogus'",
      );
      await expect(loop.createServer(() => new Recorder(), '127.0.0.1', 0, { backlog: 'x' } as never)).rejects.toThrow(
        'createServer(): backlog must be an integer, got string',
      );
      await expect(loop.createServer(() => new Recorder(), '127.0.0.1', 0, { family: 1234 })).rejects.toThrow(ValueError);
      await expect(loop.createConnection(() => new Recorder(), ['a'] as never, 1)).rejects.toThrow(TypeError);
      await expect(loop.createUnixServer(() => new Recorder(), 5 as never)).rejects.toThrow(
        'createUnixServer(): path must be a string, got number',
      );
    });
  });

  it('createConnection resolves [transport, protocol] after connectionMade', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const server = recorders();
      const srv = await loop.createServer(server.factory, '127.0.0.1', 0);
      const client = new Recorder();
      const [t, p] = await loop.createConnection(() => client, '127.0.0.1', portOf(srv));
      expect(p).toBe(client);
      expect(client.events).toEqual(['made']);
      expect(client.transport).toBe(t);
      expect(t.getProtocol()).toBe(client);
      expect(t.getExtraInfo('peername')).toEqual({ address: '127.0.0.1', port: portOf(srv), family: 'IPv4' });
      t.write(Buffer.from('ping'));
      await until('server got it', () => server.made.length === 1 && server.made[0].received.toString() === 'ping');
      server.made[0].transport!.write(Buffer.from('pong'));
      await until('client got it', () => client.received.toString() === 'pong');
      t.close();
      await until('both lost', () => client.lost && server.made[0].lost);
      expect(t.getProtocol()).toBeNull();
      srv.close();
      await srv.waitClosed();
    });
  });

  it('createConnection to a closed port: ConnectionRefusedError with asyncio\'s text', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const err = (await loop.createConnection(() => new Recorder(), '127.0.0.1', 1).catch((e: unknown) => e)) as OSError;
      expect(err).toBeInstanceOf(ConnectionRefusedError);
      expect(err).toBeInstanceOf(OSError);
      expect(err.name).toBe('ConnectionRefusedError');
      expect(err.message).toBe("[Errno 111] Connect call failed ('127.0.0.1', 1)");
      expect(err.code).toBe('ECONNREFUSED');
      expect(err.errno).toBe(111);
      expect(err.syscall).toBe('connect');
    });
  });

  it('createConnection: a throwing factory rejects with its error; a non-object is a TypeError', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const server = recorders();
      const srv = await loop.createServer(server.factory, '127.0.0.1', 0);
      const boom = new Error('no protocol today');
      await expect(
        loop.createConnection(() => {
          throw boom;
        }, '127.0.0.1', portOf(srv)),
      ).rejects.toBe(boom);
      await expect(loop.createConnection(() => 42 as never, '127.0.0.1', portOf(srv))).rejects.toThrow(TypeError);
      await until('server side closed', () => server.made.length === 2 && server.made.every((r) => r.lost));
      srv.close();
      await srv.waitClosed();
    });
  });

  it('a throwing server factory drops the connection and keeps serving', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      let calls = 0;
      const srv = await loop.createServer(() => {
        calls += 1;
        if (calls === 1) throw new Error('first one fails');
        return new Recorder();
      }, '127.0.0.1', 0);
      const c1 = await connect(portOf(srv));
      const c1closed = new Promise<void>((resolve) => c1.on('close', () => resolve()));
      c1.on('error', () => {});
      c1.resume();
      await c1closed;
      const c2 = await connect(portOf(srv));
      await until('second accepted', () => calls === 2);
      c2.destroy();
      srv.close();
    });
  });

  it('C-21: Unix server: round trip, path cleanup on close', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const p = tmpPath('echo.sock');
      const { made, factory } = recorders();
      const srv = await loop.createUnixServer(factory, p);
      const s = srv.sockets[0];
      expect(s.family).toBe(AF_UNIX);
      expect(s.proto).toBe(0);
      expect(s.getsockname()).toBe(p);
      const c = await connectUnix(p);
      c.write('over unix');
      await until('data', () => made.length === 1 && made[0].received.toString() === 'over unix');
      expect(made[0].transport!.getExtraInfo('sockname')).toBe(p);
      c.destroy();
      expect(fs.existsSync(p)).toBe(true);
      srv.close();
      expect(fs.existsSync(p)).toBe(false);
      await srv.waitClosed();

      // A client over createUnixConnection.
      const srv2 = await loop.createUnixServer(factory, p);
      const client = new Recorder();
      const [t] = await loop.createUnixConnection(() => client, p);
      expect(t.getExtraInfo('peername')).toBe(p);
      t.close();
      srv2.close();

      // Already removed: no error. Replaced by another file: left alone.
      const srv3 = await loop.createUnixServer(factory, p);
      fs.unlinkSync(p);
      srv3.close();
      const srv4 = await loop.createUnixServer(factory, p);
      fs.unlinkSync(p);
      fs.writeFileSync(p, 'not ours');
      srv4.close();
      expect(fs.readFileSync(p, 'utf8')).toBe('not ours');
      fs.unlinkSync(p);

      // cleanupSocket: false keeps the file.
      const srv5 = await loop.createUnixServer(factory, p, { cleanupSocket: false });
      srv5.close();
      expect(fs.existsSync(p)).toBe(true);
      // A stale socket file is replaced.
      const srv6 = await loop.createUnixServer(factory, p);
      srv6.close();
    });
  });

  it('Unix errors: a regular file in the way, a missing path', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const p = tmpPath('file');
      fs.writeFileSync(p, 'x');
      const err = (await loop.createUnixServer(() => new Recorder(), p).catch((e: unknown) => e)) as OSError;
      expect(err).toBeInstanceOf(OSError);
      expect(err.code).toBe('EADDRINUSE');
      expect(err.message).toBe(`[Errno 98] Address '${p}' is already in use`);
      await expect(loop.createUnixServer(() => new Recorder())).rejects.toThrow('path was not specified, and no sock specified');
      const missing = (await loop.createUnixConnection(() => new Recorder(), tmpPath('missing.sock')).catch((e: unknown) => e)) as OSError;
      expect(missing).toBeInstanceOf(FileNotFoundError);
      expect(missing.code).toBe('ENOENT');
    });
  });
});

describe('loop state', () => {
  it('a closed loop rejects creation calls with RuntimeError', async () => {
    const loop = makeLoop('default');
    loop.close();
    await expect(loop.createServer(() => new Recorder(), '127.0.0.1', 0)).rejects.toThrow('Event loop is closed');
    await expect(loop.createConnection(() => new Recorder(), '127.0.0.1', 1)).rejects.toThrow(RuntimeError);
  });

  it('works in a worker thread, and the worker exits cleanly with connections open', async () => {
    const r = await runNode(`
      import { Worker } from 'node:worker_threads';
      const src = \`
        import net from 'node:net';
        import { parentPort } from 'node:worker_threads';
        import { SelectorEventLoop } from 'evloop';
        const loop = new SelectorEventLoop();
        await loop.runUntilComplete(loop.createTask(async () => {
          const srv = await loop.createServer(() => ({
            connectionMade(t) { this.t = t; },
            dataReceived(d) { this.t.write(d); if (String(d) === 'boom') throw new Error('kept'); },
          }), '127.0.0.1', 0);
          const port = srv.sockets[0].getsockname().port;
          const got = await new Promise((resolve) => {
            const c = net.connect(port, '127.0.0.1', () => c.write('hi'));
            c.unref();
            c.on('data', (d) => { resolve(String(d)); c.write('boom'); });
          });
          loop.setExceptionHandler(() => {});
          const idle = net.connect(port, '127.0.0.1');
          await new Promise((r) => idle.on('connect', r));
          idle.unref();
          parentPort.postMessage(got);
        }));
      \`;
      const w = new Worker(src, { eval: true, type: 'module' });
      w.on('message', (m) => console.log('worker said', m));
      w.on('error', (e) => { console.log('worker error', e); process.exitCode = 1; });
      w.on('exit', (code) => console.log('worker exit', code));
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('worker said hi');
    expect(r.stdout).toContain('worker exit 0');
  });
});

describe('with raw sockets (child process)', () => {
  it('C-03: a datagram sock is a ValueError; C-18: a stream sock is taken over', async () => {
    const r = await runNode(`
      import dgram from 'node:dgram';
      import fs from 'node:fs';
      import net from 'node:net';
      import { SelectorEventLoop } from 'evloop';
      const loop = new SelectorEventLoop();
      const out = {};
      await loop.runUntilComplete((async () => {
        const udp = dgram.createSocket('udp4');
        await new Promise((r) => udp.bind(0, '127.0.0.1', r));
        const udpFd = udp._handle.fd;
        out.c03 = await loop.createServer(() => ({}), undefined, undefined, { sock: udpFd }).then(() => 'ok', (e) => e.name + ': ' + e.message);
        // A bound, not listening stream socket: from a server that is not serving.
        const holder = await loop.createServer(() => ({}), '127.0.0.1', 0, { startServing: false });
        const fd = holder.sockets[0].fileno();
        const addr = holder.sockets[0].getsockname();
        const srv = await loop.createServer(() => ({ connectionMade(t) { t.write(Buffer.from('hi')); t.close(); } }), null, null, { sock: fd });
        out.sameFd = srv.sockets[0].fileno() === fd;
        out.sameAddr = JSON.stringify(srv.sockets[0].getsockname()) === JSON.stringify(addr);
        out.got = await new Promise((resolve) => {
          const c = net.connect(addr.port, '127.0.0.1');
          let s = '';
          c.on('data', (d) => (s += d));
          c.on('close', () => resolve(s));
        });
        srv.close();
        try { fs.fstatSync(fd); out.closed = false; } catch (e) { out.closed = e.code; }
      })());
      console.log(JSON.stringify(out));
      process.exit(0);
    `);
    expect(r.stderr.replace(/.*DeprecationWarning.*\n|.*--trace-deprecation.*\n/g, '')).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.c03).toMatch(/^ValueError: A Stream Socket was expected, got <socket\.socket fd=\d+, family=2, type=2, proto=\d+/);
    expect(out).toMatchObject({ sameFd: true, sameAddr: true, got: 'hi', closed: 'EBADF' });
  });
});
