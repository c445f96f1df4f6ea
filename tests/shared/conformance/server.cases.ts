// Server bookkeeping: serving state, sockets, close, waitClosed,
// closeClients/abortClients, startServing and serveForever.
import { expect } from 'vitest';
import { bytes, connectedPair, pause, portOf, Rec, recorders, ticks, track, until } from './kit.js';
import type { Case } from './register.js';

export const serverCases: Case[] = [
  {
    name: 'a new server is serving, with sockets that report its address; sockets is a new array on every read',
    run: (kind) =>
      kind.run(async (env) => {
        const srv = await env.serverLoop.createServer(() => new Rec(), env.listenHost, 0);
        expect(srv.isServing()).toBe(true);
        expect(srv.getLoop()).toBe(env.serverLoop);
        const socks = srv.sockets;
        expect(socks).toHaveLength(1);
        expect(srv.sockets).not.toBe(socks);
        const port = portOf(srv);
        expect(port).toBeGreaterThan(0);
        expect(socks[0].getsockname()).toEqual({ address: env.serverAddress, port, family: env.family });
        expect(socks[0].family).toBe(env.api.AF_INET);
        expect(socks[0].type).toBe(env.api.SOCK_STREAM);
        srv.close();
        await srv.waitClosed();
      }),
  },
  {
    name: 'close() stops listening at once and is idempotent; accepted connections stay open',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client, port } = await connectedPair(env);
        srv.close();
        srv.close();
        expect(srv.isServing()).toBe(false);
        expect(srv.sockets).toEqual([]);
        client.transport!.write(bytes('still here'));
        await until(env.loop, 'data after close', () => server.text === 'still here');
        expect(server.lost).toBe(false);
        const refused = await env.loop.createConnection(() => new Rec(), env.connectHost, port).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(env.api.ConnectionRefusedError);
        client.transport!.close();
        await srv.waitClosed();
      }),
  },
  {
    name: 'waitClosed() resolves only after close() and the last connection is lost',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client } = await connectedPair(env);
        const early = track(srv.waitClosed());
        await ticks(env.loop, 3);
        expect(early.done).toBe(false); // not closed yet
        srv.close();
        const late = track(srv.waitClosed());
        await pause(env.loop, 0.05);
        expect(early.done).toBe(false);
        expect(late.done).toBe(false);
        client.transport!.close();
        await until(env.loop, 'drained', () => early.done && late.done);
        expect(server.lost).toBe(true);
        expect(early.error).toBeUndefined();
      }),
  },
  {
    name: 'waitClosed() on a closed server without clients resolves at once, any number of times',
    run: (kind) =>
      kind.run(async (env) => {
        const srv = await env.serverLoop.createServer(() => new Rec(), env.listenHost, 0);
        srv.close();
        await srv.waitClosed();
        const a = track(srv.waitClosed());
        const b = track(srv.waitClosed());
        await ticks(env.loop, 2);
        expect(a.done && b.done).toBe(true);
      }),
  },
  {
    name: 'closeClients() closes the current clients gracefully; the server keeps serving',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client, made, port } = await connectedPair(env);
        server.transport!.write(bytes('bye'));
        srv.closeClients();
        await until(env.loop, 'both lost', () => server.lost && client.lost);
        expect(client.text).toBe('bye');
        expect(server.lostWith).toBeNull();
        expect(srv.isServing()).toBe(true);
        const [t2] = await env.loop.createConnection(() => new Rec(), env.connectHost, port);
        await until(env.loop, 'second client accepted', () => made.length === 2);
        t2.close();
        srv.close();
        await srv.waitClosed();
      }),
  },
  {
    name: 'abortClients() after close() ends a client with a full write buffer at once',
    timeoutMs: 30_000,
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client } = await connectedPair(env);
        client.keep = false;
        client.transport!.pauseReading();
        const t = server.transport!;
        const total = 16 * 1024 * 1024;
        t.write(new Uint8Array(total).fill(1));
        expect(t.getWriteBufferSize()).toBeGreaterThan(0);
        srv.close();
        srv.abortClients();
        const waited = track(srv.waitClosed());
        await until(env.loop, 'waitClosed', () => waited.done);
        expect(server.lostWith).toBeNull();
        client.transport!.resumeReading();
        await until(env.loop, 'client lost', () => client.lost);
        expect(client.bytes).toBeLessThan(total);
      }),
  },
  {
    name: 'startServing: false leaves a server not serving until startServing()',
    run: (kind) =>
      kind.run(async (env) => {
        const { made, factory } = recorders();
        const srv = await env.serverLoop.createServer(factory, env.listenHost, 0, { startServing: false });
        expect(srv.isServing()).toBe(false);
        await srv.startServing();
        expect(srv.isServing()).toBe(true);
        const [t] = await env.loop.createConnection(() => new Rec(), env.connectHost, portOf(srv));
        await until(env.loop, 'accepted', () => made.length === 1);
        t.close();
        srv.close();
        await expect(srv.startServing()).rejects.toThrow(env.api.RuntimeError);
        expect(srv.isServing()).toBe(false);
      }),
  },
  {
    name: 'clientCount() counts accepted connections until their connectionLost ran',
    run: (kind) =>
      kind.run(async (env) => {
        const { srv, server, client, made, port } = await connectedPair(env);
        expect(srv.clientCount()).toBe(1);
        const [other] = await env.loop.createConnection(() => new Rec(), env.connectHost, port);
        await until(env.loop, 'the second accepted', () => made.length === 2 && made[1].transport !== null);
        expect(srv.clientCount()).toBe(2);
        client.transport?.close();
        await until(env.loop, 'the first server side lost', () => server.lost);
        expect(srv.clientCount()).toBe(1);
        other.close();
        await until(env.loop, 'the second server side lost', () => made[1].lost);
        expect(srv.clientCount()).toBe(0);
        srv.close();
      }),
  },
  {
    name: 'cancelling serveForever() closes the server and rejects it with CancelledError',
    run: (kind) =>
      kind.run(async (env) => {
        const srv = await env.serverLoop.createServer(() => new Rec(), env.listenHost, 0);
        const forever = srv.serveForever();
        const state = track(forever);
        await ticks(env.loop, 2);
        expect(state.done).toBe(false);
        expect(forever.cancel()).toBe(true);
        await until(env.loop, 'serveForever ended', () => state.done);
        expect(state.error).toBeInstanceOf(env.api.CancelledError);
        expect(srv.isServing()).toBe(false);
        expect(srv.sockets).toEqual([]);
      }),
  },
];
