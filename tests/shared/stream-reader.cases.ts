// A constructible StreamReader (issue 16, asyncio 3.13's `StreamReader(limit)`): fed by its owner
// with feedData/feedEof/setException and read in every form as a connection's reader is. One set
// of bodies for Node loops and simulated hosts (Node and Chromium).
import { expect, it } from 'vitest';
import type * as Sim from 'evloop/sim';

/** The exports the cases use (the same classes in "evloop" and "evloop/sim"). */
export type ReaderLib = Pick<
  typeof Sim,
  'StreamReader' | 'IncompleteReadError' | 'LimitOverrunError' | 'ValueError' | 'RuntimeError'
>;

/** A Node loop or a simulated host (typed as the host: both are BaseLoops). */
export type Loop = Sim.Host;

export interface ReaderEnv {
  lib: ReaderLib;
  /** Runs `main(loop)` as a task of a fresh loop (or host) to its end; resolves its result. */
  run<T>(main: (loop: Loop) => Promise<T>): Promise<T>;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

async function errorOf(p: PromiseLike<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

export function streamReaderCases(env: ReaderEnv): void {
  const { StreamReader, IncompleteReadError, LimitOverrunError, ValueError, RuntimeError } = env.lib;

  it('reads what was fed, in every read form', async () => {
    const got = await env.run(async () => {
      const r = new StreamReader();
      const got: string[] = [];
      r.feedData(enc('hello\nworld\nabc--def|ghi'));
      got.push(dec(await r.readline()));
      got.push(dec(await r.read(3)));
      got.push(dec(await r.readexactly(2)));
      got.push(dec(await r.readuntil()));
      got.push(dec(await r.readuntil(enc('--'))));
      got.push(dec(await r.readuntil([enc('#'), enc('|')])));
      expect(r.atEof()).toBe(false);
      r.feedEof();
      expect(r.atEof()).toBe(false); // 'ghi' still buffered
      got.push(dec(await r.read()));
      expect(r.atEof()).toBe(true);
      got.push(dec(await r.readline()), dec(await r.read(5)));
      return got;
    });
    expect(got).toEqual(['hello\n', 'wor', 'ld', '\n', 'abc--', 'def|', 'ghi', '', '']);
  });

  it('a pending read wakes on feedData and on feedEof; read() waits for EOF', async () => {
    const got = await env.run(async (loop) => {
      const r = new StreamReader();
      loop.callSoon(() => r.feedData(enc('par')));
      loop.callLater(0.01, () => r.feedData(enc('tial\nrest')));
      loop.callLater(0.02, () => r.feedData(enc(' of it')));
      loop.callLater(0.03, () => r.feedEof());
      const line = dec(await r.readline());
      const rest = dec(await r.read());
      return [line, rest, r.atEof()];
    });
    expect(got).toEqual(['partial\n', 'rest of it', true]);
  });

  it('feedData takes any bytes-like value and copies it', async () => {
    const got = await env.run(async () => {
      const r = new StreamReader();
      const mine = enc('ab');
      r.feedData(mine);
      mine[0] = 0x7a; // the reader kept its own copy
      r.feedData(enc('cd').buffer);
      r.feedData(new DataView(enc('xefx').buffer, 1, 2));
      r.feedData(new Uint16Array([0x6867])); // 'gh' little-endian
      r.feedEof();
      return dec(await r.read());
    });
    expect(got).toBe('abcdefgh');
  });

  it('async iteration yields lines until EOF', async () => {
    const lines = await env.run(async (loop) => {
      const r = new StreamReader();
      r.feedData(enc('a\nb\n'));
      loop.callLater(0.01, () => {
        r.feedData(enc('c'));
        r.feedEof();
      });
      const lines: string[] = [];
      for await (const line of r) lines.push(dec(line));
      return lines;
    });
    expect(lines).toEqual(['a\n', 'b\n', 'c']);
  });

  it('limit: default 64 KiB; readuntil past it is LimitOverrunError with consumed, the data stays', async () => {
    const got = await env.run(async () => {
      expect(new StreamReader().limit).toBe(65536);
      const r = new StreamReader({ limit: 4 });
      expect(r.limit).toBe(4);
      r.feedData(enc('abcdefgh'));
      const notFound = await errorOf(r.readuntil());
      r.feedData(enc('\n'));
      const found = await errorOf(r.readuntil());
      const all = dec(await r.readexactly(9));
      return { notFound, found, all };
    });
    expect(got.notFound).toBeInstanceOf(LimitOverrunError);
    expect((got.notFound as Sim.LimitOverrunError).message).toBe('Separator is not found, and chunk exceed the limit');
    expect((got.notFound as Sim.LimitOverrunError).consumed).toBe(8);
    expect(got.found).toBeInstanceOf(LimitOverrunError);
    expect((got.found as Sim.LimitOverrunError).message).toBe('Separator is found, but chunk is longer than limit');
    expect((got.found as Sim.LimitOverrunError).consumed).toBe(8);
    expect(got.all).toBe('abcdefgh\n');
  });

  it('readline past the limit is ValueError and drops the line (asyncio)', async () => {
    const got = await env.run(async () => {
      const r = new StreamReader({ limit: 4 });
      r.feedData(enc('abcdefgh\nok\n'));
      const err = await errorOf(r.readline());
      return { err, next: dec(await r.readline()) };
    });
    expect(got.err).toBeInstanceOf(ValueError);
    expect(got.next).toBe('ok\n');
  });

  it('EOF before enough bytes is IncompleteReadError with partial and expected', async () => {
    const got = await env.run(async (loop) => {
      const r = new StreamReader();
      r.feedData(enc('abc'));
      loop.callSoon(() => r.feedEof());
      const exactly = await errorOf(r.readexactly(5));
      const s = new StreamReader();
      s.feedData(enc('xy'));
      s.feedEof();
      const until = await errorOf(s.readuntil());
      return { exactly, until, after: s.atEof() };
    });
    expect(got.exactly).toBeInstanceOf(IncompleteReadError);
    const e = got.exactly as Sim.IncompleteReadError;
    expect([dec(e.partial), e.expected]).toEqual(['abc', 5]);
    expect(got.until).toBeInstanceOf(IncompleteReadError);
    const u = got.until as Sim.IncompleteReadError;
    expect([dec(u.partial), u.expected]).toEqual(['xy', null]);
    expect(got.after).toBe(true); // readuntil at EOF consumed the partial data
  });

  it('setException wakes the pending read with that very error; later reads fail with it too', async () => {
    const boom = new Error('boom');
    const got = await env.run(async (loop) => {
      const r = new StreamReader();
      const before = r.exception();
      const pendingRead = r.read(10);
      loop.callLater(0.01, () => r.setException(boom));
      const first = await errorOf(pendingRead);
      r.feedData(enc('late'));
      const later = await errorOf(r.readline());
      return { before, first, later, exc: r.exception() };
    });
    expect(got.before).toBeNull();
    expect(got.first).toBe(boom);
    expect(got.later).toBe(boom);
    expect(got.exc).toBe(boom);
  });

  it('bad arguments: limit, feedData, feedData after feedEof, reads', async () => {
    const errs = await env.run(async () => {
      const errs: unknown[] = [];
      for (const opts of [{ limit: 0 }, { limit: -3 }, { limit: 1.5 }, { limit: Number.NaN }, { limit: '4' }, { lim: 4 }, 'x']) {
        try {
          new StreamReader(opts as never);
          errs.push(null);
        } catch (e) {
          errs.push(e);
        }
      }
      const r = new StreamReader();
      for (const fn of [() => r.feedData('text' as never), () => r.feedData(null as never)]) {
        try {
          fn();
        } catch (e) {
          errs.push(e);
        }
      }
      errs.push(await errorOf(r.read('3' as never)));
      errs.push(await errorOf(r.readexactly(-1)));
      errs.push(await errorOf(r.readuntil('x' as never)));
      r.feedEof();
      try {
        r.feedData(enc('x'));
      } catch (e) {
        errs.push(e);
      }
      return errs;
    });
    const shown = errs.map((e) => (e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)));
    expect(errs[0]).toBeInstanceOf(ValueError);
    expect(errs[1]).toBeInstanceOf(ValueError);
    expect(errs.at(-1)).toBeInstanceOf(RuntimeError);
    expect(shown).toEqual([
      'ValueError: Limit cannot be <= 0',
      'ValueError: Limit cannot be <= 0',
      'RangeError: StreamReader(): limit must be a positive integer up to 2**52, got 1.5',
      'RangeError: StreamReader(): limit must be a positive integer, got NaN',
      'TypeError: StreamReader(): limit must be an integer, got string',
      "TypeError: StreamReader(): unknown option 'lim'",
      'TypeError: StreamReader(): options must be an object, got string',
      "TypeError: data argument must be a bytes-like object, not 'str'",
      "TypeError: data argument must be a bytes-like object, not 'null'",
      'TypeError: read(): n must be an integer, got string',
      expect.stringMatching(/^ValueError: /),
      "TypeError: readuntil(): separator must be a bytes-like object or an array of them, not 'string'",
      'RuntimeError: feed_data after feed_eof',
    ]);
  });

  it('outside a running loop: RuntimeError("no running event loop")', () => {
    expect(() => new StreamReader()).toThrow(RuntimeError);
    expect(() => new StreamReader()).toThrow('no running event loop');
  });

  it("shows as asyncio's repr", async () => {
    const shown = await env.run(async () => {
      const r = new StreamReader({ limit: 10 });
      r.feedData(enc('12345'));
      r.feedEof();
      return String(r);
    });
    expect(shown).toMatch(/^<StreamReader 5 bytes eof limit=10/);
  });
}
