// The socket() function, Socket, and the loop's sock* methods and connectAcceptedSocket on every
// Node loop, against node:net and node:dgram peers over loopback: accept/connect/recv/send round
// trips, a cancelled sockRecv that loses nothing, datagrams both ways, a Socket as the `sock`
// option, bad arguments named by call and argument (with the OS code), and fds back to baseline.
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  AF_INET,
  CancelledError,
  ConnectionRefusedError,
  OSError,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SO_REUSEADDR,
  SO_TYPE,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOL_SOCKET,
  Socket,
  ValueError,
  openConnection,
  socket,
  type EventLoop,
  type InetAddress,
} from 'evloop';
import { closed, collector, connect, inLoop, iterations, LOOPS, makeLoop, portOf, Recorder, until } from './net-helpers.js';

const openFds = (): number => fs.readdirSync('/proc/self/fd').length;

/** A listening Socket on loopback and its port. */
function listening(): [Socket, number] {
  const s = socket();
  s.bind(['127.0.0.1', 0]);
  s.listen();
  return [s, (s.getsockname() as InetAddress).port];
}

/** A node:net server whose first connection is handed out. */
async function netServer(): Promise<{ srv: net.Server; port: number; conn: Promise<net.Socket> }> {
  const srv = net.createServer();
  const conn = new Promise<net.Socket>((resolve) => srv.once('connection', resolve));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { srv, port: (srv.address() as net.AddressInfo).port, conn };
}

function closeServer(srv: net.Server): Promise<void> {
  return new Promise((resolve) => srv.close(() => resolve()));
}

/** A connected pair: a node:net client and the Socket sockAccept gave for it. */
async function acceptedPair(loop: EventLoop): Promise<[Socket, net.Socket, Socket]> {
  const [l, port] = listening();
  const client = await connect(port);
  const [s, addr] = await loop.sockAccept(l);
  expect(addr).toEqual({ address: '127.0.0.1', port: client.localPort, family: 'IPv4' });
  return [s, client, l];
}

describe('socket()', () => {
  it('makes a Socket that binds, listens, reports itself, and closes or detaches', () => {
    const before = openFds();
    const s = socket();
    expect(s).toBeInstanceOf(Socket);
    expect([s.family, s.type, s.proto]).toEqual([AF_INET, SOCK_STREAM, 6]);
    expect(s.fileno()).toBeGreaterThanOrEqual(0);
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, true);
    expect(s.getsockopt(SOL_SOCKET, SO_REUSEADDR)).toBe(1);
    expect(s.getsockopt(SOL_SOCKET, SO_TYPE)).toBe(SOCK_STREAM);
    s.bind({ address: '127.0.0.1', port: 0 });
    s.listen(5);
    expect(s.getsockname()).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    expect(String(s)).toMatch(/^<socket\.socket fd=\d+, family=2, type=1, proto=6>$/);
    s.close();
    s.close();
    expect(s.fileno()).toBe(-1);
    const u = socket(AF_INET, SOCK_DGRAM);
    expect([u.type, u.proto]).toEqual([SOCK_DGRAM, 17]);
    const fd = u.detach();
    expect(u.fileno()).toBe(-1);
    expect(u.detach()).toBe(-1);
    fs.closeSync(fd);
    expect(openFds()).toBe(before);
    expect([SHUT_RD, SHUT_WR, SHUT_RDWR]).toEqual([0, 1, 2]);
  });

  it('names the call and the argument, with the OS code', () => {
    expect(() => socket('x' as unknown as number)).toThrow(/socket\(\): family must be an integer/);
    expect(() => socket(12345)).toThrow(expect.objectContaining({ code: 'EAFNOSUPPORT' }));
    const s = socket();
    expect(() => s.bind(['127.0.0.1', 70000])).toThrow(RangeError);
    expect(() => s.bind(42 as unknown as string)).toThrow(/bind\(\): address must be/);
    const [l, port] = listening();
    expect(() => s.bind(['127.0.0.1', port])).toThrow(expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }));
    expect(() => s.getpeername()).toThrow(expect.objectContaining({ code: 'ENOTCONN' }));
    expect(() => s.shutdown(7)).toThrow(ValueError);
    s.close();
    expect(() => s.getsockname()).toThrow(expect.objectContaining({ code: 'EBADF' }));
    l.close();
  });
});

describe.each(LOOPS)('loop %s', (kind) => {
  it('sockAccept, sockRecv, sockRecvInto and sockSendall round trips with a node:net client', async () => {
    const loop = makeLoop(kind);
    const before = openFds();
    await inLoop(loop, async () => {
      const [s, client, l] = await acceptedPair(loop);
      expect(s.getpeername()).toEqual({ address: '127.0.0.1', port: client.localPort, family: 'IPv4' });
      client.write('ping');
      expect(Buffer.from(await loop.sockRecv(s, 100)).toString()).toBe('ping');
      client.write('into');
      const buf = new Uint8Array(16);
      expect(await loop.sockRecvInto(s, buf.subarray(2))).toBe(4);
      expect(Buffer.from(buf.subarray(2, 6)).toString()).toBe('into');
      // More than the socket buffers hold: sockSendall waits for the client to read.
      const got = collector(client);
      const big = Buffer.alloc(8 << 20, 'ab');
      await loop.sockSendall(s, big);
      s.shutdown(SHUT_WR);
      await until('everything and EOF', () => got.ended());
      expect(got.bytes()).toBe(big.length);
      client.destroy();
      expect((await loop.sockRecv(s, 10)).length).toBe(0);
      s.close();
      l.close();
      await closed(client);
    });
    // Nothing of ours is left open (other suites' loops may close theirs meanwhile).
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it('sockConnect reaches a node:net server; a closed port is ConnectionRefusedError', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const { srv, port, conn } = await netServer();
      const s = socket();
      await loop.sockConnect(s, ['127.0.0.1', port]);
      const peer = await conn;
      peer.write('hello');
      expect(Buffer.from(await loop.sockRecv(s, 10)).toString()).toBe('hello');
      const got = collector(peer);
      await loop.sockSendall(s, new TextEncoder().encode('back'));
      await until('the server reads', () => got.text() === 'back');
      s.close();
      peer.destroy();
      await closeServer(srv);
      const s2 = socket();
      const err = await loop.sockConnect(s2, { address: '127.0.0.1', port }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionRefusedError);
      expect(err).toMatchObject({ code: 'ECONNREFUSED', message: `[Errno 111] Connect call failed ('127.0.0.1', ${port})` });
      s2.close();
    });
  });

  it('a cancelled sockRecv loses nothing and leaves no reader', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const [s, client, l] = await acceptedPair(loop);
      const waiting = loop.sockRecv(s, 100);
      await iterations(3);
      expect(waiting.cancel()).toBe(true);
      await expect(waiting).rejects.toBeInstanceOf(CancelledError);
      client.write('kept');
      expect(Buffer.from(await loop.sockRecv(s, 100)).toString()).toBe('kept');
      // The fd is free for a reader of the user's own: the cancelled call removed its own.
      const seen: string[] = [];
      loop.addReader(s.fileno(), () => seen.push('readable'));
      client.write('x');
      await until('the user reader runs', () => seen.length > 0);
      expect(loop.removeReader(s.fileno())).toBe(true);
      s.close();
      l.close();
      client.destroy();
    });
  });

  it('sockSendto, sockRecvfrom and sockRecvfromInto with a node:dgram peer', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const peer = dgram.createSocket('udp4');
      const got: [Buffer, dgram.RemoteInfo][] = [];
      peer.on('message', (m, r) => got.push([m, r]));
      await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
      const u = socket(AF_INET, SOCK_DGRAM);
      u.bind(['127.0.0.1', 0]);
      const mine = (u.getsockname() as InetAddress).port;
      expect(await loop.sockSendto(u, Buffer.from('datagram'), ['127.0.0.1', peer.address().port])).toBe(8);
      await until('the peer receives', () => got.length === 1);
      expect(got[0][0].toString()).toBe('datagram');
      expect(got[0][1].port).toBe(mine);
      peer.send('reply', mine, '127.0.0.1');
      const [data, from] = await loop.sockRecvfrom(u, 64);
      expect(Buffer.from(data).toString()).toBe('reply');
      expect(from).toEqual({ address: '127.0.0.1', port: peer.address().port, family: 'IPv4' });
      peer.send('second', mine, '127.0.0.1');
      const buf = Buffer.alloc(16);
      const [n] = await loop.sockRecvfromInto(u, buf, 3);
      expect(buf.subarray(0, n).toString()).toBe('sec');
      await expect(loop.sockRecvfromInto(u, buf, 17)).rejects.toThrow(new ValueError('nbytes is greater than the length of the buffer'));
      u.close();
      await new Promise<void>((resolve) => peer.close(() => resolve()));
    });
  });

  it('connectAcceptedSocket makes a transport of a socket from sockAccept', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const [s, client, l] = await acceptedPair(loop);
      const fd = s.fileno();
      const [t, p] = await loop.connectAcceptedSocket(() => new Recorder(), s);
      // The transport owns the fd now; the Socket let go of it.
      expect(s.fileno()).toBe(-1);
      expect((t.getExtraInfo('socket') as { fileno(): number }).fileno()).toBe(fd);
      expect(t.getExtraInfo('peername')).toEqual({ address: '127.0.0.1', port: client.localPort, family: 'IPv4' });
      const got = collector(client);
      client.write('to the transport');
      await until('data', () => p.received.toString() === 'to the transport');
      t.write(Buffer.from('from the transport'));
      await until('the client reads', () => got.text() === 'from the transport');
      t.close();
      await until('connectionLost', () => p.lost);
      l.close();
      client.destroy();
    });
  });

  it('a Socket is accepted as the sock option and handed over', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const s = socket();
      s.bind(['127.0.0.1', 0]);
      const fd = s.fileno();
      const srv = await loop.createServer(() => new Recorder(), null, null, { sock: s });
      expect(s.fileno()).toBe(-1);
      expect(srv.sockets[0].fileno()).toBe(fd);
      const c = await connect(portOf(srv));
      c.destroy();
      srv.close();
      await srv.waitClosed();
      const u = socket(AF_INET, SOCK_DGRAM);
      u.bind(['127.0.0.1', 0]);
      const [dt] = await loop.createDatagramEndpoint(() => ({}), { sock: u });
      expect(u.fileno()).toBe(-1);
      dt.close();
      // The streams functions too.
      const { srv: ns, port: nport, conn } = await netServer();
      const cs = socket();
      await loop.sockConnect(cs, ['127.0.0.1', nport]);
      const [, writer] = await openConnection(null, null, { sock: cs });
      expect(cs.fileno()).toBe(-1);
      const peer = await conn;
      const seen = collector(peer);
      writer.write(Buffer.from('streamed'));
      await until('the stream data', () => seen.text() === 'streamed');
      writer.close();
      await writer.waitClosed();
      peer.destroy();
      await closeServer(ns);
      // A refused Socket stays the caller's.
      const wrong = socket(AF_INET, SOCK_DGRAM);
      await expect(loop.createServer(() => new Recorder(), null, null, { sock: wrong })).rejects.toThrow(/A Stream Socket was expected/);
      expect(wrong.fileno()).toBeGreaterThanOrEqual(0);
      wrong.close();
    });
  });

  it('bad arguments are named by call and argument, OS errors carry their code', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const s = socket();
      await expect(loop.sockRecv(s, -1)).rejects.toThrow(/sockRecv\(\): n must be an integer in 0\.\./);
      await expect(loop.sockRecv('x' as unknown as number, 1)).rejects.toThrow(/sockRecv\(\): sock must be a Socket or a file descriptor/);
      await expect(loop.sockConnect(s, 5 as unknown as string)).rejects.toThrow(/sockConnect\(\): address must be/);
      await expect(loop.sockSendall(s, 'text' as unknown as Uint8Array)).rejects.toThrow(TypeError);
      // Not listening: accept's EINVAL.
      await expect(loop.sockAccept(s)).rejects.toMatchObject({ code: 'EINVAL' });
      // A blocking fd is refused, as asyncio refuses a blocking socket.
      const blocking = fs.openSync('/dev/null', 'r');
      await expect(loop.sockRecv(blocking, 1)).rejects.toThrow(new ValueError('the socket must be non-blocking'));
      fs.closeSync(blocking);
      s.close();
      const e = await loop.sockRecv(s, 1).then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(OSError);
      expect(e).toMatchObject({ code: 'EBADF' });
      // An fd a transport owns.
      const [a, client, l] = await acceptedPair(loop);
      const fd = a.detach();
      const [t] = await loop.connectAcceptedSocket(() => new Recorder(), fd);
      await expect(loop.sockRecv(fd, 1)).rejects.toThrow(/File descriptor \d+ is used by transport/);
      t.close();
      l.close();
      client.destroy();
    });
  });
});
