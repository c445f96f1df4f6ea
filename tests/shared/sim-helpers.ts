// Helpers for the Simulation cases (shared by the Node and the browser suites).
import type * as Sim from 'evloop/sim';

export type SimModule = typeof Sim;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const bytes = (s: string): Uint8Array => encoder.encode(s);
export const text = (b: Uint8Array): string => decoder.decode(b);

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `n` pseudo-random bytes from `seed` (xorshift32: the same on every target). */
export function payload(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A protocol that echoes what it receives. */
export class Echo implements Sim.Protocol {
  transport: Sim.Transport | null = null;
  connectionMade(t: Sim.Transport): void {
    this.transport = t;
  }
  dataReceived(data: Uint8Array): void {
    this.transport?.write(data);
  }
}

/** A client protocol that records what happens to it. */
export class Recorder implements Sim.Protocol {
  transport: Sim.Transport | null = null;
  chunks: Uint8Array[] = [];
  eof = false;
  lost: Error | null | undefined = undefined;
  lostAt = -1;
  constructor(private readonly clock?: { time(): number }) {}
  connectionMade(t: Sim.Transport): void {
    this.transport = t;
  }
  dataReceived(data: Uint8Array): void {
    this.chunks.push(data);
  }
  eofReceived(): void {
    this.eof = true;
  }
  connectionLost(exc: Error | null): void {
    this.lost = exc;
    this.lostAt = this.clock?.time() ?? -1;
  }
  get data(): Uint8Array {
    return concat(this.chunks);
  }
  get text(): string {
    return text(this.data);
  }
  get isLost(): boolean {
    return this.lost !== undefined;
  }
}

/** Steps until `cond()` holds or `seconds` of virtual time passed (then throws). */
export async function runUntil(sim: Sim.Simulation, seconds: number, cond: () => boolean): Promise<void> {
  const end = sim.now() + seconds;
  while (!cond()) {
    if (sim.now() > end) throw new Error(`condition not met within ${seconds} virtual seconds (now ${sim.now()})`);
    if (!(await sim.step())) {
      if (cond()) return;
      throw new Error(`simulation ran out of events at ${sim.now()} before the condition held`);
    }
  }
}

/** An echo server on `port` of host `name`, started by the host's program; the Server lands in `out.server`. */
export function echoServerHost(
  sim: Sim.Simulation,
  name: string,
  port: number,
  out: { server?: Sim.Server; starts: number } = { starts: 0 },
): { host: Sim.Host; out: { server?: Sim.Server; starts: number } } {
  const host = sim.host(name, async (loop) => {
    out.starts += 1;
    const srv = await loop.createServer(() => new Echo(), null, port);
    out.server = srv;
    await srv.serveForever().catch(() => {});
  });
  return { host, out };
}

/** SHA-256 of a string, in hex (Web Crypto: in Node and in the browser). */
export async function sha256(s: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(s));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
