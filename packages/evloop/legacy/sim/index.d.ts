// Types of "evloop/sim" (browser and Node): a deterministic simulation of
// many hosts, each an evloop event loop, on one virtual clock and a
// simulated network. API.md, "TypeScript, subpath evloop/sim"; the model
// is described in docs/simulation.md.
export * from '../src/errors.js';

// ---------------------------------------------------------------- handles

/** A callback scheduled with `callSoon`. */
export declare class Handle {
  private constructor();
  /** Cancels the callback: it will not run. Idempotent. */
  cancel(): void;
  cancelled(): boolean;
  free(): void;
}

/** A callback scheduled with `callLater` or `callAt`. */
export declare class TimerHandle {
  private constructor();
  cancel(): void;
  cancelled(): boolean;
  /** The virtual time the callback is due, in seconds. */
  when(): number;
  free(): void;
}

// ---------------------------------------------------------------- simulation

export interface SimulationOptions {
  /** Seeds every random stream (a safe integer; default 0). */
  seed?: number;
  /** Link latency in seconds: a number, or `[min, max]` drawn uniformly (default [0.001, 0.005]). */
  latency?: number | [number, number];
  /** Probability that a segment is lost on a link (streams re-send it; default 0). */
  loss?: number;
  /** A connect with no answer fails after this many seconds with TimeoutError (default 10). */
  connectTimeout?: number;
  /** A connection whose data cannot get through this long ends with TimeoutError (default 30). */
  streamTimeout?: number;
  /** Record the trace (default true; `stats()` are always kept). */
  trace?: boolean;
  /**
   * Microtask turns in a row without work for the simulation that end the
   * wait for promise continuations after a step (default 32).
   */
  microtaskTurns?: number;
  /**
   * Replay these decisions (`sim.decisions()` of an earlier run): every
   * random stream serves its recorded values in order instead of drawing;
   * `seed` then only seeds what the record does not cover (see `divergence()`).
   */
  replay?: Decisions;
  /** Which fault points `buggify()` enables: true (all), an array of names, or false (none, the default). */
  buggify?: boolean | string[];
}

/**
 * Every random decision of a run, by stream (`host:<name>`,
 * `link:<src>><dst>`, `buggify:<point>`): the numbers in [0, 1) it drew, in order.
 */
export type Decisions = Record<string, number[]>;

/** Where a replay first needed a decision its record did not have. */
export interface Divergence {
  stream: string;
  /** The index of the missing value in that stream. */
  index: number;
  /** `sim.events()` at the miss. */
  event: number;
}

/** The options a simulation was made with, but the seed and the replay record. */
export interface SimulationOptionsJson {
  latency: [number, number];
  loss: number;
  connectTimeout: number;
  streamTimeout: number;
  trace: boolean;
  buggify: boolean | string[];
  microtaskTurns: number;
}

/** A fault as a value, for `sim.schedule(at, fault)` (the shape of a trace fault record; an `at` key is ignored). */
export type Fault = { at?: number } & (
  | { fault: 'partition'; a: HostGroup; b: HostGroup; oneWay?: boolean }
  | { fault: 'heal'; a?: HostGroup; b?: HostGroup }
  | { fault: 'hold' | 'release'; a: string; b: string }
  | { fault: 'link'; a: string; b: string; latency?: number | [number, number]; loss?: number; oneWay?: boolean }
  | { fault: 'crash' | 'restart' | 'pause' | 'resume'; host: string }
  | { fault: 'skew'; host: string; seconds: number }
);

/** What a host is about to do (`sim.hostState(name)`). */
export interface HostState {
  /** Labels of the ready callbacks, in run order (cancelled ones left out). */
  ready: string[];
  /** Timers not cancelled, in run order (by `when`, ties in scheduling order). */
  timers: { when: number; label: string }[];
}

/** A record of the trace: `t` (virtual seconds), `host`, `kind`, and the kind's fields. */
export interface TraceRecord {
  t: number;
  /** The host it happened on; `""` for a fault between groups of hosts. */
  host: string;
  kind: 'call' | 'send' | 'deliver' | 'drop' | 'connect' | 'accept' | 'close' | 'fault' | 'buggify';
  /** `call`: the callback's label (its function name, `program`, `Task.__step`, ...); `buggify`: the point. */
  name?: string;
  /** `drop`: `loss`, `partition` or `crash`. */
  cause?: 'loss' | 'partition' | 'crash';
  /** `fault`: which one. */
  fault?: FaultName;
  [field: string]: string | number | boolean | null | undefined;
}

export type FaultName =
  | 'partition'
  | 'heal'
  | 'hold'
  | 'release'
  | 'crash'
  | 'restart'
  | 'pause'
  | 'resume'
  | 'link'
  | 'skew';

/** Running totals since the start. Once nothing is in flight or held, `sent == delivered + dropped`. */
export interface SimulationStats {
  /** Every transmission, re-sends included. */
  sent: number;
  delivered: number;
  /** Messages that were ever held. */
  held: number;
  dropped: { loss: number; partition: number; crash: number };
  faults: Record<FaultName, number>;
}

export interface DeterminismReport {
  identical: boolean;
  /** The first index where the traces differ, and the two records (null past the end of one). */
  firstDivergence?: { index: number; a: TraceRecord | null; b: TraceRecord | null };
}

/** A host name, or several. */
export type HostGroup = string | string[];

/** A host's program: runs when the simulation starts and again after each restart. */
export type HostProgram = (loop: Host) => unknown;

/**
 * A deterministic simulation. The same seed and the same program give the
 * same trace, byte for byte (`JSON.stringify(sim.trace())`), in Node and
 * in the browser alike.
 */
export declare class Simulation {
  constructor(options?: SimulationOptions);
  /** Adds a host (names are unique; hosts reach each other by name). */
  host(name: string, program?: HostProgram | null): Host;
  /** The host named `name`, or undefined. */
  getHost(name: string): Host | undefined;
  /** The hosts, in creation order. */
  readonly hosts: Host[];
  /** Runs one event, then the promise continuations it released; false when nothing was left. */
  step(): Promise<boolean>;
  /** Runs the events due within `seconds`; `now()` then advances by exactly `seconds`. */
  runFor(seconds: number): Promise<void>;
  /** Runs events until `future` settles; rejects with RuntimeError when nothing is left first. */
  runUntilComplete<T>(future: PromiseLike<T> | Future<T>): Promise<T>;
  /** Virtual seconds since the start. */
  now(): number;
  /** Events run so far. */
  events(): number;
  partition(groupA: HostGroup, groupB: HostGroup, options?: { oneWay?: boolean }): void;
  /** No arguments: every partition; one group: those touching it; two: those between them. */
  heal(groupA?: HostGroup, groupB?: HostGroup): void;
  hold(a: string, b: string): void;
  release(a: string, b: string): void;
  setLink(a: string, b: string, options?: { latency?: number | [number, number]; loss?: number; oneWay?: boolean }): void;
  crash(name: string): void;
  /** Returns the host (the same object, now on a fresh loop running its program again). */
  restart(name: string): Host;
  pause(name: string): void;
  resume(name: string): void;
  setClockSkew(name: string, seconds: number): void;
  /** Applies `fault` at virtual time `at` (>= now), as an event of the simulation. */
  schedule(at: number, fault: Fault): void;
  /**
   * Fault point `name`: true with probability `p` (default 0.25) when the
   * option `buggify` enables it, always false otherwise (no draw).
   */
  buggify(name: string, p?: number): boolean;
  /** Every random decision so far, by stream. */
  decisions(): Decisions;
  /** In a replay, the first draw the record did not cover; null otherwise. */
  divergence(): Divergence | null;
  /** The options but the seed and the replay record (what a trace file stores). */
  options(): SimulationOptionsJson;
  /** The ready queue and timers of host `name` (a crashed host: both empty). */
  hostState(name: string): HostState;
  /** The records, in order (from index `from`). */
  trace(from?: number): TraceRecord[];
  stats(): SimulationStats;
  /** Ends the simulation and releases its memory (the trace stays readable). */
  close(): void;
  [Symbol.dispose](): void;
  /** Runs `setup` on two fresh simulations with these options and compares the traces. */
  static checkDeterminism(
    setup: (sim: Simulation) => unknown,
    options?: SimulationOptions,
  ): Promise<DeterminismReport>;
}

/** An address inside a simulation. */
export interface SimAddress {
  address: string;
  port: number;
  family: 'sim';
}

export interface ExceptionContext {
  message?: string;
  exception?: unknown;
  handle?: Handle | TimerHandle | string;
  future?: Future<unknown>;
  task?: Task<unknown>;
  protocol?: Protocol;
  transport?: Transport;
  [key: string]: unknown;
}

export type ExceptionHandler = (loop: Host, context: ExceptionContext) => void;

/**
 * A simulated host: an event loop with the Node loop's interface, plus
 * `name` and `wallTime()`. It stays the host's object across restarts.
 */
export declare class Host {
  private constructor();
  readonly name: string;
  readonly simulation: Simulation;
  /** Seconds since the Unix epoch: 2026-01-01T00:00:00Z + time() + the host's clock skew. */
  wallTime(): number;
  /** The next number in [0, 1) of the host's own random stream. */
  random(): number;
  /** `sim.buggify(name, p)` recorded on this host. */
  buggify(name: string, p?: number): boolean;
  isCrashed(): boolean;
  /** The simulation's virtual clock. */
  time(): number;
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle;
  callSoonThreadsafe<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle;
  callLater<A extends unknown[]>(delay: number, callback: (...args: A) => unknown, ...args: A): TimerHandle;
  callAt<A extends unknown[]>(when: number, callback: (...args: A) => unknown, ...args: A): TimerHandle;
  /** A Future completing with `value` after `delay` virtual seconds. */
  sleep(delay: number): Future<void>;
  sleep<T>(delay: number, value: T): Future<T>;
  /** Always rejects: the simulation drives its hosts. */
  runForever(): Promise<void>;
  /** Always rejects: use `sim.runUntilComplete()`. */
  runUntilComplete<T>(future: PromiseLike<T> | Future<T>): Promise<T>;
  stop(): void;
  close(): void;
  isRunning(): boolean;
  isClosed(): boolean;
  createFuture<T = unknown>(): Future<T>;
  createTask<T>(coro: (() => PromiseLike<T> | T) | PromiseLike<T>, options?: { name?: string }): Task<T>;
  /** NotImplementedError: simulated hosts have no file descriptors to watch. */
  addReader(fd: number, callback: (...args: unknown[]) => unknown, ...args: unknown[]): void;
  addWriter(fd: number, callback: (...args: unknown[]) => unknown, ...args: unknown[]): void;
  removeReader(fd: number): boolean;
  removeWriter(fd: number): boolean;
  setExceptionHandler(handler: ExceptionHandler | null): void;
  getExceptionHandler(): ExceptionHandler | null;
  callExceptionHandler(context: ExceptionContext): void;
  defaultExceptionHandler(context: ExceptionContext): void;
  setDebug(enabled: boolean): void;
  getDebug(): boolean;
  slowCallbackDuration: number;
  createServer(
    protocolFactory: () => Protocol,
    host?: string | string[] | null,
    port?: number | null,
    opts?: ServerOptions,
  ): Promise<Server>;
  /** Unix sockets are not simulated: rejects with OSError. */
  createUnixServer(protocolFactory: () => Protocol, path?: string | null, opts?: object): Promise<Server>;
  /** Resolves once `connectionMade` ran. Hosts reach each other by name. */
  createConnection<P extends Protocol>(
    protocolFactory: () => P,
    host?: string | null,
    port?: number | null,
    opts?: ConnectionOptions,
  ): Promise<[Transport, P]>;
  createUnixConnection<P extends Protocol>(protocolFactory: () => P, path?: string | null, opts?: object): Promise<[Transport, P]>;
  /** asyncio.start_server on this host (the package function uses the running host). */
  startServer(
    clientConnected: ClientConnected,
    host?: string | string[] | null,
    port?: number | null,
    opts?: ServerOptions & StreamLimit,
  ): Promise<Server>;
  /** asyncio.open_connection from this host. */
  openConnection(host?: string | null, port?: number | null, opts?: ConnectionOptions & StreamLimit): Promise<[StreamReader, StreamWriter]>;
}

/** The host running a callback, or whose continuations run after its step; RuntimeError elsewhere. */
export declare function getRunningLoop(): Host;

// ---------------------------------------------------------------- futures

/** asyncio's Future, bound to a host. Awaitable. */
export declare class Future<T = unknown> implements PromiseLike<T> {
  /** A future of `loop` (default: the running host). */
  constructor(loop?: Host);
  getLoop(): Host;
  done(): boolean;
  cancelled(): boolean;
  result(): T;
  exception(): unknown;
  setResult(value: T): void;
  setException(exception: unknown): void;
  cancel(msg?: string): boolean;
  addDoneCallback(callback: (future: this) => unknown): void;
  removeDoneCallback(callback: (future: this) => unknown): number;
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2>;
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R>;
  finally(onFinally?: (() => void) | null): Promise<T>;
  readonly [Symbol.toStringTag]: string;
}

/** asyncio's Task on a host (cancellation as in the Node package: at once, plus `signal`). */
export declare class Task<T = unknown> extends Future<T> {
  constructor(coro: (() => PromiseLike<T> | T) | PromiseLike<T>, options?: { name?: string; loop?: Host });
  readonly signal: AbortSignal;
  getName(): string;
  setName(name: string): void;
  setResult(value: T): never;
  setException(exception: unknown): never;
}

export declare function isFuture(value: unknown): value is Future<unknown>;
export declare function allTasks(loop?: Host): Set<Task<unknown>>;
/** A Future of the running host completing after `delay` virtual seconds. */
export declare function sleep(delay: number): Future<void>;
export declare function sleep<T>(delay: number, value: T): Future<T>;

// ---------------------------------------------------------------- networking

/** Linux's numbers: simulated sockets report them on every platform. */
export declare const AF_UNSPEC: number;
export declare const AF_INET: number;
export declare const AF_INET6: number;
export declare const AF_UNIX: number;
export declare const SOCK_STREAM: number;
export declare const SOCK_DGRAM: number;
export declare const SOL_SOCKET: number;
export declare const SO_REUSEADDR: number;
export declare const SO_REUSEPORT: number;
export declare const SO_KEEPALIVE: number;
export declare const SO_TYPE: number;
export declare const SO_RCVBUF: number;
export declare const SO_SNDBUF: number;
export declare const IPPROTO_TCP: number;
export declare const TCP_NODELAY: number;
export declare const IPPROTO_IPV6: number;
export declare const IPV6_V6ONLY: number;
export declare const AI_PASSIVE: number;

/** A protocol object (every method optional), as in the Node package; bytes are Uint8Arrays. */
export interface Protocol {
  connectionMade?(transport: Transport): void;
  dataReceived?(data: Uint8Array): void;
  eofReceived?(): boolean | void;
  connectionLost?(exc: Error | null): void;
  pauseWriting?(): void;
  resumeWriting?(): void;
  getBuffer?(sizehint: number): Uint8Array;
  bufferUpdated?(nbytes: number): void;
}

export declare class TransportSocket {
  private constructor();
  readonly family: number;
  readonly type: number;
  readonly proto: number;
  fileno(): number;
  getsockname(): SimAddress;
  getpeername(): SimAddress;
  getsockopt(level: number, option: number): number;
  setsockopt(level: number, option: number, value: number | boolean): void;
  settimeout(timeout: number | null): void;
  setblocking(flag: boolean): void;
  gettimeout(): number;
}

export declare class Transport {
  private constructor();
  write(data: Uint8Array | ArrayBufferView | ArrayBuffer): void;
  writelines(list: Iterable<Uint8Array | ArrayBufferView | ArrayBuffer>): void;
  writeEof(): void;
  canWriteEof(): boolean;
  close(): void;
  abort(): void;
  isClosing(): boolean;
  getExtraInfo(name: 'peername' | 'sockname'): SimAddress | null;
  getExtraInfo(name: 'socket'): TransportSocket;
  getExtraInfo<T = undefined>(name: string, dflt?: T): unknown;
  pauseReading(): void;
  resumeReading(): void;
  isReading(): boolean;
  setWriteBufferLimits(high?: number | null, low?: number | null): void;
  setWriteBufferLimits(limits: { high?: number | null; low?: number | null }): void;
  getWriteBufferLimits(): [low: number, high: number];
  getWriteBufferSize(): number;
  setProtocol(protocol: Protocol): void;
  getProtocol(): Protocol | null;
}

export interface ServeForeverPromise extends Promise<void> {
  cancel(): boolean;
}

/** A listening server (asyncio.Server), with the core's bookkeeping. */
export declare class Server {
  private constructor();
  close(): void;
  closeClients(): void;
  abortClients(): void;
  getLoop(): Host;
  startServing(): Promise<void>;
  serveForever(options?: { signal?: AbortSignal | null }): ServeForeverPromise;
  isServing(): boolean;
  /** Accepted connections whose `connectionLost` has not run yet (an extension). */
  clientCount(): number;
  waitClosed(): Promise<void>;
  readonly sockets: TransportSocket[];
  [Symbol.asyncDispose](): Promise<void>;
}

export interface ServerOptions {
  family?: number;
  flags?: number;
  backlog?: number;
  reuseAddress?: boolean | null;
  reusePort?: boolean | null;
  keepAlive?: boolean | null;
  startServing?: boolean;
  ssl?: null;
}

export interface ConnectionOptions {
  family?: number;
  flags?: number;
  ssl?: null;
}

export interface StreamLimit {
  limit?: number;
}

export declare class StreamReader {
  private constructor();
  read(n?: number): Promise<Uint8Array>;
  readline(): Promise<Uint8Array>;
  readexactly(n: number): Promise<Uint8Array>;
  readuntil(separator?: Uint8Array | Uint8Array[]): Promise<Uint8Array>;
  atEof(): boolean;
  readonly limit: number;
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array>;
}

export declare class StreamWriter {
  private constructor();
  readonly transport: Transport;
  write(data: Uint8Array | ArrayBufferView | ArrayBuffer): void;
  writelines(list: Iterable<Uint8Array | ArrayBufferView | ArrayBuffer>): void;
  writeEof(): void;
  canWriteEof(): boolean;
  close(): void;
  isClosing(): boolean;
  drain(): Promise<void>;
  waitClosed(): Promise<void>;
  getExtraInfo(name: 'peername' | 'sockname'): SimAddress | null;
  getExtraInfo(name: 'socket'): TransportSocket;
  getExtraInfo<T = undefined>(name: string, dflt?: T): unknown;
  [Symbol.asyncDispose](): Promise<void>;
}

export type ClientConnected = (reader: StreamReader, writer: StreamWriter) => void | PromiseLike<void>;

/** asyncio.start_server on the running host. */
export declare function startServer(
  clientConnected: ClientConnected,
  host?: string | string[] | null,
  port?: number | null,
  opts?: ServerOptions & StreamLimit,
): Promise<Server>;
/** asyncio.open_connection from the running host. */
export declare function openConnection(
  host?: string | null,
  port?: number | null,
  opts?: ConnectionOptions & StreamLimit,
): Promise<[StreamReader, StreamWriter]>;

// ---------------------------------------------------------------- SimLoop

/** A single loop on its own virtual clock with no I/O (the README's demo). */
export declare class SimLoop {
  constructor();
  time(): number;
  callSoon(cb: () => unknown): Handle;
  callLater(delay: number, cb: () => unknown): TimerHandle;
  callAt(when: number, cb: () => unknown): TimerHandle;
  stop(): void;
  runForever(): void;
  close(): void;
  isRunning(): boolean;
  isClosed(): boolean;
  free(): void;
}

/** The version of the evloop core the wasm module was built from. */
export declare function coreVersion(): string;

// The browser-safe tools (docs/simulation.md, "Tools"), and sweep (Node: worker threads; in a
// browser it rejects with NotImplementedError).
export { sweep } from './tools/node.js';
export type { SweepOptions, SweepFailure } from './tools/node.js';
export * from './tools/index.js';
