// asyncio's streams over the core's StreamReader/StreamWriter: startServer,
// openConnection and their Unix twins, reads and their errors, flow
// control, on every selector.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConnectionRefusedError,
  IncompleteReadError,
  LimitOverrunError,
  openConnection,
  openUnixConnection,
  RuntimeError,
  startServer,
  startUnixServer,
  StreamReader,
  StreamWriter,
  Transport,
  ValueError,
  type Server,
} from 'evloop';
import { captureHandler, connect, inLoop, makeLoop, portOf, readAll, LOOPS, until } from './net-helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** An echo server whose handler reads lines until EOF. */
async function echoServer(): Promise<Server> {
  return startServer(async (reader, writer) => {
    for await (const line of reader) {
      writer.write(line);
      await writer.drain();
    }
    writer.close();
    await writer.waitClosed();
  }, '127.0.0.1', 0);
}

describe.each(LOOPS)('loop %s', (selector) => {
  it('echo through startServer and openConnection', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await echoServer();
      expect(srv.getLoop()).toBe(loop);
      const [reader, writer] = await openConnection('127.0.0.1', portOf(srv));
      expect(reader).toBeInstanceOf(StreamReader);
      expect(writer).toBeInstanceOf(StreamWriter);
      writer.write(enc('one\n'));
      writer.writelines([enc('two\n'), enc('thr'), enc('ee\n')]);
      expect((await reader.readline()).toString()).toBe('one\n');
      expect((await reader.readline()).toString()).toBe('two\n');
      expect((await reader.readexactly(4)).toString()).toBe('thre');
      expect((await reader.readuntil(enc('\n'))).toString()).toBe('e\n');
      expect(writer.canWriteEof()).toBe(true);
      writer.writeEof();
      expect((await reader.read()).length).toBe(0);
      expect(reader.atEof()).toBe(true);
      writer.close();
      expect(writer.isClosing()).toBe(true);
      await writer.waitClosed();
      srv.close();
      await srv.waitClosed();
    });
  });

  it('read(n), read() until EOF, async iteration over lines', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await startServer(async (_reader, writer) => {
        writer.write(enc('alpha\nbeta\ngamma'));
        writer.close();
      }, '127.0.0.1', 0);
      const [r1, w1] = await openConnection('127.0.0.1', portOf(srv));
      const first = await r1.read(3);
      expect(first.length).toBeGreaterThan(0);
      expect(first.length).toBeLessThanOrEqual(3);
      const rest = await r1.read();
      expect(Buffer.concat([first, rest]).toString()).toBe('alpha\nbeta\ngamma');
      expect((await r1.read(0)).length).toBe(0);
      w1.close();

      const [r2, w2] = await openConnection('127.0.0.1', portOf(srv));
      const lines: string[] = [];
      for await (const line of r2) lines.push(line.toString());
      expect(lines).toEqual(['alpha\n', 'beta\n', 'gamma']);
      w2.close();
      srv.close();
    });
  });

  it('readexactly and readuntil at EOF: IncompleteReadError with the partial bytes', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await startServer((_reader, writer) => {
        writer.write(enc('12345'));
        writer.close();
      }, '127.0.0.1', 0);
      const [r, w] = await openConnection('127.0.0.1', portOf(srv));
      const e1 = (await r.readexactly(10).catch((e: unknown) => e)) as IncompleteReadError;
      expect(e1).toBeInstanceOf(IncompleteReadError);
      expect(e1.name).toBe('IncompleteReadError');
      expect(Buffer.from(e1.partial).toString()).toBe('12345');
      expect(e1.expected).toBe(10);
      expect(e1.message).toBe('5 bytes read on a total of 10 expected bytes');
      w.close();

      const [r2, w2] = await openConnection('127.0.0.1', portOf(srv));
      const e2 = (await r2.readuntil(enc('!')).catch((e: unknown) => e)) as IncompleteReadError;
      expect(e2).toBeInstanceOf(IncompleteReadError);
      expect(Buffer.from(e2.partial).toString()).toBe('12345');
      expect(e2.expected).toBeNull();
      expect(e2.message).toBe('5 bytes read on a total of undefined expected bytes');
      await expect(r2.readexactly(-1)).rejects.toThrow('readexactly size can not be less than zero');
      await expect(r2.readuntil(new Uint8Array(0))).rejects.toThrow('Separator should be at least one-byte string');
      await expect(r2.readuntil('x' as never)).rejects.toThrow(TypeError);
      w2.close();
      srv.close();
    });
  });

  it('the limit: LimitOverrunError from readuntil, ValueError from readline', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await startServer((_reader, writer) => {
        writer.write(enc('a-rather-long-line\nok\n'));
      }, '127.0.0.1', 0);
      const [r, w] = await openConnection('127.0.0.1', portOf(srv), { limit: 8 });
      expect(r.limit).toBe(8);
      const e = (await r.readuntil([enc('\n')]).catch((x: unknown) => x)) as LimitOverrunError;
      expect(e).toBeInstanceOf(LimitOverrunError);
      expect(e.message).toMatch(/^Separator (is found, but chunk is longer than limit|is not found, and chunk exceed the limit)$/);
      expect(e.consumed).toBeGreaterThan(0);
      const e2 = await r.readline().catch((x: unknown) => x);
      expect(e2).toBeInstanceOf(ValueError);
      expect((await r.readline()).toString()).toBe('ok\n');
      w.close();
      await expect(openConnection('127.0.0.1', portOf(srv), { limit: 0 })).rejects.toThrow('Limit cannot be <= 0');
      await expect(startServer(() => {}, '127.0.0.1', 0, { limit: -1 })).rejects.toThrow(ValueError);
      srv.close();
    });
  });

  it('drain() waits for the peer to read; getExtraInfo and transport', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      let drained = false;
      let serverWriter: StreamWriter | null = null;
      const srv = await startServer(async (_reader, writer) => {
        serverWriter = writer;
        writer.write(Buffer.alloc(8 * 1024 * 1024, 1));
        await writer.drain();
        drained = true;
        writer.close();
      }, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      c.pause();
      await until('handler started', () => serverWriter !== null);
      await new Promise((r) => setTimeout(r, 30));
      expect(drained).toBe(false);
      const w = serverWriter as unknown as StreamWriter;
      expect(w.transport).toBeInstanceOf(Transport);
      expect(w.transport).toBe(w.transport);
      expect(w.transport.getWriteBufferSize()).toBeGreaterThan(0);
      expect(w.getExtraInfo('peername')).toEqual({ address: '127.0.0.1', port: c.localPort, family: 'IPv4' });
      expect(w.getExtraInfo('nope', 'dflt')).toBe('dflt');
      const all = readAll(c);
      c.resume();
      expect((await all).length).toBe(8 * 1024 * 1024);
      expect(drained).toBe(true);
      srv.close();
    });
  });

  it('a failing clientConnected is reported and closes its connection', async () => {
    const loop = makeLoop(selector);
    const seen = captureHandler(loop);
    await inLoop(loop, async () => {
      const boom = new Error('handler failed');
      const srv = await startServer(async (reader) => {
        await reader.readline();
        throw boom;
      }, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      const all = readAll(c);
      c.write('go\n');
      await all;
      await until('reported', () => seen.length === 1);
      expect(seen[0].message).toBe('Unhandled exception in client_connected_cb');
      expect(seen[0].exception).toBe(boom);
      const sync = await startServer(() => {
        throw boom;
      }, '127.0.0.1', 0);
      const c2 = await connect(portOf(sync));
      await readAll(c2);
      await until('reported twice', () => seen.length === 2);
      srv.close();
      sync.close();
    });
  });

  it('errors: refused, no running loop, bad arguments', async () => {
    const loop = makeLoop(selector);
    await expect(openConnection('127.0.0.1', 1)).rejects.toThrow(RuntimeError);
    await expect(startServer(() => {}, '127.0.0.1', 0)).rejects.toThrow('no running event loop');
    await inLoop(loop, async () => {
      const err = await openConnection('127.0.0.1', 1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionRefusedError);
      expect((err as Error).message).toBe("[Errno 111] Connect call failed ('127.0.0.1', 1)");
      await expect(startServer('x' as never, '127.0.0.1', 0)).rejects.toThrow(
        'startServer(): clientConnected must be a function, got string',
      );
      const [, w] = await openConnection('127.0.0.1', portOf(await echoServer()));
      expect(() => w.write('text' as never)).toThrow("data argument must be a bytes-like object, not 'str'");
      await w[Symbol.asyncDispose]();
      expect(w.isClosing()).toBe(true);
    });
  });

  it('Unix streams', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'evloop-streams-')), 's.sock');
      const srv = await startUnixServer(async (reader, writer) => {
        writer.write(await reader.readline());
        writer.close();
      }, p);
      const [r, w] = await openUnixConnection(p);
      w.write(enc('over unix\n'));
      expect((await r.readline()).toString()).toBe('over unix\n');
      expect(w.getExtraInfo('peername')).toBe(p);
      w.close();
      srv.close();
      await srv.waitClosed();
      expect(fs.existsSync(p)).toBe(false);
    });
  });
});
