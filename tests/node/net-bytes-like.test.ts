// Issue 14: writes take every bytes-like value the runtime has (any
// ArrayBufferView, ArrayBuffer, SharedArrayBuffer), on Node and in the
// simulation alike; and setWriteBufferLimits, writelines and settimeout
// behave the same on both.
import { describe, expect, it } from 'vitest';
import { openConnection, startServer, type Transport, type TransportSocket } from 'evloop';
import * as sim from 'evloop/sim';
import { inLoop, makeLoop, portOf, until } from './net-helpers.js';

/** Each value, with the bytes it holds. */
function bytesLikes(): [string, () => unknown, number[]][] {
  return [
    ['Uint8Array', () => Uint8Array.of(1, 2), [1, 2]],
    ['Buffer', () => Buffer.from([3]), [3]],
    ['a subarray', () => Uint8Array.of(9, 4, 9).subarray(1, 2), [4]],
    ['Uint16Array', () => new Uint16Array(new Uint8Array([5, 6]).buffer), [5, 6]],
    ['Float64Array', () => new Float64Array(new Uint8Array([7, 0, 0, 0, 0, 0, 0, 8]).buffer), [7, 0, 0, 0, 0, 0, 0, 8]],
    ['DataView', () => new DataView(Uint8Array.of(0, 10, 11, 0).buffer, 1, 2), [10, 11]],
    ['ArrayBuffer', () => Uint8Array.of(12).buffer, [12]],
    ['SharedArrayBuffer', () => { const b = new SharedArrayBuffer(2); new Uint8Array(b).set([13, 14]); return b; }, [13, 14]],
    ['Uint8Array over a SharedArrayBuffer', () => { const b = new SharedArrayBuffer(1); new Uint8Array(b)[0] = 15; return new Uint8Array(b); }, [15]],
  ];
}

type Writer = (data: unknown) => void;

/** The three write calls under test, given a transport and a stream writer. */
function writers(t: Transport, w: { write(d: unknown): void; writelines(l: Iterable<unknown>): void }): [string, Writer][] {
  const loose = t as unknown as { write: Writer; writelines(l: Iterable<unknown>): void };
  return [
    ['Transport.write', (d) => loose.write(d)],
    ['Transport.writelines', (d) => loose.writelines([d, new Uint8Array(0)])],
    ['StreamWriter.write', (d) => w.write(d)],
    ['StreamWriter.writelines', (d) => w.writelines(new Set([d]))],
  ];
}

describe('bytes-like writes on Node', () => {
  it('every kind arrives as its bytes, through every write call', async () => {
    const loop = makeLoop();
    await inLoop(loop, async () => {
      const got: number[] = [];
      const srv = await startServer(async (r, sw) => {
        for (;;) {
          const chunk = await r.read(1024);
          if (chunk.length === 0) break;
          got.push(...chunk);
        }
        sw.close();
      }, '127.0.0.1', 0);
      const [, w] = await openConnection('127.0.0.1', portOf(srv));
      const expected: number[] = [];
      for (const [, write] of writers(w.transport, w as never)) {
        for (const [, make, bytes] of bytesLikes()) {
          write(make());
          expected.push(...bytes);
        }
      }
      await w.drain();
      await until('all bytes', () => got.length >= expected.length);
      expect(got).toEqual(expected);
      w.close();
      srv.close();
      await srv.waitClosed();
    });
  });

  it('refuses what is not bytes-like with the same message everywhere', async () => {
    const loop = makeLoop();
    await inLoop(loop, async () => {
      const srv = await startServer(() => {}, '127.0.0.1', 0);
      const [, w] = await openConnection('127.0.0.1', portOf(srv));
      for (const [label, write] of writers(w.transport, w as never)) {
        expect(() => write('text'), label).toThrow("data argument must be a bytes-like object, not 'str'");
        expect(() => write([1, 2]), label).toThrow(TypeError);
      }
      w.close();
      srv.close();
    });
  });
});

/** Runs `body(transport, writer)` on a simulated client connected to an echo-less server. */
async function inSimulation(body: (t: Transport, w: { write(d: unknown): void; writelines(l: Iterable<unknown>): void }, got: number[]) => Promise<void> | void): Promise<number[]> {
  const s = new sim.Simulation({ seed: 1 });
  const got: number[] = [];
  s.host('server', async (loop) => {
    await loop.createServer(() => ({ dataReceived: (d: Uint8Array) => got.push(...d) }), null, 80);
  });
  const client = s.host('client');
  await s.runFor(0.1);
  const [r, w] = await s.runUntilComplete(client.openConnection('server', 80));
  void r;
  await body(w.transport as unknown as Transport, w as never, got);
  await s.runFor(1);
  return got;
}

describe('bytes-like writes in a simulation', () => {
  it('every kind arrives as its bytes, through every write call', async () => {
    const expected: number[] = [];
    const got = await inSimulation((t, w) => {
      for (const [, write] of writers(t, w)) {
        for (const [, make, bytes] of bytesLikes()) {
          write(make());
          expected.push(...bytes);
        }
      }
    });
    expect(got).toEqual(expected);
  });
});

/** What a sequence of calls gives (a value or the error's class and message), for comparing runtimes. */
function outcomes(t: Transport, sock: TransportSocket): unknown[] {
  const out: unknown[] = [];
  const attempt = (f: () => unknown): void => {
    try {
      out.push(['ok', f()]);
    } catch (e) {
      out.push(['throws', (e as Error).name, (e as Error).message]);
    }
  };
  const loose = t as unknown as Record<string, (...a: unknown[]) => unknown>;
  const ls = sock as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const args of [[100], [undefined, 10], [{ high: 80 }], [{ low: 8 }], [1, 2], [-1], [1.5], ['1'], [[1, 2]], [null, null], []]) {
    attempt(() => {
      loose['setWriteBufferLimits']!(...args);
      return t.getWriteBufferLimits();
    });
  }
  for (const arg of [[], new Set([Uint8Array.of(1)]), 'ab', 5, null, [5], [Uint8Array.of(1), 'x']]) {
    attempt(() => loose['writelines']!(arg));
  }
  for (const arg of [0, null, undefined, 1, -1, NaN, '0']) {
    attempt(() => ls['settimeout']!(arg));
  }
  attempt(() => sock.gettimeout());
  return out;
}

describe('the same behaviour on Node and in a simulation', () => {
  it('setWriteBufferLimits, writelines and settimeout', async () => {
    let simOut: unknown[] = [];
    await inSimulation((t) => {
      simOut = outcomes(t, t.getExtraInfo('socket'));
    });
    const loop = makeLoop();
    let nodeOut: unknown[] = [];
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => ({}), '127.0.0.1', 0);
      const [t] = await loop.createConnection(() => ({}), '127.0.0.1', portOf(srv));
      nodeOut = outcomes(t, t.getExtraInfo('socket'));
      t.abort();
      srv.close();
    });
    expect(nodeOut).toEqual(simOut);
  });
});
