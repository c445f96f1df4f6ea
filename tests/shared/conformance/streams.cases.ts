// Streams: startServer (on the server loop) and openConnection (on the
// body's loop), the reads and their errors, drain and waitClosed.
import { expect } from 'vitest';
import type { ConfReader, ConfServer, ConfWriter, Env } from './kit.js';
import { bytes, pause, portOf, text, until } from './kit.js';
import type { Case } from './register.js';

/** A stream server on the server loop. */
function startServer(
  env: Env,
  handler: (reader: ConfReader, writer: ConfWriter) => void | PromiseLike<void>,
  opts?: { limit?: number },
): Promise<ConfServer> {
  return env.onServer(() => env.api.startServer(handler, env.listenHost, 0, opts));
}

/** A server that sends `payload` to each client and closes. */
function sender(env: Env, payload: string): Promise<ConfServer> {
  return startServer(env, (_reader, writer) => {
    writer.write(bytes(payload));
    writer.close();
  });
}

/** An echo server whose handler echoes lines until EOF. */
function lineEcho(env: Env): Promise<ConfServer> {
  return startServer(env, async (reader, writer) => {
    for await (const line of reader) {
      writer.write(line);
      await writer.drain();
    }
    writer.close();
    await writer.waitClosed();
  });
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
};

export const streamCases: Case[] = [
  {
    name: 'streams echo: readline, readexactly, readuntil, then EOF after writeEof',
    run: (kind) =>
      kind.run(async (env) => {
        const srv = await lineEcho(env);
        expect(srv.getLoop()).toBe(env.serverLoop);
        const [reader, writer] = await env.api.openConnection(env.connectHost, portOf(srv));
        writer.write(bytes('one\n'));
        writer.writelines([bytes('two\n'), bytes('thr'), bytes('ee\n')]);
        expect(text(await reader.readline())).toBe('one\n');
        expect(text(await reader.readline())).toBe('two\n');
        expect(text(await reader.readexactly(4))).toBe('thre');
        expect(text(await reader.readuntil(bytes('\n')))).toBe('e\n');
        expect(writer.canWriteEof()).toBe(true);
        writer.writeEof();
        expect((await reader.read()).length).toBe(0);
        expect(reader.atEof()).toBe(true);
        writer.close();
        expect(writer.isClosing()).toBe(true);
        await writer.waitClosed();
        srv.close();
        await srv.waitClosed();
      }),
  },
  {
    name: 'read(n) returns at most n bytes; read() reads until EOF; read(0) is empty',
    run: (kind) =>
      kind.run(async (env) => {
        const srv = await sender(env, 'alpha\nbeta\ngamma');
        const [r, w] = await env.api.openConnection(env.connectHost, portOf(srv));
        const first = await r.read(3);
        expect(first.length).toBeGreaterThan(0);
        expect(first.length).toBeLessThanOrEqual(3);
        const rest = await r.read();
        expect(text(concat(first, rest))).toBe('alpha\nbeta\ngamma');
        expect((await r.read(0)).length).toBe(0);
        expect(r.atEof()).toBe(true);
        w.close();
        srv.close();
      }),
  },
  {
    name: 'async iteration over a reader yields its lines, the last one partial',
    run: (kind) =>
      kind.run(async (env) => {
        const srv = await sender(env, 'alpha\nbeta\ngamma');
        const [r, w] = await env.api.openConnection(env.connectHost, portOf(srv));
        const lines: string[] = [];
        for await (const line of r) lines.push(text(line));
        expect(lines).toEqual(['alpha\n', 'beta\n', 'gamma']);
        expect(text(await r.readline())).toBe('');
        w.close();
        srv.close();
      }),
  },
  {
    name: 'readexactly at EOF: IncompleteReadError with the partial bytes and the expected count',
    run: (kind) =>
      kind.run(async (env) => {
        const srv = await sender(env, '12345');
        const [r, w] = await env.api.openConnection(env.connectHost, portOf(srv));
        const e = (await r.readexactly(10).catch((x: unknown) => x)) as Error & { partial: Uint8Array; expected: number | null };
        expect(e).toBeInstanceOf(env.api.IncompleteReadError);
        expect(e.name).toBe('IncompleteReadError');
        expect(text(e.partial)).toBe('12345');
        expect(e.expected).toBe(10);
        expect(e.message).toBe('5 bytes read on a total of 10 expected bytes');
        await expect(r.readexactly(-1)).rejects.toThrow('readexactly size can not be less than zero');
        w.close();
        srv.close();
      }),
  },
  {
    name: 'readuntil at EOF: IncompleteReadError without an expected count; an empty separator is refused',
    run: (kind) =>
      kind.run(async (env) => {
        const srv = await sender(env, '12345');
        const [r, w] = await env.api.openConnection(env.connectHost, portOf(srv));
        const e = (await r.readuntil(bytes('!')).catch((x: unknown) => x)) as Error & { partial: Uint8Array; expected: number | null };
        expect(e).toBeInstanceOf(env.api.IncompleteReadError);
        expect(text(e.partial)).toBe('12345');
        expect(e.expected).toBeNull();
        await expect(r.readuntil(new Uint8Array(0))).rejects.toThrow('Separator should be at least one-byte string');
        w.close();
        srv.close();
      }),
  },
  {
    name: 'readuntil past the limit is LimitOverrunError; readline past it a ValueError; the next line reads',
    run: (kind) =>
      kind.run(async (env) => {
        const srv = await startServer(env, (_reader, writer) => {
          writer.write(bytes('a-rather-long-line\nok\n'));
        });
        const [r, w] = await env.api.openConnection(env.connectHost, portOf(srv), { limit: 8 });
        const e = (await r.readuntil([bytes('\n')]).catch((x: unknown) => x)) as Error & { consumed: number };
        expect(e).toBeInstanceOf(env.api.LimitOverrunError);
        expect(e.consumed).toBeGreaterThan(0);
        const e2 = await r.readline().catch((x: unknown) => x);
        expect(e2).toBeInstanceOf(env.api.ValueError);
        expect(text(await r.readline())).toBe('ok\n');
        w.close();
        srv.close();
      }),
  },
  {
    name: 'drain() waits until a slow peer reads',
    timeoutMs: 30_000,
    run: (kind) =>
      kind.run(async (env) => {
        // More than the kernel's buffers and a reading side's read-ahead hold
        // together (the proactor's multishot receive may bring up to its ring,
        // 4 MiB, before a pause takes effect: docs/proactor.md).
        const total = 32 * 1024 * 1024;
        let drained = false;
        let serverWriter: ConfWriter | null = null;
        const srv = await startServer(env, async (_reader, writer) => {
          serverWriter = writer;
          writer.write(new Uint8Array(total).fill(1));
          await writer.drain();
          drained = true;
          writer.close();
        });
        const [r, w] = await env.api.openConnection(env.connectHost, portOf(srv));
        await until(env.loop, 'handler started', () => serverWriter !== null);
        await pause(env.loop, 0.05);
        expect(drained).toBe(false);
        const sw = serverWriter as unknown as ConfWriter;
        expect(sw.transport.getWriteBufferSize()).toBeGreaterThan(0);
        let got = 0;
        for (;;) {
          const chunk = await r.read(1 << 20);
          if (chunk.length === 0) break;
          got += chunk.length;
        }
        expect(got).toBe(total);
        expect(drained).toBe(true);
        w.close();
        srv.close();
      }),
  },
  {
    name: 'writer.getExtraInfo gives the addresses; waitClosed resolves after close()',
    run: (kind) =>
      kind.run(async (env) => {
        let serverSide: ConfWriter | null = null;
        const srv = await startServer(env, (_reader, writer) => {
          serverSide = writer;
        });
        const port = portOf(srv);
        const [, w] = await env.api.openConnection(env.connectHost, port);
        expect(w.getExtraInfo('peername')).toEqual({ address: env.serverAddress, port, family: env.family });
        const mine = w.getExtraInfo('sockname') as { address: string; port: number; family: string };
        expect(mine.address).toBe(env.clientAddress);
        expect(w.getExtraInfo('nope', 'dflt')).toBe('dflt');
        await until(env.loop, 'the server side', () => serverSide !== null);
        expect((serverSide as unknown as ConfWriter).getExtraInfo('peername')).toEqual(mine);
        expect(w.isClosing()).toBe(false);
        w.close();
        expect(w.isClosing()).toBe(true);
        await w.waitClosed();
        srv.close();
      }),
  },
  {
    name: 'openConnection to a port without listener rejects with ConnectionRefusedError',
    run: (kind) =>
      kind.run(async (env) => {
        const srv = await sender(env, '');
        const port = portOf(srv);
        srv.close();
        await srv.waitClosed();
        const e = (await env.api.openConnection(env.connectHost, port).catch((x: unknown) => x)) as { code?: string };
        expect(e).toBeInstanceOf(env.api.ConnectionRefusedError);
        expect(e.code).toBe('ECONNREFUSED');
      }),
  },
];
