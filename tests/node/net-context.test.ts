// Protocol and stream callbacks run in the async context of their transport's creation (issue
// 16; asyncio copies the context once per transport): an AsyncLocalStorage value current at
// createServer / createConnection / startServer / openConnection is what connectionMade,
// dataReceived, eofReceived, connectionLost and clientConnected see, whatever is current when
// the data arrives. They are not part of the task that created the transport. Peers are
// node:net sockets where the server side is under test.
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { currentTask, openConnection, startServer, type Protocol, type Transport } from 'evloop';
import { closed, connect, inLoop, LOOPS, makeLoop, portOf, until } from './net-helpers.js';

/** A protocol that records, for each callback, the store it saw and whether a task was current. */
class Seeing implements Protocol {
  seen: string[] = [];
  transport: Transport | null = null;
  lost = false;
  constructor(private readonly als: AsyncLocalStorage<string>) {}
  #see(what: string): void {
    this.seen.push(`${what}:${this.als.getStore() ?? '-'}${currentTask() === null ? '' : ':in-task'}`);
  }
  connectionMade(t: Transport): void {
    this.transport = t;
    this.#see('made');
  }
  dataReceived(): void {
    if (!this.seen.some((s) => s.startsWith('data'))) this.#see('data');
  }
  eofReceived(): boolean {
    this.#see('eof');
    return false;
  }
  connectionLost(): void {
    this.#see('lost');
    this.lost = true;
  }
}

for (const kind of LOOPS) {
  describe(`async context of transports on loop ${kind}`, () => {
    it('a server\'s protocols run in the context of createServer, a client\'s in that of createConnection', async () => {
      const als = new AsyncLocalStorage<string>();
      const loop = makeLoop(kind);
      await inLoop(loop, async () => {
        const served: Seeing[] = [];
        const srv = await als.run('server', () =>
          loop.createServer(() => {
            const p = new Seeing(als);
            served.push(p);
            return p;
          }, '127.0.0.1', 0),
        );
        // A node:net peer, driven while another context is current in this task.
        als.enterWith('elsewhere');
        const peer = await connect(portOf(srv));
        peer.write('hello');
        peer.end();
        await until('the server side lost', () => served.length === 1 && served[0].lost);
        expect(served[0].seen).toEqual(['made:server', 'data:server', 'eof:server', 'lost:server']);

        const mine = new Seeing(als);
        const [t] = await als.run('client', () => loop.createConnection(() => mine, '127.0.0.1', portOf(srv)));
        t.close();
        await until('the client side lost', () => mine.lost);
        expect(mine.seen).toEqual(['made:client', 'lost:client']);
        expect(als.getStore()).toBe('elsewhere');
        srv.close();
        await closed(peer);
      });
    });

    it('clientConnected runs in the context of startServer; openConnection\'s streams keep theirs', async () => {
      const als = new AsyncLocalStorage<string>();
      const loop = makeLoop(kind);
      await inLoop(loop, async () => {
        const seen: string[] = [];
        const srv = await als.run('stream-server', () =>
          startServer(async (reader, writer) => {
            seen.push(`connected:${als.getStore()}${currentTask() === null ? '' : ':in-task'}`);
            const line = await reader.readline();
            seen.push(`read:${als.getStore()}`);
            writer.write(line);
            writer.close();
          }, '127.0.0.1', 0),
        );
        const peer = await connect(portOf(srv));
        peer.resume();
        peer.end('ping\n');
        await until('the handler ran', () => seen.length === 2);
        expect(seen).toEqual(['connected:stream-server', 'read:stream-server']);
        await closed(peer);

        const [reader, writer] = await als.run('stream-client', () => openConnection('127.0.0.1', portOf(srv)));
        als.enterWith('elsewhere');
        writer.write(new TextEncoder().encode('pong\n'));
        expect(new TextDecoder().decode(await reader.readline())).toBe('pong\n');
        expect(seen.slice(2)).toEqual(['connected:stream-server', 'read:stream-server']);
        writer.close();
        srv.close();
      });
    });
  });
}
