// Datagram endpoints (asyncio's create_datagram_endpoint) on every Node
// loop, against node:dgram peers over loopback: echo both ways, a connected
// endpoint to a closed port, the broadcast option, and bad arguments named
// by call and argument.
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  ConnectionRefusedError,
  DatagramTransport,
  OSError,
  SO_BROADCAST,
  SOL_SOCKET,
  ValueError,
  type DatagramProtocol,
  type EventLoop,
  type InetAddress,
  type SocketAddress,
} from 'evloop';
import { captureHandler, inLoop, iterations, LOOPS, makeLoop, until } from './net-helpers.js';

/** A protocol that records every call. */
class Recorder implements DatagramProtocol {
  transport: DatagramTransport | null = null;
  datagrams: [Buffer, SocketAddress | null][] = [];
  errors: Error[] = [];
  lost: (Error | null)[] = [];
  echo = false;

  connectionMade(t: DatagramTransport): void {
    this.transport = t;
  }

  datagramReceived(data: Uint8Array, addr: SocketAddress | null): void {
    this.datagrams.push([Buffer.from(data), addr]);
    if (this.echo) this.transport!.sendto(data, addr as InetAddress);
  }

  errorReceived(exc: Error): void {
    this.errors.push(exc);
  }

  connectionLost(exc: Error | null): void {
    this.lost.push(exc);
  }
}

/** A node:dgram socket bound on loopback, collecting what it receives. */
async function peer(): Promise<{ s: dgram.Socket; port: number; got: [Buffer, dgram.RemoteInfo][] }> {
  const s = dgram.createSocket('udp4');
  const got: [Buffer, dgram.RemoteInfo][] = [];
  s.on('message', (msg, rinfo) => got.push([msg, rinfo]));
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return { s, port: s.address().port, got };
}

function send(s: dgram.Socket, data: Buffer, port: number): Promise<void> {
  return new Promise((resolve, reject) => s.send(data, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
}

async function closeEndpoint(t: DatagramTransport, p: Recorder): Promise<void> {
  t.close();
  await until('connectionLost', () => p.lost.length === 1);
}

function portOfTransport(t: DatagramTransport): number {
  return (t.getExtraInfo('sockname') as InetAddress).port;
}

/** A loopback port no socket listens on. */
async function closedPort(): Promise<number> {
  const { s, port } = await peer();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe.each(LOOPS)('loop %s', (kind) => {
  it('echoes node:dgram datagrams (empty and 60000 bytes too) to their sender', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const [t, p] = await loop.createDatagramEndpoint(() => Object.assign(new Recorder(), { echo: true }), {
        localAddr: ['127.0.0.1', 0],
      });
      expect(t).toBeInstanceOf(DatagramTransport);
      expect(p.transport).toBe(t);
      const port = portOfTransport(t);
      expect(t.getExtraInfo('sockname')).toEqual({ address: '127.0.0.1', port, family: 'IPv4' });
      expect(t.getExtraInfo('peername')).toBeNull();
      const c = await peer();
      await send(c.s, Buffer.from('hello'), port);
      await send(c.s, Buffer.alloc(0), port);
      await send(c.s, Buffer.alloc(60_000, 7), port);
      await until('three echoes', () => c.got.length === 3);
      expect(c.got.map(([m]) => m.length)).toEqual([5, 0, 60_000]);
      expect(c.got[0][0].toString()).toBe('hello');
      expect(c.got[0][1]).toMatchObject({ address: '127.0.0.1', port });
      expect(p.datagrams[0][1]).toEqual({ address: '127.0.0.1', port: c.port, family: 'IPv4' });
      expect(p.datagrams[1][0].length).toBe(0);
      c.s.close();
      await closeEndpoint(t, p);
      expect(p.lost).toEqual([null]);
      expect(t.isClosing()).toBe(true);
    });
  });

  it('a cancelled createDatagramEndpoint rejects with CancelledError and leaves no endpoint open', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const made: Recorder[] = [];
      const making = loop.createDatagramEndpoint(
        () => {
          const r = new Recorder();
          made.push(r);
          return r;
        },
        { localAddr: ['127.0.0.1', 0] },
      ) as unknown as Promise<unknown> & { cancel(msg?: string): boolean };
      expect(making.cancel('never mind')).toBe(true);
      await expect(making).rejects.toBeInstanceOf(CancelledError);
      await iterations(5);
      // Whatever the binding made before the cancel is closed: its protocol hears connectionLost.
      for (const r of made) await until('connectionLost', () => r.lost.length === 1);
      for (const r of made) expect(r.transport === null || r.transport.isClosing()).toBe(true);
    });
  });

  it('a connected endpoint sends to a node:dgram server and receives its answers', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const srv = await peer();
      srv.s.on('message', (msg, rinfo) => srv.s.send(Buffer.concat([Buffer.from('re: '), msg]), rinfo.port, rinfo.address));
      const [t, p] = await loop.createDatagramEndpoint(() => new Recorder(), { remoteAddr: ['127.0.0.1', srv.port] });
      expect(t.getExtraInfo('peername')).toEqual({ address: '127.0.0.1', port: srv.port, family: 'IPv4' });
      t.sendto(Buffer.from('one'));
      t.sendto(new Uint8Array([116, 119, 111]), ['127.0.0.1', srv.port]);
      t.sendto(new TextEncoder().encode('three').buffer, { address: '127.0.0.1', port: srv.port });
      await until('three answers', () => p.datagrams.length === 3);
      expect(p.datagrams.map(([d]) => d.toString())).toEqual(['re: one', 're: two', 're: three']);
      expect(p.datagrams[0][1]).toEqual({ address: '127.0.0.1', port: srv.port, family: 'IPv4' });
      expect(() => t.sendto(Buffer.from('x'), ['127.0.0.1', srv.port + 1])).toThrow(ValueError);
      expect(() => t.sendto(Buffer.from('x'), ['127.0.0.1', srv.port + 1])).toThrow(
        `Invalid address: must be None or ('127.0.0.1', ${srv.port})`,
      );
      srv.s.close();
      await closeEndpoint(t, p);
    });
  });

  it('a connected endpoint to a closed port gets ConnectionRefusedError in errorReceived', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const port = await closedPort();
      const [t, p] = await loop.createDatagramEndpoint(() => new Recorder(), { remoteAddr: { address: '127.0.0.1', port } });
      t.sendto(Buffer.from('anyone?'));
      await until('errorReceived', () => p.errors.length > 0);
      expect(p.errors[0]).toBeInstanceOf(ConnectionRefusedError);
      expect((p.errors[0] as OSError).code).toBe('ECONNREFUSED');
      expect(t.isClosing()).toBe(false);
      await closeEndpoint(t, p);
    });
  });

  it('allowBroadcast sets SO_BROADCAST; buffer limits as asyncio', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const [t, p] = await loop.createDatagramEndpoint(() => new Recorder(), { localAddr: ['127.0.0.1', 0], allowBroadcast: true });
      expect(t.getExtraInfo('socket').getsockopt(SOL_SOCKET, SO_BROADCAST)).toBe(1);
      expect(t.getWriteBufferSize()).toBe(0);
      expect(t.getWriteBufferLimits()).toEqual([16384, 65536]);
      t.setWriteBufferLimits({ high: 1000 });
      expect(t.getWriteBufferLimits()).toEqual([250, 1000]);
      expect(() => t.setWriteBufferLimits(1, 2)).toThrow('high (1) must be >= low (2) must be >= 0');
      expect(String(t)).toMatch(/^<_(Selector|Proactor)DatagramTransport fd=\d+ read=/);
      await closeEndpoint(t, p);
      const [u, q] = await loop.createDatagramEndpoint(() => new Recorder(), { localAddr: ['127.0.0.1', 0] });
      expect(u.getExtraInfo('socket').getsockopt(SOL_SOCKET, SO_BROADCAST)).toBe(0);
      await closeEndpoint(u, q);
    });
  });

  it('bad arguments: errors name the call and the argument', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const f = (): Recorder => new Recorder();
      const c = loop.createDatagramEndpoint.bind(loop);
      await expect(c(f)).rejects.toThrow(new ValueError('unexpected address family'));
      await expect(c(f, { localAddr: 5 as never })).rejects.toThrow(
        'createDatagramEndpoint(): localAddr must be [host, port], { address, port } or a Unix path, got number',
      );
      await expect(c(f, { remoteAddr: ['127.0.0.1', 70000] })).rejects.toThrow(RangeError);
      await expect(c(f, { localAddr: ['127.0.0.1', 0], bogus: 1 } as never)).rejects.toThrow("createDatagramEndpoint(): unknown option 'bogus'");
      await expect(c(f, { allowBroadcast: 'yes' as never })).rejects.toThrow('createDatagramEndpoint(): allowBroadcast must be a boolean, got string');
      await expect(c(null as never)).rejects.toThrow('createDatagramEndpoint(): protocolFactory must be a function');
      await expect(c(f, { localAddr: 'no-family.sock' })).rejects.toThrow(new TypeError('2-tuple is expected'));
      await expect(c(f, { localAddr: ['no.such.host.invalid', 0] })).rejects.toMatchObject({ name: 'gaierror' });

      const taken = await peer();
      const inUse = c(f, { localAddr: ['127.0.0.1', taken.port] });
      await expect(inUse).rejects.toBeInstanceOf(OSError);
      await expect(inUse).rejects.toMatchObject({ code: 'EADDRINUSE' });
      taken.s.close();

      const stream = net.createServer();
      await new Promise<void>((resolve) => stream.listen(0, '127.0.0.1', resolve));
      const fd = (stream as unknown as { _handle: { fd: number } })._handle.fd;
      await expect(c(f, { sock: fd })).rejects.toThrow(/^A datagram socket was expected, got <socket.socket fd=/);
      await expect(c(f, { sock: fd, reusePort: true })).rejects.toThrow(
        'socket modifier keyword arguments can not be used when sock is specified. (reuse_port=True)',
      );
      stream.close();

      const [t, p] = await c(f, { localAddr: ['127.0.0.1', 0] });
      expect(() => t.sendto('text' as never, ['127.0.0.1', 9])).toThrow(new TypeError("data argument must be a bytes-like object, not 'str'"));
      expect(() => t.sendto(Buffer.from('x'), ['localhost', 9])).toThrow("sendto(): addr must have a numeric host, got 'localhost'");
      expect(() => t.sendto(Buffer.from('x'), [9, 'x'] as never)).toThrow("sendto(): addr's host must be a string, got number");
      // Unconnected and no address: the OS's EDESTADDRREQ goes to errorReceived.
      t.sendto(Buffer.from('x'));
      t.sendto(Buffer.alloc(70_000), ['127.0.0.1', 9]);
      expect(p.errors.map((e) => (e as OSError).code)).toEqual(['EDESTADDRREQ', 'EMSGSIZE']);
      expect(p.errors[0].message).toBe('[Errno 89] Destination address required');
      await closeEndpoint(t, p);
    });
  });

  it('a protocol method that throws is reported; the endpoint stays open', async () => {
    const loop = makeLoop(kind);
    const reports = captureHandler(loop);
    await inLoop(loop, async () => {
      const boom = new Error('boom');
      const [t, p] = await loop.createDatagramEndpoint(
        () =>
          Object.assign(new Recorder(), {
            datagramReceived(): void {
              throw boom;
            },
          }),
        { localAddr: ['127.0.0.1', 0] },
      );
      const c = await peer();
      await send(c.s, Buffer.from('x'), portOfTransport(t));
      await until('report', () => reports.length === 1);
      expect(reports[0].exception).toBe(boom);
      await iterations(2);
      expect(t.isClosing()).toBe(false);
      c.s.close();
      await closeEndpoint(t, p);
    });
  });
});

it('a Unix datagram endpoint receives from another one', async () => {
  const loop: EventLoop = makeLoop();
  const { AF_UNIX } = await import('evloop');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'evloop-dgram-'));
  try {
    await inLoop(loop, async () => {
      const path = join(dir, 'server.sock');
      const [s, sp] = await loop.createDatagramEndpoint(() => new Recorder(), { family: AF_UNIX, localAddr: path });
      const [c, cp] = await loop.createDatagramEndpoint(() => new Recorder(), { family: AF_UNIX, remoteAddr: path });
      c.sendto(Buffer.from('over a path'));
      await until('datagram', () => sp.datagrams.length === 1);
      expect(sp.datagrams[0][0].toString()).toBe('over a path');
      expect(s.getExtraInfo('sockname')).toBe(path);
      await closeEndpoint(c, cp);
      await closeEndpoint(s, sp);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
