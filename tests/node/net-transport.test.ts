// Transport and protocol cases of the reference (§8.4, T-), black-box over
// loopback with node:net clients, on every selector.
import { describe, expect, it } from 'vitest';
import {
  ConnectionResetError,
  RuntimeError,
  SO_SNDBUF,
  SOL_SOCKET,
  Transport,
  TransportSocket,
  ValueError,
  type Protocol,
} from 'evloop';
import {
  captureHandler,
  closed,
  collector,
  connect,
  inLoop,
  iterations,
  makeLoop,
  portOf,
  readAll,
  recorders,
  LOOPS,
  until,
  Recorder,
} from './net-helpers.js';

describe.each(LOOPS)('loop %s', (selector) => {
  it('T-01: callback sequence; connectionLost exactly once', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      c.end('hello');
      await until('lost', () => made.length === 1 && made[0].lost);
      const p = made[0];
      expect(p.events).toEqual(['made', ['data', 'hello'], 'eof', ['lost', null]]);
      p.transport!.close();
      p.transport!.abort();
      p.transport!.close();
      await iterations(2);
      expect(p.count('lost')).toBe(1);
      srv.close();
      await srv.waitClosed();
    });
  });

  it('T-01: eofReceived returning true keeps the connection half-open', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(() => Object.assign(factory(), { keepOpen: true }), '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      const all = readAll(c);
      c.end('question');
      await until('eof', () => made.length === 1 && made[0].count('eof') === 1);
      await iterations(2);
      expect(made[0].lost).toBe(false);
      expect(made[0].transport!.isClosing()).toBe(false);
      made[0].transport!.write(Buffer.from('bye'));
      made[0].transport!.close();
      expect((await all).toString()).toBe('bye');
      await until('lost', () => made[0].lost);
      srv.close();
    });
  });

  it('T-03: extra info', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      await until('made', () => made.length === 1 && made[0].transport !== null);
      const t = made[0].transport!;
      expect(t).toBeInstanceOf(Transport);
      expect(t.getExtraInfo('peername')).toEqual({ address: '127.0.0.1', port: c.localPort, family: 'IPv4' });
      expect(t.getExtraInfo('sockname')).toEqual({ address: '127.0.0.1', port: portOf(srv), family: 'IPv4' });
      const sock = t.getExtraInfo('socket');
      expect(sock).toBeInstanceOf(TransportSocket);
      expect(sock.getpeername()).toEqual({ address: '127.0.0.1', port: c.localPort, family: 'IPv4' });
      expect(t.getExtraInfo('nonsense')).toBeUndefined();
      expect(t.getExtraInfo('nonsense', 42)).toBe(42);
      c.destroy();
      srv.close();
    });
  });

  it('T-04: write argument checks, empty writes, writelines', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      const got = collector(c);
      await until('made', () => made.length === 1 && made[0].transport !== null);
      const t = made[0].transport!;
      expect(() => t.write('str' as never)).toThrow(TypeError);
      expect(() => t.write('str' as never)).toThrow("data argument must be a bytes-like object, not 'str'");
      expect(() => t.write(42 as never)).toThrow(TypeError);
      expect(() => t.writelines([Buffer.from('a'), 'b'] as never)).toThrow(TypeError);
      t.write(new Uint8Array(0));
      t.write(Buffer.from('x'));
      t.writelines([Buffer.from('a'), new Uint8Array([0x62]), new TextEncoder().encode('c')]);
      // A view's own bytes only; the caller may reuse its buffer at once.
      const backing = new Uint8Array([0x30, 0x31, 0x32, 0x33]);
      t.write(backing.subarray(1, 3));
      backing.fill(0);
      await until('received', () => got.text() === 'xabc12');
      c.destroy();
      srv.close();
    });
  });

  it('T-05: writeEof half-closes after the buffered data', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      const all = readAll(c);
      await until('made', () => made.length === 1 && made[0].transport !== null);
      const t = made[0].transport!;
      expect(t.canWriteEof()).toBe(true);
      t.write(Buffer.from('data'));
      t.writeEof();
      t.writeEof();
      expect(() => t.write(Buffer.from('more'))).toThrow(RuntimeError);
      expect(() => t.write(Buffer.from('more'))).toThrow('Cannot call write() after write_eof()');
      expect(() => t.writelines([Buffer.from('more')])).toThrow('Cannot call writelines() after write_eof()');
      expect((await all).toString()).toBe('data');
      c.destroy();
      srv.close();
    });
  });

  it('T-07: abort() drops the buffer; connectionLost(null) within one iteration', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      c.pause();
      let received = 0;
      c.on('data', (d: Buffer) => {
        received += d.length;
      });
      c.on('error', () => {});
      await until('made', () => made.length === 1 && made[0].transport !== null);
      const t = made[0].transport!;
      const total = 32 * 1024 * 1024;
      t.write(Buffer.alloc(total, 7));
      expect(t.getWriteBufferSize()).toBeGreaterThan(0);
      t.abort();
      expect(t.isClosing()).toBe(true);
      expect(t.getWriteBufferSize()).toBe(0);
      await iterations(1);
      expect(made[0].events.at(-1)).toEqual(['lost', null]);
      t.abort();
      t.close();
      c.resume();
      await closed(c);
      expect(received).toBeLessThan(total);
      expect(made[0].count('lost')).toBe(1);
      srv.close();
    });
  });

  it('T-08: writes after close() with an empty buffer are dropped silently', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      const all = readAll(c);
      await until('made', () => made.length === 1 && made[0].transport !== null);
      const t = made[0].transport!;
      t.close();
      for (let i = 0; i < 3; i++) t.write(Buffer.from('late'));
      await until('lost', () => made[0].lost);
      for (let i = 0; i < 4; i++) t.write(Buffer.from('later'));
      expect((await all).length).toBe(0);
      srv.close();
    });
  });

  it('T-09: write buffer limits', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      await until('made', () => made.length === 1 && made[0].transport !== null);
      const t = made[0].transport!;
      expect(t.getWriteBufferLimits()).toEqual([16384, 65536]);
      t.setWriteBufferLimits(1000);
      expect(t.getWriteBufferLimits()).toEqual([250, 1000]);
      t.setWriteBufferLimits(undefined, 100);
      expect(t.getWriteBufferLimits()).toEqual([100, 400]);
      t.setWriteBufferLimits({ high: 2000, low: 10 });
      expect(t.getWriteBufferLimits()).toEqual([10, 2000]);
      t.setWriteBufferLimits({ low: 50 });
      expect(t.getWriteBufferLimits()).toEqual([50, 200]);
      t.setWriteBufferLimits();
      expect(t.getWriteBufferLimits()).toEqual([16384, 65536]);
      expect(() => t.setWriteBufferLimits(10, 20)).toThrow(ValueError);
      expect(() => t.setWriteBufferLimits(10, 20)).toThrow('high (10) must be >= low (20) must be >= 0');
      expect(() => t.setWriteBufferLimits(1.5)).toThrow(RangeError);
      expect(() => t.setWriteBufferLimits('x' as never)).toThrow(TypeError);
      expect(t.getWriteBufferSize()).toBe(0);
      c.destroy();
      srv.close();
    });
  });

  it('T-11: read flow control', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      await until('made', () => made.length === 1 && made[0].transport !== null);
      const p = made[0];
      const t = p.transport!;
      expect(t.isReading()).toBe(true);
      t.pauseReading();
      t.pauseReading();
      expect(t.isReading()).toBe(false);
      c.write('while paused');
      await new Promise((r) => setTimeout(r, 30));
      expect(p.count('data')).toBe(0);
      t.resumeReading();
      t.resumeReading();
      expect(t.isReading()).toBe(true);
      await until('delivered', () => p.received.toString() === 'while paused');
      expect(p.count('data')).toBe(1);
      t.close();
      expect(t.isReading()).toBe(false);
      t.pauseReading();
      t.resumeReading();
      expect(t.isReading()).toBe(false);
      c.destroy();
      srv.close();
    });
  });

  it('T-12: a throw in dataReceived: the handler gets the error, connectionLost the same error', async () => {
    const loop = makeLoop(selector);
    const seen = captureHandler(loop);
    await inLoop(loop, async () => {
      const boom = new Error('boom');
      class Thrower extends Recorder {
        override dataReceived(data: Buffer): void {
          super.dataReceived(data);
          throw boom;
        }
      }
      const made: Thrower[] = [];
      const srv = await loop.createServer(() => {
        const p = new Thrower();
        made.push(p);
        return p;
      }, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      const ended = closed(c);
      c.on('error', () => {});
      c.write('x');
      await until('lost', () => made.length === 1 && made[0].lost);
      expect(made[0].lostWith).toBe(boom);
      expect(seen).toHaveLength(1);
      const ctx = seen[0];
      expect(Object.keys(ctx).sort()).toEqual(['exception', 'message', 'protocol', 'transport']);
      expect(ctx.message).toBe('Fatal error: protocol.data_received() call failed.');
      expect(ctx.exception).toBe(boom);
      expect(ctx.protocol).toBe(made[0]);
      expect(ctx.transport).toBe(made[0].transport);
      await ended;
      srv.close();
    });
  });

  it('T-12: a thrown non-Error value reaches connectionLost unchanged', async () => {
    const loop = makeLoop(selector);
    const seen = captureHandler(loop);
    await inLoop(loop, async () => {
      let lost: unknown = 'not called';
      const srv = await loop.createServer(
        () => ({
          eofReceived() {
            throw 'just a string';
          },
          connectionLost(e: unknown) {
            lost = e;
          },
        }),
        '127.0.0.1',
        0,
      );
      const c = await connect(portOf(srv));
      c.end();
      await until('lost', () => lost !== 'not called');
      expect(lost).toBe('just a string');
      expect(seen[0].message).toBe('Fatal error: protocol.eof_received() call failed.');
      srv.close();
    });
  });

  it('T-13: a peer reset gives connectionLost(ConnectionResetError), no report', async () => {
    const loop = makeLoop(selector);
    const seen = captureHandler(loop);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      await until('made', () => made.length === 1 && made[0].transport !== null);
      c.resetAndDestroy();
      await until('lost', () => made[0].lost);
      const exc = made[0].lostWith as ConnectionResetError;
      expect(exc).toBeInstanceOf(ConnectionResetError);
      expect(exc.code).toBe('ECONNRESET');
      expect(exc.errno).toBe(104);
      expect(exc.syscall).toBe('recv');
      expect(seen).toEqual([]);
      srv.close();
    });
  });

  it('T-14: BufferedProtocol reads into its own buffer', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const calls: (string | number)[] = [];
      const buf = new Uint8Array(4);
      const chunks: string[] = [];
      let lost: unknown = 'no';
      const srv = await loop.createServer(
        () => ({
          getBuffer(hint: number) {
            calls.push(`get(${hint})`);
            return buf;
          },
          bufferUpdated(n: number) {
            calls.push(n);
            chunks.push(Buffer.from(buf.subarray(0, n)).toString());
          },
          eofReceived() {
            calls.push('eof');
          },
          connectionLost(e: unknown) {
            lost = e;
          },
        }),
        '127.0.0.1',
        0,
      );
      const c = await connect(portOf(srv));
      c.end('0123456789');
      await until('lost', () => lost !== 'no');
      expect(calls).toEqual(['get(-1)', 4, 'get(-1)', 4, 'get(-1)', 2, 'get(-1)', 'eof']);
      expect(chunks.join('')).toBe('0123456789');
      expect(lost).toBeNull();
      srv.close();
    });
  });

  it('T-14: an empty buffer from getBuffer is a fatal error', async () => {
    const loop = makeLoop(selector);
    const seen = captureHandler(loop);
    await inLoop(loop, async () => {
      let lost: unknown = 'no';
      const srv = await loop.createServer(
        () => ({
          getBuffer: () => new Uint8Array(0),
          bufferUpdated() {},
          connectionLost(e: unknown) {
            lost = e;
          },
        }),
        '127.0.0.1',
        0,
      );
      const c = await connect(portOf(srv));
      c.on('error', () => {});
      c.write('x');
      await until('lost', () => lost !== 'no');
      expect(lost).toBeInstanceOf(RuntimeError);
      expect((lost as Error).message).toBe('get_buffer() returned an empty buffer');
      expect(seen[0].message).toBe('Fatal error: protocol.get_buffer() call failed.');
      srv.close();
    });
  });

  it('T-15: no data before connectionMade returned', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const order: string[] = [];
      const srv = await loop.createServer(
        () => ({
          connectionMade() {
            order.push('made');
            loop.callSoon(() => order.push('scheduled by made'));
          },
          dataReceived(d: Buffer) {
            order.push(`data ${d}`);
          },
        }),
        '127.0.0.1',
        0,
      );
      const c = await connect(portOf(srv));
      c.write('early');
      await until('data', () => order.some((o) => o.startsWith('data')));
      expect(order[0]).toBe('made');
      c.destroy();
      srv.close();
    });
  });

  it('T-16 and flow control: pauseWriting at once when limits shrink, resumeWriting when drained', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      c.pause();
      await until('made', () => made.length === 1 && made[0].transport !== null);
      const p = made[0];
      const t = p.transport!;
      t.getExtraInfo('socket').setsockopt(SOL_SOCKET, SO_SNDBUF, 4096);
      t.setWriteBufferLimits(1 << 30);
      t.write(Buffer.alloc(1024 * 1024, 1));
      expect(t.getWriteBufferSize()).toBeGreaterThan(10 * 1024);
      expect(p.count('pause')).toBe(0);
      t.setWriteBufferLimits({ high: 1000 });
      expect(p.events.at(-1)).toBe('pause'); // synchronously, inside the call
      c.resume();
      await until('resumed', () => p.count('resume') === 1, 10_000);
      expect(t.getWriteBufferSize()).toBeLessThanOrEqual(250);
      expect(p.count('pause')).toBe(1);
      c.destroy();
      srv.close();
    });
  });

  it('setProtocol / getProtocol switch the receiver', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      await until('made', () => made.length === 1 && made[0].transport !== null);
      const t = made[0].transport!;
      expect(t.getProtocol()).toBe(made[0]);
      const second = new Recorder();
      t.setProtocol(second);
      expect(t.getProtocol()).toBe(second);
      expect(() => t.setProtocol(null as never)).toThrow(TypeError);
      c.end('to the second');
      await until('second lost', () => second.lost);
      expect(second.events).toEqual([['data', 'to the second'], 'eof', ['lost', null]]);
      expect(made[0].count('data')).toBe(0);
      srv.close();
    });
  });

  it('protocol methods run with the protocol as this; promise continuations run before the next callback', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const order: string[] = [];
      class P implements Protocol {
        name = 'P';
        connectionMade(): void {
          order.push(`made by ${this.name}`);
          void Promise.resolve().then(() => order.push('microtask after made'));
          loop.callSoon(() => order.push('next callback'));
        }
      }
      const srv = await loop.createServer(() => new P(), '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      await until('ran', () => order.length === 3);
      expect(order).toEqual(['made by P', 'microtask after made', 'next callback']);
      c.destroy();
      srv.close();
    });
  });
});
