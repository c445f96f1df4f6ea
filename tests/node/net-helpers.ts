// Helpers for the networking suites: a recording protocol, node:net
// clients (independent of the loop under test), and waiting for conditions
// while the loop runs.
import net from 'node:net';
import { vi } from 'vitest';
import { sleep, type EventLoop, type Protocol, type Transport } from 'evloop';

export { LOOPS, makeLoop, newLoop, runNode, SELECTORS, type LoopKind } from './loop-helpers.js';

/** Runs `main()` as a task of `loop` (so the loop is running) until it completes. */
export function inLoop<T>(loop: EventLoop, main: () => Promise<T>): Promise<T> {
  return loop.runUntilComplete(loop.createTask(main));
}

/** Waits (polling with Node timers, the loop keeps running) until `cond()` holds. */
export async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  await vi.waitFor(
    () => {
      if (!cond()) throw new Error(`timed out waiting for ${what}`);
    },
    { timeout: timeoutMs, interval: 2 },
  );
}

/** `n` iterations of the running loop (`await sleep(0)` each). */
export async function iterations(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await sleep(0);
}

export type Event =
  | 'made'
  | 'eof'
  | 'pause'
  | 'resume'
  | ['data', string]
  | ['lost', Error | null];

/** A protocol that records every call. */
export class Recorder implements Protocol {
  events: Event[] = [];
  transport: Transport | null = null;
  received = Buffer.alloc(0);
  /** What eofReceived returns (true: half-open). */
  keepOpen = false;
  lostWith: Error | null | undefined = undefined;

  connectionMade(t: Transport): void {
    this.transport = t;
    this.events.push('made');
  }

  dataReceived(data: Buffer): void {
    this.events.push(['data', data.toString('latin1')]);
    this.received = Buffer.concat([this.received, data]);
  }

  eofReceived(): boolean {
    this.events.push('eof');
    return this.keepOpen;
  }

  connectionLost(exc: Error | null): void {
    this.events.push(['lost', exc]);
    this.lostWith = exc;
  }

  pauseWriting(): void {
    this.events.push('pause');
  }

  resumeWriting(): void {
    this.events.push('resume');
  }

  get lost(): boolean {
    return this.lostWith !== undefined;
  }

  count(kind: 'made' | 'eof' | 'pause' | 'resume' | 'data' | 'lost'): number {
    return this.events.filter((e) => (Array.isArray(e) ? e[0] : e) === kind).length;
  }
}

/** A factory that keeps every protocol it makes. */
export function recorders(): { made: Recorder[]; factory: () => Recorder } {
  const made: Recorder[] = [];
  return {
    made,
    factory: () => {
      const r = new Recorder();
      made.push(r);
      return r;
    },
  };
}

/** A connected node:net client. */
export function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host }, () => resolve(s));
    s.once('error', reject);
  });
}

/** A connected node:net client on a Unix socket. */
export function connectUnix(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything a client receives until the connection ends (EOF or close). */
export function readAll(s: net.Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    };
    s.on('end', finish);
    s.on('close', finish);
    s.on('error', () => {});
  });
}

/** Resolves when the socket is fully closed. */
export function closed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) resolve();
    else s.once('close', () => resolve());
  });
}

/** Collects what a client receives; `text()` so far. */
export function collector(s: net.Socket): { text: () => string; bytes: () => number; ended: () => boolean } {
  const chunks: Buffer[] = [];
  let ended = false;
  s.on('data', (d: Buffer) => chunks.push(d));
  s.on('end', () => {
    ended = true;
  });
  s.on('close', () => {
    ended = true;
  });
  s.on('error', () => {});
  return {
    text: () => Buffer.concat(chunks).toString('latin1'),
    bytes: () => chunks.reduce((n, c) => n + c.length, 0),
    ended: () => ended,
  };
}

/** The port of a server's first socket. */
export function portOf(srv: { sockets: { getsockname(): unknown }[] }): number {
  const a = srv.sockets[0].getsockname() as { port: number };
  return a.port;
}

/** Records the contexts the loop's exception handler gets. */
export function captureHandler(loop: EventLoop): Record<string, unknown>[] {
  const seen: Record<string, unknown>[] = [];
  loop.setExceptionHandler((_l, ctx) => {
    seen.push(ctx);
  });
  return seen;
}
