// Reads land in pooled JavaScript memory (crates/evloop-node/src/read_pool.rs):
// dataReceived gets views of a shared slab (or, on the proactor, of the
// receive block the kernel wrote into), a protocol may keep every one of
// them, and none is written again by later reads, on every loop.
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Protocol, Transport } from 'evloop';
import { closed, connect, inLoop, LOOPS, makeLoop, portOf, until } from './net-helpers.js';

/** Keeps every Buffer it is given, uncopied; echoes when asked. */
class Keeper implements Protocol {
  kept: Buffer[] = [];
  total = 0;
  lost = false;
  transport: Transport | null = null;
  constructor(private readonly echo: boolean) {}
  connectionMade(t: Transport): void {
    this.transport = t;
  }
  dataReceived(data: Buffer): void {
    this.kept.push(data);
    this.total += data.length;
    if (this.echo) this.transport!.write(data);
  }
  connectionLost(): void {
    this.lost = true;
  }
}

/** Whether the kernel is at least `major.minor` (the proactor receives into
 * JavaScript blocks where it consumes provided buffers incrementally: 6.12). */
function kernelAtLeast(major: number, minor: number): boolean {
  const [a, b] = release().split('.').map((x) => parseInt(x, 10));
  return a > major || (a === major && b >= minor);
}

/** Deterministic bytes: chunk `i` of `n` bytes. */
function chunk(i: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let j = 0; j < n; j++) b[j] = (i * 131 + j * 7) & 0xff;
  return b;
}

describe.each(LOOPS)('loop %s', (selector) => {
  it('kept views of pooled reads stay intact while later reads arrive', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const made: Keeper[] = [];
      const srv = await loop.createServer(() => {
        const p = new Keeper(false);
        made.push(p);
        return p;
      }, '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      // Small and large writes, each read before the next is sent, so that
      // reads are many (a slab holds many small ones) and large ones cross
      // slabs; on the proactor about 5 MB in all, more than its first 64
      // blocks of 64 KiB, so blocks are replaced while earlier views are kept.
      const large = selector === 'proactor' ? 750_000 : 150_000;
      const sent: Buffer[] = [];
      let length = 0;
      for (let i = 0; i < 300; i++) {
        const piece = chunk(i, i % 50 === 0 ? large : 1 + ((i * 37) % 3000));
        sent.push(piece);
        length += piece.length;
        c.write(piece);
        await until('read', () => made.length === 1 && made[0].total === length);
      }
      const all = Buffer.concat(sent);
      c.end();
      await until('everything read', () => made.length === 1 && made[0].total === all.length, 10_000);
      const p = made[0];
      expect(Buffer.concat(p.kept).equals(all)).toBe(true);
      // Views of shared memory, each a Node Buffer (as `subarray` would
      // give). A selector loop reads into 8-byte aligned parts of the
      // package's slabs; the proactor's kernel wrote the bytes into the
      // ring's 64 KiB blocks, packed (no copy, so no alignment), and every
      // view above stayed intact because a block is never handed back.
      if (selector === 'proactor' && kernelAtLeast(6, 12)) {
        expect(p.kept.every((b) => b.buffer.byteLength === 64 * 1024)).toBe(true);
      } else {
        expect(p.kept.every((b) => b.byteOffset % 8 === 0)).toBe(true);
      }
      expect(p.kept.every((b) => Buffer.isBuffer(b) && typeof b.readUInt32LE === 'function')).toBe(true);
      expect(p.kept.every((b) => b.subarray(0, 1) instanceof Buffer)).toBe(true);
      // Views share their memory: many per slab, or on the proactor every
      // block filled front to back before the next is used.
      const shared = new Set(p.kept.map((b) => b.buffer)).size;
      if (selector === 'proactor' && kernelAtLeast(6, 12)) {
        expect(shared).toBeLessThanOrEqual(Math.ceil(all.length / (64 * 1024)) + 1);
      } else {
        expect(shared).toBeLessThan(p.kept.length / 10);
      }
      await until('lost', () => p.lost);
      await closed(c);
      srv.close();
      await srv.waitClosed();
    });
  });

  it('views of reads kept while paused are views of where the kernel wrote them', async () => {
    // Paused after every read and resumed a turn later: on the proactor what
    // the kernel received between a pause and the end of its multishot
    // receive is kept until the resume, and is still handed out uncopied.
    class Pauser extends Keeper {
      resumes = 0;
      override dataReceived(data: Buffer): void {
        super.dataReceived(data);
        const t = this.transport!;
        t.pauseReading();
        setImmediate(() => {
          this.resumes++;
          if (!t.isClosing()) t.resumeReading();
        });
      }
    }
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      let p: Pauser | null = null;
      const srv = await loop.createServer(() => (p = new Pauser(false)), '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      const all = Buffer.concat(Array.from({ length: 48 }, (_, i) => chunk(i, 65_536)));
      c.write(all);
      await until('everything read', () => p !== null && p.total === all.length, 10_000);
      const kept = p!.kept;
      expect(Buffer.concat(kept).equals(all)).toBe(true);
      expect(p!.resumes).toBeGreaterThan(10);
      if (selector === 'proactor' && kernelAtLeast(6, 12)) {
        // Views of the blocks, filled front to back (a copy would be a
        // Buffer of its own, or a slab's part).
        expect(kept.every((b) => b.buffer.byteLength === 64 * 1024)).toBe(true);
        expect(new Set(kept.map((b) => b.buffer)).size).toBeLessThanOrEqual(Math.ceil(all.length / (64 * 1024)) + 1);
      } else {
        expect(kept.every((b) => b.byteOffset % 8 === 0)).toBe(true);
      }
      c.end();
      await closed(c);
      srv.close();
      await srv.waitClosed();
    });
  });

  it('an echo of views written back while reads go on', async () => {
    const loop = makeLoop(selector);
    await inLoop(loop, async () => {
      const srv = await loop.createServer(() => new Keeper(true), '127.0.0.1', 0);
      const c = await connect(portOf(srv));
      const all = Buffer.concat(Array.from({ length: 64 }, (_, i) => chunk(i, 33_333)));
      const back: Buffer[] = [];
      let got = 0;
      c.on('data', (d: Buffer) => {
        back.push(d);
        got += d.length;
      });
      c.write(all);
      await until('echoed', () => got === all.length, 10_000);
      expect(Buffer.concat(back).equals(all)).toBe(true);
      c.end();
      await closed(c);
      srv.close();
      await srv.waitClosed();
    });
  });
});
