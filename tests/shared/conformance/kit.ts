// The loop-kind kit of the conformance suite: what a case body may use (the
// loop interface both packages share, typed structurally so that the Node
// loops and simulated hosts are checked against it where the kinds are built),
// and what each kind of loop provides. Browser-safe: no Node imports here.

/** A callback scheduled with callSoon. */
export interface ConfHandle {
  cancel(): void;
  cancelled(): boolean;
}

/** A callback scheduled with callLater/callAt. */
export interface ConfTimerHandle extends ConfHandle {
  when(): number;
}

/** asyncio's Future, as both packages have it. */
export interface ConfFuture<T = unknown> extends PromiseLike<T> {
  done(): boolean;
  cancelled(): boolean;
  result(): T;
  exception(): unknown;
  setResult(value: T): void;
  setException(exception: unknown): void;
  cancel(msg?: string): boolean;
  addDoneCallback(callback: (future: ConfFuture<T>) => unknown): void;
  removeDoneCallback(callback: (future: ConfFuture<T>) => unknown): number;
}

export interface ConfTask<T = unknown> extends ConfFuture<T> {
  getName(): string;
}

export interface ConfContext {
  message?: string;
  exception?: unknown;
  handle?: unknown;
  [key: string]: unknown;
}

/** Addresses: `{ address, port, family }` ("IPv4" | "IPv6" | "sim"), or a Unix path. */
export type ConfAddress = { address: string; port: number; family: string } | string;

export interface ConfSocket {
  readonly family: number;
  readonly type: number;
  fileno(): number;
  getsockname(): ConfAddress;
  getpeername(): ConfAddress;
}

export interface ConfTransport {
  write(data: Uint8Array): void;
  writelines(list: Iterable<Uint8Array>): void;
  writeEof(): void;
  canWriteEof(): boolean;
  close(): void;
  abort(): void;
  isClosing(): boolean;
  getExtraInfo(name: string, dflt?: unknown): unknown;
  pauseReading(): void;
  resumeReading(): void;
  isReading(): boolean;
  setWriteBufferLimits(high?: number | null, low?: number | null): void;
  getWriteBufferLimits(): [number, number];
  getWriteBufferSize(): number;
  getProtocol(): unknown;
}

/** A protocol object: every method optional. */
export interface ConfProtocol {
  connectionMade?(transport: ConfTransport): void;
  dataReceived?(data: Uint8Array): void;
  eofReceived?(): boolean | void;
  connectionLost?(exc: Error | null): void;
  pauseWriting?(): void;
  resumeWriting?(): void;
}

export interface ConfServeForever extends Promise<void> {
  cancel(): boolean;
}

export interface ConfServer {
  close(): void;
  closeClients(): void;
  abortClients(): void;
  getLoop(): unknown;
  startServing(): Promise<void>;
  serveForever(): ConfServeForever;
  isServing(): boolean;
  /** Accepted connections whose connectionLost has not run yet. */
  clientCount(): number;
  waitClosed(): Promise<void>;
  readonly sockets: ConfSocket[];
}

export interface ConfReader {
  read(n?: number): Promise<Uint8Array>;
  readline(): Promise<Uint8Array>;
  readexactly(n: number): Promise<Uint8Array>;
  readuntil(separator?: Uint8Array | Uint8Array[]): Promise<Uint8Array>;
  atEof(): boolean;
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array>;
}

export interface ConfWriter {
  readonly transport: ConfTransport;
  write(data: Uint8Array): void;
  writelines(list: Iterable<Uint8Array>): void;
  writeEof(): void;
  canWriteEof(): boolean;
  close(): void;
  isClosing(): boolean;
  drain(): Promise<void>;
  waitClosed(): Promise<void>;
  getExtraInfo(name: string, dflt?: unknown): unknown;
}

export interface ServerOpts {
  startServing?: boolean;
}

/** The loop interface the cases use: what a Node loop and a simulated host have in common. */
export interface ConfLoop {
  time(): number;
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): ConfHandle;
  callSoonThreadsafe<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): ConfHandle;
  callLater<A extends unknown[]>(delay: number, callback: (...args: A) => unknown, ...args: A): ConfTimerHandle;
  callAt<A extends unknown[]>(when: number, callback: (...args: A) => unknown, ...args: A): ConfTimerHandle;
  stop(): void;
  close(): void;
  isRunning(): boolean;
  isClosed(): boolean;
  createFuture<T = unknown>(): ConfFuture<T>;
  createTask<T>(coro: (() => PromiseLike<T> | T) | PromiseLike<T>, options?: { name?: string }): ConfTask<T>;
  setExceptionHandler(handler: ((loop: unknown, context: ConfContext) => void) | null): void;
  getExceptionHandler(): unknown;
  callExceptionHandler(context: ConfContext): void;
  setDebug(enabled: boolean): void;
  getDebug(): boolean;
  addReader(fd: number, callback: (...args: unknown[]) => unknown): void;
  removeReader(fd: number): boolean;
  createServer(
    protocolFactory: () => ConfProtocol,
    host?: string | string[] | null,
    port?: number | null,
    opts?: ServerOpts,
  ): Promise<ConfServer>;
  createConnection<P extends ConfProtocol>(
    protocolFactory: () => P,
    host?: string | null,
    port?: number | null,
  ): Promise<[ConfTransport, P]>;
  createUnixServer(protocolFactory: () => ConfProtocol, path?: string | null): Promise<ConfServer>;
  createUnixConnection<P extends ConfProtocol>(protocolFactory: () => P, path?: string | null): Promise<[ConfTransport, P]>;
}

/** An error class of the package (they keep Python's names). */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** What a case takes from the package of its kind (`evloop` or `evloop/sim`). */
export interface ConfApi {
  RuntimeError: ErrorClass;
  ValueError: ErrorClass;
  InvalidStateError: ErrorClass;
  CancelledError: ErrorClass;
  OSError: ErrorClass;
  ConnectionRefusedError: ErrorClass;
  ConnectionResetError: ErrorClass;
  IncompleteReadError: ErrorClass;
  LimitOverrunError: ErrorClass;
  AF_INET: number;
  SOCK_STREAM: number;
  TimeoutError: ErrorClass;
  sleep(delay: number): PromiseLike<void>;
  /** asyncio.wait_for (the toolkit's); inside a task. */
  waitFor<T>(aw: PromiseLike<T>, timeout: number | null): PromiseLike<T>;
  getRunningLoop(): unknown;
  startServer(
    clientConnected: (reader: ConfReader, writer: ConfWriter) => void | PromiseLike<void>,
    host?: string | string[] | null,
    port?: number | null,
    opts?: { limit?: number },
  ): Promise<ConfServer>;
  openConnection(host?: string | null, port?: number | null, opts?: { limit?: number }): Promise<[ConfReader, ConfWriter]>;
}

/** What only some kinds can do; a kind that cannot says why. */
export type Capability = 'runForever' | 'fds' | 'unix';

/** A case body's world: where it runs, where servers listen, and what addresses look like. */
export interface Env {
  /** The loop the body runs on: the client side. */
  loop: ConfLoop;
  /** Where servers listen: the same loop on a real kind, another host of the simulation on sim. */
  serverLoop: ConfLoop;
  /** The host argument of createServer/startServer. */
  listenHost: string;
  /** The host a client connects to. */
  connectHost: string;
  /** The address a server's socket reports (sockname), and a client's. */
  serverAddress: string;
  clientAddress: string;
  /** The family of the addresses ("IPv4", or "sim"). */
  family: string;
  /** Runs `fn` with the server loop as the running loop (for startServer). */
  onServer<T>(fn: () => Promise<T>): Promise<T>;
  /** A fresh Unix socket path (kinds with Unix sockets only). */
  unixPath(): string;
  api: ConfApi;
}

/** A fresh loop, not running, with the ways its kind drives it. */
export interface Fresh {
  loop: ConfLoop;
  /** Drives the loop (or its simulation) until `aw` settles. */
  runUntilComplete<T>(aw: PromiseLike<T>): Promise<T>;
  /** Runs the loop until stop(); null where the loop cannot run by itself. */
  runForever: (() => Promise<void>) | null;
  /** Closes the loop (and its simulation), then checks that it is closed. */
  dispose(): Promise<void>;
}

export interface LoopKind {
  /** Names the kind in the test names (a simulation's seed included). */
  name: string;
  /** Why the kind cannot run here (every case is then skipped with this reason), or null. */
  unavailable: string | null;
  /** What the kind cannot do, and why. */
  lacks: Partial<Record<Capability, string>>;
  api: ConfApi;
  fresh(): Fresh;
  /** Runs `body` as a task of a fresh loop (the server on its kind's server loop); closes both after. */
  run<T>(body: (env: Env) => Promise<T>): Promise<T>;
}

// ---------------------------------------------------------------- helpers for case bodies

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const bytes = (s: string): Uint8Array => encoder.encode(s);
export const text = (b: Uint8Array): string => decoder.decode(b);

/** A future of `loop` completing after `delay` seconds of the loop's clock. */
export function pause(loop: ConfLoop, delay: number): ConfFuture<void> {
  const f = loop.createFuture<void>();
  loop.callLater(delay, () => {
    if (!f.done()) f.setResult(undefined);
  });
  return f;
}

/** `n` iterations of the running loop. */
export async function ticks(loop: ConfLoop, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const f = loop.createFuture<void>();
    loop.callSoon(() => f.setResult(undefined));
    await f;
  }
}

/**
 * Waits, polling on the loop's own clock (real or virtual), until `cond()`
 * holds; fails after `timeout` seconds of that clock, so nothing hangs.
 */
export async function until(loop: ConfLoop, what: string, cond: () => boolean, timeout = 5): Promise<void> {
  const deadline = loop.time() + timeout;
  while (!cond()) {
    if (loop.time() > deadline) throw new Error(`timed out after ${timeout} s waiting for ${what}`);
    await pause(loop, 0.002);
  }
}

/** Runs `body` on a fresh loop of `kind` (not inside a task), then disposes of it. */
export async function withFresh(kind: LoopKind, body: (f: Fresh) => Promise<void>): Promise<void> {
  const f = kind.fresh();
  try {
    await body(f);
  } finally {
    await f.dispose();
  }
}

/** Settled state of a promise, without awaiting it. */
export function track<T>(p: PromiseLike<T>): { done: boolean; value?: T; error?: unknown } {
  const s: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (value) => Object.assign(s, { done: true, value }),
    (error: unknown) => Object.assign(s, { done: true, error }),
  );
  return s;
}

/** The port of a server's first socket. */
export function portOf(srv: ConfServer): number {
  const a = srv.sockets[0].getsockname();
  if (typeof a === 'string') throw new Error(`not an IP server: ${a}`);
  return a.port;
}

export type EventName = 'made' | 'data' | 'eof' | 'lost' | 'pause' | 'resume';

/** A protocol that records every call (counts bytes; keeps them unless told not to). */
export class Rec implements ConfProtocol {
  transport: ConfTransport | null = null;
  events: EventName[] = [];
  chunks: Uint8Array[] = [];
  bytes = 0;
  /** Keep the received bytes (off for bulk transfers). */
  keep = true;
  /** What eofReceived returns (true: stay half-open). */
  keepOpen = false;
  lostWith: Error | null | undefined = undefined;

  connectionMade(t: ConfTransport): void {
    this.transport = t;
    this.events.push('made');
  }

  dataReceived(data: Uint8Array): void {
    this.events.push('data');
    this.bytes += data.length;
    if (this.keep) this.chunks.push(new Uint8Array(data));
  }

  eofReceived(): boolean {
    this.events.push('eof');
    return this.keepOpen;
  }

  connectionLost(exc: Error | null): void {
    this.events.push('lost');
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

  get text(): string {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return text(out);
  }

  count(kind: EventName): number {
    return this.events.filter((e) => e === kind).length;
  }

  /** The events with repeated 'data' folded into one. */
  get shape(): EventName[] {
    return this.events.filter((e, i) => e !== 'data' || this.events[i - 1] !== 'data');
  }
}

/** A factory that keeps every protocol it makes. */
export function recorders(setup?: (r: Rec) => void): { made: Rec[]; factory: () => Rec } {
  const made: Rec[] = [];
  return {
    made,
    factory: () => {
      const r = new Rec();
      setup?.(r);
      made.push(r);
      return r;
    },
  };
}

/** A protocol that echoes what it receives. */
export class Echo implements ConfProtocol {
  transport: ConfTransport | null = null;
  connectionMade(t: ConfTransport): void {
    this.transport = t;
  }
  dataReceived(data: Uint8Array): void {
    this.transport?.write(data);
  }
}

/**
 * A server of Recs on the server loop and one connected client (a Rec too);
 * resolves once the server side's connectionMade ran.
 */
export async function connectedPair(
  env: Env,
  setup?: (r: Rec) => void,
): Promise<{ srv: ConfServer; server: Rec; client: Rec; made: Rec[]; port: number }> {
  const { made, factory } = recorders(setup);
  const srv = await env.serverLoop.createServer(factory, env.listenHost, 0);
  const port = portOf(srv);
  const [, client] = await env.loop.createConnection(() => new Rec(), env.connectHost, port);
  await until(env.loop, 'the server side of the connection', () => made.length === 1 && made[0].transport !== null);
  return { srv, server: made[0], client, made, port };
}
