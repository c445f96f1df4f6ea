// Networking cases over protocols and transports: both ends are loop
// transports (a server on the kind's server loop, a client on its loop).
import { expect } from 'vitest';
import type { ConfSocket, ConfTransport } from './kit.js';
import { bytes, connectedPair, Echo, pause, portOf, Rec, ticks, until } from './kit.js';
import type { Case } from './register.js';

/** A transfer that no socket buffer (real or simulated) absorbs. */
const BULK = 16 * 1024 * 1024;

export const netCases: Case[] = [
  {
    name: 'echo over createServer and createConnection: bytes arrive intact, write and writelines',
    run: (kind) =>
      kind.run(async (env) => {
        const srv = await env.serverLoop.createServer(() => new Echo(), env.listenHost, 0);
        const rec = new Rec();
        const [t, p] = await env.loop.createConnection(() => rec, env.connectHost, portOf(srv));
        expect(p).toBe(rec);
        expect(rec.transport).toBe(t);
        expect(rec.events).toEqual(['made']); // resolved once connectionMade ran
        t.write(bytes('hello, '));
        t.writelines([bytes('wor'), bytes('ld')]);
        t.write(new Uint8Array(0));
        const binary = new Uint8Array(256).map((_, i) => i);
        t.write(binary);
        await until(env.loop, 'the echo', () => rec.bytes === 12 + 256);
        const all = new Uint8Array(rec.bytes);
        let at = 0;
        for (const c of rec.chunks) {
          all.set(c, at);
          at += c.length;
        }
        expect(new TextDecoder().decode(all.subarray(0, 12))).toBe('hello, world');
        expect(all.subarray(12)).toEqual(binary);
        t.close();
        srv.close();
        await srv.waitClosed();
      }),
  },
  {
    name: 'write() refuses a string with a TypeError',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, client } = await connectedPair(env);
        const t = client.transport!;
        expect(() => t.write('text' as never)).toThrow(TypeError);
        expect(() => t.write('text' as never)).toThrow("data argument must be a bytes-like object, not 'str'");
        t.close();
        srv.close();
      }),
  },
  {
    name: 'a clean close: data, then eofReceived, then connectionLost(null), each side exactly once',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client } = await connectedPair(env);
        client.transport!.write(bytes('last words'));
        client.transport!.close();
        expect(client.transport!.isClosing()).toBe(true);
        await until(env.loop, 'both sides lost', () => server.lost && client.lost);
        expect(server.text).toBe('last words');
        expect(server.shape).toEqual(['made', 'data', 'eof', 'lost']);
        expect(server.lostWith).toBeNull();
        expect(client.lostWith).toBeNull();
        client.transport!.close();
        client.transport!.abort();
        await ticks(env.loop, 3);
        expect(client.count('lost')).toBe(1);
        expect(server.count('lost')).toBe(1);
        srv.close();
      }),
  },
  {
    name: 'writeEof half-closes after the buffered data; eofReceived returning true keeps the connection open',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client } = await connectedPair(env, (r) => {
          r.keepOpen = true;
        });
        const t = client.transport!;
        expect(t.canWriteEof()).toBe(true);
        t.write(bytes('question'));
        t.writeEof();
        t.writeEof();
        expect(() => t.write(bytes('more'))).toThrow(env.api.RuntimeError);
        expect(() => t.write(bytes('more'))).toThrow('Cannot call write() after write_eof()');
        await until(env.loop, 'eof on the server', () => server.count('eof') === 1);
        expect(server.text).toBe('question');
        await pause(env.loop, 0.02);
        expect(server.lost).toBe(false);
        expect(server.transport!.isClosing()).toBe(false);
        server.transport!.write(bytes('answer'));
        server.transport!.close();
        await until(env.loop, 'both lost', () => client.lost && server.lost);
        expect(client.text).toBe('answer');
        expect(client.shape).toEqual(['made', 'data', 'eof', 'lost']);
        expect(client.lostWith).toBeNull();
        expect(server.lostWith).toBeNull();
        srv.close();
      }),
  },
  {
    name: 'eofReceived returning nothing closes the transport: connectionLost(null)',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client } = await connectedPair(env);
        client.transport!.writeEof();
        await until(env.loop, 'server lost', () => server.lost);
        expect(server.events).toEqual(['made', 'eof', 'lost']);
        expect(server.lostWith).toBeNull();
        await until(env.loop, 'client sees the close', () => client.lost);
        expect(client.lostWith).toBeNull();
        srv.close();
      }),
  },
  {
    name: 'close() flushes what is buffered before closing',
    timeoutMs: 30_000,
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client } = await connectedPair(env);
        client.keep = false;
        const t = server.transport!;
        t.write(new Uint8Array(BULK).fill(3));
        expect(t.getWriteBufferSize()).toBeGreaterThan(0);
        t.close();
        expect(t.isClosing()).toBe(true);
        await until(env.loop, 'everything and the close', () => client.lost, 20);
        expect(client.bytes).toBe(BULK);
        expect(client.lostWith).toBeNull();
        await until(env.loop, 'server lost', () => server.lost);
        expect(server.lostWith).toBeNull();
        expect(server.count('lost')).toBe(1);
        srv.close();
      }),
  },
  {
    name: 'abort() drops the buffer at once; connectionLost(null) exactly once; the peer ends too',
    timeoutMs: 30_000,
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client } = await connectedPair(env);
        client.keep = false;
        client.transport!.pauseReading();
        const t = server.transport!;
        t.write(new Uint8Array(BULK).fill(7));
        expect(t.getWriteBufferSize()).toBeGreaterThan(0);
        t.abort();
        expect(t.isClosing()).toBe(true);
        expect(t.getWriteBufferSize()).toBe(0);
        await until(env.loop, 'server lost', () => server.lost);
        expect(server.lostWith).toBeNull();
        t.abort();
        t.close();
        client.transport!.resumeReading();
        await until(env.loop, 'client lost', () => client.lost);
        expect(client.bytes).toBeLessThan(BULK);
        // The peer may see a reset or an orderly end, as on TCP.
        expect(client.lostWith === null || client.lostWith instanceof env.api.ConnectionResetError).toBe(true);
        await ticks(env.loop, 3);
        expect(server.count('lost')).toBe(1);
        expect(client.count('lost')).toBe(1);
        srv.close();
      }),
  },
  {
    name: 'writes after close() are dropped silently',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client } = await connectedPair(env);
        const t = server.transport!;
        t.close();
        t.write(bytes('late'));
        await until(env.loop, 'lost', () => server.lost && client.lost);
        t.write(bytes('later'));
        expect(client.bytes).toBe(0);
        srv.close();
      }),
  },
  {
    name: 'a refused connection is ConnectionRefusedError with code, errno and asyncio\'s text',
    run: (kind) =>
      kind.run(async (env) => {
        const srv = await env.serverLoop.createServer(() => new Rec(), env.listenHost, 0);
        const port = portOf(srv);
        srv.close();
        await srv.waitClosed();
        const err = (await env.loop.createConnection(() => new Rec(), env.connectHost, port).catch((e: unknown) => e)) as {
          code?: string;
          errno?: number;
          message: string;
        };
        expect(err).toBeInstanceOf(env.api.ConnectionRefusedError);
        expect(err).toBeInstanceOf(env.api.OSError);
        expect(err.code).toBe('ECONNREFUSED');
        expect(err.errno).toBe(111);
        expect(err.message).toBe(`[Errno 111] Connect call failed ('${env.connectHost}', ${port})`);
      }),
  },
  {
    name: 'a protocol method that throws: the handler gets the error, connectionLost the same error',
    run: (kind) =>
      kind.run(async (env) => {
        const contexts: Record<string, unknown>[] = [];
        env.serverLoop.setExceptionHandler((_l, ctx) => contexts.push(ctx));
        const boom = new Error('cannot digest');
        let lost: unknown = 'not yet';
        const srv = await env.serverLoop.createServer(
          () => ({
            dataReceived() {
              throw boom;
            },
            connectionLost(e: Error | null) {
              lost = e;
            },
          }),
          env.listenHost,
          0,
        );
        const [t, client] = await env.loop.createConnection(() => new Rec(), env.connectHost, portOf(srv));
        t.write(bytes('x'));
        await until(env.loop, 'both lost', () => lost !== 'not yet' && client.lost);
        expect(lost).toBe(boom);
        expect(contexts).toHaveLength(1);
        expect(contexts[0].message).toBe('Fatal error: protocol.data_received() call failed.');
        expect(contexts[0].exception).toBe(boom);
        srv.close();
      }),
  },
  {
    name: 'pauseReading holds data back until resumeReading; both are idempotent',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client } = await connectedPair(env);
        const t = server.transport!;
        expect(t.isReading()).toBe(true);
        t.pauseReading();
        t.pauseReading();
        expect(t.isReading()).toBe(false);
        client.transport!.write(bytes('while paused'));
        await pause(env.loop, 0.05);
        expect(server.count('data')).toBe(0);
        t.resumeReading();
        t.resumeReading();
        expect(t.isReading()).toBe(true);
        await until(env.loop, 'delivered', () => server.text === 'while paused');
        t.close();
        expect(t.isReading()).toBe(false);
        t.pauseReading();
        t.resumeReading();
        expect(t.isReading()).toBe(false);
        srv.close();
      }),
  },
  {
    name: 'write buffer limits: defaults, high alone, low alone, and bad values',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, client } = await connectedPair(env);
        const t = client.transport!;
        expect(t.getWriteBufferLimits()).toEqual([16384, 65536]);
        t.setWriteBufferLimits(1000);
        expect(t.getWriteBufferLimits()).toEqual([250, 1000]);
        t.setWriteBufferLimits(undefined, 100);
        expect(t.getWriteBufferLimits()).toEqual([100, 400]);
        t.setWriteBufferLimits();
        expect(t.getWriteBufferLimits()).toEqual([16384, 65536]);
        expect(() => t.setWriteBufferLimits(10, 20)).toThrow(env.api.ValueError);
        expect(() => t.setWriteBufferLimits(10, 20)).toThrow('high (10) must be >= low (20) must be >= 0');
        expect(t.getWriteBufferSize()).toBe(0);
        t.close();
        srv.close();
      }),
  },
  {
    name: 'a slow reader: pauseWriting once past the high mark, resumeWriting once drained',
    timeoutMs: 30_000,
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client } = await connectedPair(env);
        client.keep = false;
        client.transport!.pauseReading();
        const t = server.transport!;
        t.write(new Uint8Array(BULK).fill(1));
        expect(t.getWriteBufferSize()).toBeGreaterThan(65536);
        expect(server.events.at(-1)).toBe('pause'); // inside the write call
        await pause(env.loop, 0.05);
        expect(server.count('resume')).toBe(0);
        client.transport!.resumeReading();
        await until(env.loop, 'resumed', () => server.count('resume') === 1, 20);
        expect(t.getWriteBufferSize()).toBeLessThanOrEqual(16384);
        expect(server.count('pause')).toBe(1);
        await until(env.loop, 'all read', () => client.bytes === BULK, 20);
        t.close();
        srv.close();
      }),
  },
  {
    name: 'lowering the limits below what is buffered calls pauseWriting at once',
    timeoutMs: 30_000,
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client } = await connectedPair(env);
        client.keep = false;
        client.transport!.pauseReading();
        const t = server.transport!;
        t.setWriteBufferLimits(1 << 30);
        t.write(new Uint8Array(BULK).fill(2));
        expect(t.getWriteBufferSize()).toBeGreaterThan(10 * 1024);
        expect(server.count('pause')).toBe(0);
        t.setWriteBufferLimits(1000);
        expect(server.events.at(-1)).toBe('pause');
        client.transport!.resumeReading();
        await until(env.loop, 'resumed', () => server.count('resume') === 1, 20);
        expect(t.getWriteBufferSize()).toBeLessThanOrEqual(250);
        t.abort();
        srv.close();
      }),
  },
  {
    name: "getExtraInfo: peername and sockname of both ends, the socket, a default for unknown names",
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client, port } = await connectedPair(env);
        const st = server.transport!;
        const ct = client.transport!;
        const clientName = ct.getExtraInfo('sockname') as { address: string; port: number; family: string };
        expect(clientName).toEqual({ address: env.clientAddress, port: clientName.port, family: env.family });
        expect(clientName.port).toBeGreaterThan(0);
        expect(ct.getExtraInfo('peername')).toEqual({ address: env.serverAddress, port, family: env.family });
        expect(st.getExtraInfo('sockname')).toEqual({ address: env.serverAddress, port, family: env.family });
        expect(st.getExtraInfo('peername')).toEqual(clientName);
        const sock = st.getExtraInfo('socket') as ConfSocket;
        expect(sock.family).toBe(env.api.AF_INET);
        expect(sock.type).toBe(env.api.SOCK_STREAM);
        expect(sock.getpeername()).toEqual(clientName);
        expect(sock.getsockname()).toEqual({ address: env.serverAddress, port, family: env.family });
        expect(st.getExtraInfo('nonsense')).toBeUndefined();
        expect(st.getExtraInfo('nonsense', 42)).toBe(42);
        ct.close();
        srv.close();
      }),
  },
  {
    name: 'getProtocol() is the protocol until the connection is lost',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client } = await connectedPair(env);
        const t: ConfTransport = server.transport!;
        expect(t.getProtocol()).toBe(server);
        client.transport!.close();
        await until(env.loop, 'lost', () => server.lost);
        srv.close();
      }),
  },
  {
    name: 'TransportSocket.fileno() is the descriptor of the connection, which addReader and removeReader refuse',
    needs: ['fds'],
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, client } = await connectedPair(env);
        const sock = client.transport!.getExtraInfo('socket') as ConfSocket;
        const fd = sock.fileno();
        expect(fd).toBeGreaterThanOrEqual(0);
        expect(() => env.loop.addReader(fd, () => {})).toThrow(env.api.RuntimeError);
        expect(() => env.loop.addReader(fd, () => {})).toThrow(new RegExp(`^File descriptor ${fd} is used by transport`));
        expect(() => env.loop.removeReader(fd)).toThrow(/is used by transport/); // as asyncio's check
        client.transport!.close();
        srv.close();
      }),
  },
  {
    name: 'Unix sockets: createUnixServer and createUnixConnection echo, addresses are paths',
    needs: ['unix'],
    run: (kind) =>
      kind.run(async (env) => {
        const path = env.unixPath();
        const srv = await env.serverLoop.createUnixServer(() => new Echo(), path);
        expect(srv.sockets[0].getsockname()).toBe(path);
        const [t, rec] = await env.loop.createUnixConnection(() => new Rec(), path);
        expect(t.getExtraInfo('peername')).toBe(path);
        t.write(bytes('over a path'));
        await until(env.loop, 'echo', () => rec.text === 'over a path');
        t.close();
        await until(env.loop, 'lost', () => rec.lost);
        srv.close();
        await srv.waitClosed();
      }),
  },
];
