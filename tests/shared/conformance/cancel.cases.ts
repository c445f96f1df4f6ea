// Cancelling the package's own awaitables (issue 16): every one is an evloop Future, so a task
// waiting in a stream read, drain, waitClosed, a server wait or a connect is cancelled at that
// await, with CancelledError(msg), by the next iteration (asyncio throws it in then); and the
// cancelled call gives up nothing (asyncio: cancelling readexactly loses no bytes, a cancelled
// drain leaves the data queued, a cancelled connect closes its socket).
//
// Each waiting task's function returns the Future it waits for, made in its first step, so the
// cases hold in browsers too (no async context: docs/tasks.md, "Browsers").
import { expect } from 'vitest';
import type { ConfFuture, ConfReader, ConfServer, ConfTask, ConfWriter, Env } from './kit.js';
import { bytes, portOf, Rec, ticks, text, until } from './kit.js';
import type { Case } from './register.js';

async function errorOf(p: PromiseLike<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** A connected stream pair: the body's reader and writer, and the server side's. */
async function streams(env: Env): Promise<{ srv: ConfServer; reader: ConfReader; writer: ConfWriter; peer: { reader: ConfReader; writer: ConfWriter } }> {
  let peer: { reader: ConfReader; writer: ConfWriter } | null = null;
  const srv = await env.onServer(() =>
    env.api.startServer((reader, writer) => {
      peer = { reader, writer };
    }, env.listenHost, 0),
  );
  const [reader, writer] = await env.api.openConnection(env.connectHost, portOf(srv));
  await until(env.loop, 'the server side', () => peer !== null);
  return { srv, reader, writer, peer: peer as unknown as { reader: ConfReader; writer: ConfWriter } };
}

/** Cancels `task` (waiting, not done) with `msg`; it must end cancelled by the next iteration. */
async function cancelNow(env: Env, task: ConfTask<unknown>, msg: string): Promise<void> {
  expect(task.done()).toBe(false);
  expect(task.cancel(msg)).toBe(true);
  await ticks(env.loop, 1);
  expect(task.cancelled()).toBe(true);
  const e = await errorOf(task);
  expect(e).toBeInstanceOf(env.api.CancelledError);
  expect((e as Error).message).toBe(msg);
}

/** Whether the reader's repr shows `n` buffered bytes (asyncio's `<StreamReader 3 bytes ...>`). */
const buffered = (reader: ConfReader, n: number): boolean => String(reader).includes(`${n} bytes`);

export const cancelCases: Case[] = [
  {
    name: 'cancel during readexactly: CancelledError(msg) at once, and the bytes already buffered stay for the next read',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, reader, writer, peer } = await streams(env);
        const task = env.loop.createTask(() => reader.readexactly(5));
        peer.writer.write(bytes('abc'));
        await until(env.loop, 'three bytes buffered', () => buffered(reader, 3));
        await cancelNow(env, task, 'stop reading');
        peer.writer.write(bytes('de'));
        expect(text(await reader.readexactly(5))).toBe('abcde');
        writer.close();
        srv.close();
      }),
  },
  {
    name: 'cancel during read, readline and readuntil: CancelledError(msg); the reader takes the next read',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, reader, writer, peer } = await streams(env);
        const forms: [string, () => PromiseLike<Uint8Array>][] = [
          ['read', () => reader.read(10)],
          ['readline', () => reader.readline()],
          ['readuntil', () => reader.readuntil(bytes('|'))],
          ['readexactly', () => reader.readexactly(4)],
        ];
        for (const [name, form] of forms) {
          const task = env.loop.createTask(form);
          await ticks(env.loop, 2);
          await cancelNow(env, task, `stop ${name}`);
        }
        // No read is left waiting ("called while another coroutine is already waiting" otherwise).
        peer.writer.write(bytes('line|\n'));
        expect(text(await reader.readuntil(bytes('|')))).toBe('line|');
        expect(text(await reader.readline())).toBe('\n');
        writer.close();
        srv.close();
      }),
  },
  {
    name: 'waitFor(reader.readexactly(n), t) times out with TimeoutError and loses nothing',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, reader, writer, peer } = await streams(env);
        peer.writer.write(bytes('abc'));
        await until(env.loop, 'three bytes buffered', () => buffered(reader, 3));
        const task = env.loop.createTask(() => env.api.waitFor(reader.readexactly(5), 0.05));
        const e = await errorOf(task);
        expect(e).toBeInstanceOf(env.api.TimeoutError);
        expect(buffered(reader, 3)).toBe(true);
        peer.writer.write(bytes('de'));
        expect(text(await reader.readexactly(5))).toBe('abcde');
        writer.close();
        srv.close();
      }),
  },
  {
    name: 'cancel during drain: CancelledError(msg), and the data stays queued and is all delivered',
    timeoutMs: 30_000,
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, writer, peer } = await streams(env);
        const chunk = new Uint8Array(1 << 20).fill(7);
        let sent = 0;
        // Past the high-water mark (64 KiB) while the peer does not read, and still past it once
        // the sends in flight had time to complete (a completion loop counts them in the buffer
        // until the kernel takes them): the kernel's buffers are full, so drain() must wait.
        for (;;) {
          if (sent >= 64 << 20) throw new Error('the peer took 64 MiB without reading');
          writer.write(chunk);
          sent += chunk.length;
          await ticks(env.loop, 1);
          if (writer.transport.getWriteBufferSize() <= 65536) continue;
          await ticks(env.loop, 5);
          if (writer.transport.getWriteBufferSize() > 65536) break;
        }
        const task = env.loop.createTask(() => writer.drain());
        await ticks(env.loop, 2);
        await cancelNow(env, task, 'stop draining');
        expect(writer.transport.getWriteBufferSize()).toBeGreaterThan(0);
        writer.writeEof();
        let got = 0;
        for (;;) {
          const b = await peer.reader.read(1 << 20);
          if (b.length === 0) break;
          got += b.length;
        }
        expect(got).toBe(sent);
        writer.close();
        srv.close();
      }),
  },
  {
    name: "cancel during writer.waitClosed(): CancelledError(msg); the connection stays open",
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, reader, writer, peer } = await streams(env);
        const task = env.loop.createTask(() => writer.waitClosed());
        await ticks(env.loop, 2);
        await cancelNow(env, task, 'stop waiting');
        expect(writer.isClosing()).toBe(false);
        writer.write(bytes('still here\n'));
        expect(text(await peer.reader.readline())).toBe('still here\n');
        peer.writer.close();
        expect((await reader.read()).length).toBe(0);
        writer.close();
        await writer.waitClosed();
        srv.close();
      }),
  },
  {
    name: 'cancel during server.waitClosed() and serveForever(): CancelledError(msg); serveForever closes the server',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, writer, peer } = await streams(env);
        srv.close();
        const waiting = env.loop.createTask(() => srv.waitClosed());
        await ticks(env.loop, 2);
        await cancelNow(env, waiting, 'stop waiting');
        writer.close();
        peer.writer.close();
        await srv.waitClosed(); // a fresh wait: the last connection is gone

        const other = await env.serverLoop.createServer(() => new Rec(), env.listenHost, 0, { startServing: false });
        const forever = env.loop.createTask(() => other.serveForever());
        await ticks(env.loop, 2);
        expect(other.isServing()).toBe(true);
        // asyncio's serve_forever closes the server and waits for waitClosed() before it ends.
        expect(forever.cancel('stop serving')).toBe(true);
        const e = await errorOf(forever);
        expect(e).toBeInstanceOf(env.api.CancelledError);
        expect((e as Error).message).toBe('stop serving');
        expect(other.isServing()).toBe(false);
        expect(other.sockets).toEqual([]);
      }),
  },
  {
    name: 'a connect cancelled once connectionMade ran closes the half-made connection: both ends see it lost',
    run: (kind) =>
      kind.run(async (env) => {
        const served: Rec[] = [];
        const srv = await env.serverLoop.createServer(
          () => {
            const r = new Rec();
            served.push(r);
            return r;
          },
          env.listenHost,
          0,
        );
        let cancelled: boolean | null = null;
        const mine = new Rec();
        // An evloop Future (the kit types it as a promise).
        const connecting = env.loop.createConnection(() => mine, env.connectHost, portOf(srv)) as unknown as ConfFuture<unknown>;
        // connectionMade runs one iteration before the call resolves (asyncio's waiter).
        mine.connectionMade = (t) => {
          Rec.prototype.connectionMade.call(mine, t);
          cancelled = connecting.cancel('too late');
        };
        const e = await errorOf(connecting);
        expect(cancelled).toBe(true);
        expect(e).toBeInstanceOf(env.api.CancelledError);
        expect((e as Error).message).toBe('too late');
        await until(env.loop, 'the client end lost', () => mine.lost);
        await until(env.loop, 'the server end lost', () => served.length === 1 && served[0].lost);
        srv.close();
      }),
  },
  {
    name: 'openConnection and startServer cancelled before they finish: CancelledError, nothing is left open',
    run: (kind) =>
      kind.run(async (env) => {
        const served: Rec[] = [];
        const srv = await env.serverLoop.createServer(
          () => {
            const r = new Rec();
            served.push(r);
            return r;
          },
          env.listenHost,
          0,
        );
        const opening = env.api.openConnection(env.connectHost, portOf(srv)) as unknown as ConfTask<unknown>;
        expect(opening.cancel('never mind')).toBe(true);
        const e = await errorOf(opening);
        expect(e).toBeInstanceOf(env.api.CancelledError);
        const starting = (await env.onServer(async () => ({
          fut: env.api.startServer(() => {}, env.listenHost, 0) as unknown as ConfTask<unknown>,
        }))).fut;
        expect(starting.cancel()).toBe(true);
        expect(await errorOf(starting)).toBeInstanceOf(env.api.CancelledError);
        await until(env.loop, 'every accepted connection lost', () => served.every((r) => r.lost));
        srv.close();
      }),
  },
];
