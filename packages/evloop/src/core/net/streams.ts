// asyncio's streams: StreamReader, StreamWriter and the package functions
// startServer, openConnection and their Unix forms, which use the running
// loop. One implementation for Node and the simulation.
// Browser-safe.

import { fromNative } from '../errors.js';
import { getRunningLoop } from '../running.js';
import { typeName } from '../values.js';
import { connectionArgs, functionArg, intArg, requiredIntArg, serverArgs, startTlsArgs, streamReaderArgs, unixConnectionArgs, unixServerArgs } from './args.js';
import type { AbstractEventLoop } from '../base-loop.js';
import type { Future } from '../future.js';
import type { SSLContextLike } from './tls.js';
import type { BytesLike, NativeClientCallback, NativeServerLike, NativeStreamReaderLike, NativeStreamWriterLike, NetBinding } from './backend.js';
import { bytesView } from './bytes.js';
import { NetLoop, netOf } from './net-loop.js';
import { handOver } from './socket.js';
import { outsideTask } from '../task-context.js';
import { call, pending } from './pending.js';
import type { ConnectionOptions, ServerOptions, StreamLimit, UnixConnectionOptions, UnixServerOptions, WriterStartTlsOptions } from './options.js';
import type { SocketAddress } from './protocol.js';
import { makeServer, type Server } from './server.js';
import { inspectCustom, wrapTransport, type Transport, type TransportSocket } from './transport.js';

const LF = Uint8Array.of(10);
const COUNT = { min: -(2 ** 52), max: 2 ** 52 };

let newReader: (loop: NetLoop, n: NativeStreamReaderLike) => StreamReader;
let newWriter: (loop: NetLoop, n: NativeStreamWriterLike) => StreamWriter;

/** The native reader the layer's private path hands the constructor (a connection's reader). */
let adopting: [NetLoop, NativeStreamReaderLike] | null = null;

/** `new StreamReader(opts)`'s options. */
export interface StreamReaderOptions {
  /** The buffer limit: a positive integer (default 64 KiB). */
  limit?: number;
}

/**
 * The read half of a stream (asyncio.StreamReader). Reads resolve to
 * Uint8Arrays (Buffers in Node). A connection's reader comes from
 * openConnection/startServer; `new StreamReader()` makes one on the running
 * loop that its owner feeds (`feedData`, `feedEof`).
 */
export class StreamReader {
  readonly #n: NativeStreamReaderLike;
  readonly #binding: NetBinding;
  /** The loop its reads' Futures belong to. */
  readonly #loop: AbstractEventLoop;

  static {
    newReader = (loop, n) => {
      adopting = [loop, n];
      try {
        return new StreamReader();
      } finally {
        adopting = null;
      }
    };
  }

  /**
   * A reader on the running loop (a Node loop, or the simulated host whose
   * step runs), fed by its owner: asyncio's `StreamReader(limit)`.
   * RuntimeError('no running event loop') outside a loop; ValueError('Limit
   * cannot be <= 0') for a limit <= 0.
   */
  constructor(opts?: StreamReaderOptions) {
    if (adopting !== null) {
      const [loop, n] = adopting;
      adopting = null;
      this.#loop = loop;
      this.#binding = netOf(loop).binding;
      this.#n = n;
      return;
    }
    const c = 'StreamReader';
    const limit = streamReaderArgs(c, opts);
    const loop = runningNetLoop();
    const net = netOf(loop);
    this.#loop = loop;
    this.#binding = net.binding;
    this.#n = call(() => net.newStreamReader(limit));
  }

  /** Appends `data` (any bytes-like value; copied) and wakes the waiting read. RuntimeError after `feedEof()`. */
  feedData(data: BytesLike): void {
    const bytes = bytesView(data);
    this.#binding.touch();
    call(() => this.#n.feedData(bytes));
  }

  /** Marks the end of the stream: the waiting read and later ones see EOF once the buffer is read. */
  feedEof(): void {
    this.#binding.touch();
    this.#n.feedEof();
  }

  /** Makes the waiting read, and every later one, fail with `exc`. */
  setException(exc: unknown): void {
    this.#binding.touch();
    this.#n.setException(exc);
  }

  /** The error set by `setException` (a connection's reader: the connection's error), else null. */
  exception(): unknown {
    return fromNative(this.#n.exception());
  }

  /** Up to `n` bytes, waiting only if nothing is buffered; -1 (default) reads until EOF. */
  read(n = -1): Future<Uint8Array> {
    return pending(this.#loop, (done) => {
      const size = requiredIntArg('read', 'n', n, COUNT);
      this.#binding.touch();
      return this.#n.read(size, done);
    }, asBytes);
  }

  /** Up to and including `\n`; at EOF, the partial line (empty at the end). */
  readline(): Future<Uint8Array> {
    return pending(this.#loop, (done) => {
      this.#binding.touch();
      return this.#n.readline(done);
    }, asBytes);
  }

  /** Exactly `n` bytes; IncompleteReadError if EOF comes first. */
  readexactly(n: number): Future<Uint8Array> {
    return pending(this.#loop, (done) => {
      if (typeof n !== 'number') throw new TypeError(`readexactly(): n must be an integer, got ${typeName(n)}`);
      const size = intArg('readexactly', 'n', n, COUNT) as number;
      this.#binding.touch();
      return this.#n.readexactly(size, done);
    }, asBytes);
  }

  /**
   * Up to and including `separator` (bytes-like, or an array of them: the
   * first match ends the chunk). IncompleteReadError at EOF,
   * LimitOverrunError past the limit.
   */
  readuntil(separator: BytesLike | BytesLike[] = LF): Future<Uint8Array> {
    return pending(this.#loop, (done) => {
      let seps: Uint8Array[];
      try {
        seps = Array.isArray(separator) ? separator.map(bytesView) : [bytesView(separator)];
      } catch {
        throw new TypeError(`readuntil(): separator must be a bytes-like object or an array of them, not '${typeName(separator)}'`);
      }
      this.#binding.touch();
      return this.#n.readuntil(seps, done);
    }, asBytes);
  }

  /** Whether EOF was received and the buffer is empty. */
  atEof(): boolean {
    return this.#n.atEof();
  }

  /** The buffer limit (default 64 KiB). */
  get limit(): number {
    return this.#n.limit;
  }

  /** Lines until EOF (asyncio's `async for line in reader`). */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  toString(): string {
    return this.#n.describe();
  }

  [inspectCustom](): string {
    return this.toString();
  }
}

function asBytes(v: unknown): Uint8Array {
  return v as Uint8Array;
}

/** The write half of a stream (asyncio.StreamWriter). */
export class StreamWriter {
  readonly #n: NativeStreamWriterLike;
  readonly #binding: NetBinding;
  readonly #loop: NetLoop;
  #transport: Transport | null = null;

  static {
    newWriter = (loop, n) => new StreamWriter(loop, n);
  }

  private constructor(loop: NetLoop, n: NativeStreamWriterLike) {
    this.#n = n;
    this.#loop = loop;
    this.#binding = netOf(loop).binding;
  }

  get transport(): Transport {
    this.#transport ??= wrapTransport(this.#binding, this.#n.transport());
    return this.#transport;
  }

  /**
   * asyncio's StreamWriter.start_tls (STARTTLS): drains, upgrades the connection (the server
   * side when the writer came from `startServer`), and from then on reads and writes go
   * through TLS; `transport` is the new one.
   */
  startTls(sslcontext: SSLContextLike, opts?: WriterStartTlsOptions): Promise<void> {
    return pending(this.#loop, (done) => {
      const o = startTlsArgs('startTls', sslcontext, opts, true);
      const n = this.#n;
      this.#binding.touch();
      return n.startTls(o, done);
    }, () => {
      this.#transport = null;
    }, () => {
      // Upgraded after the wait was cancelled: the old wrapper must not write plaintext
      // under the TLS session.
      this.#transport = null;
    });
  }

  // As asyncio's StreamWriter, the writes and closing are the transport's own.

  /** Sends `data` (any bytes-like value; copied). */
  write(data: BytesLike): void {
    this.transport.write(data);
  }

  writelines(list: Iterable<BytesLike>): void {
    this.transport.writelines(list);
  }

  writeEof(): void {
    this.transport.writeEof();
  }

  canWriteEof(): boolean {
    return this.transport.canWriteEof();
  }

  close(): void {
    this.transport.close();
  }

  isClosing(): boolean {
    return this.transport.isClosing();
  }

  /** Waits until the write buffer is down to its low-water mark (flow control). */
  drain(): Future<void> {
    return pending<void>(this.#loop, (done) => {
      this.#binding.touch();
      return this.#n.drain(done);
    }, () => undefined);
  }

  /** Resolves once the connection is lost (rejects with its error, if any). */
  waitClosed(): Future<void> {
    return pending<void>(this.#loop, (done) => {
      this.#binding.touch();
      return this.#n.waitClosed(done);
    }, () => undefined);
  }

  getExtraInfo(name: 'peername' | 'sockname'): SocketAddress | null;
  getExtraInfo(name: 'socket'): TransportSocket;
  getExtraInfo<T = undefined>(name: string, dflt?: T): unknown;
  getExtraInfo(name: string, dflt?: unknown): unknown {
    return this.transport.getExtraInfo(name, dflt);
  }

  /** `await using writer = ...`: close, then wait until the connection is gone (errors ignored). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed().catch(() => {});
  }

  toString(): string {
    return this.#n.describe();
  }

  [inspectCustom](): string {
    return this.toString();
  }
}

/** Called for each connection of a stream server; may be async (a rejection closes the connection). */
export type ClientConnected = (reader: StreamReader, writer: StreamWriter) => void | PromiseLike<void>;

function streamPair(loop: NetLoop): (v: unknown) => [StreamReader, StreamWriter] {
  return (v) => {
    const [r, w] = v as [NativeStreamReaderLike, NativeStreamWriterLike];
    return [newReader(loop, r), newWriter(loop, w)];
  };
}

/** A server that arrived after its Future was done (completed from outside): nobody will close it. */
function closeServer(n: unknown): void {
  (n as NativeServerLike).close();
}

/** A connection that arrived after its Future was done. */
function closeStreams(v: unknown): void {
  (v as [NativeStreamReaderLike, NativeStreamWriterLike])[1].transport().close();
}

/**
 * The binding's per-connection callback of a stream server: wraps the
 * reader and writer, runs `clientConnected`, and settles `done` when the
 * promise it returns settles (a rejection is reported and closes the
 * connection, as asyncio does for its task).
 */
function clientCallback(loop: NetLoop, clientConnected: ClientConnected): NativeClientCallback {
  const binding = netOf(loop).binding;
  return (nr, nw, done) => {
    let result: unknown;
    try {
      result = clientConnected(newReader(loop, nr), newWriter(loop, nw));
    } catch (e) {
      done.reject(e);
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<void>).then === 'function') {
      Promise.resolve(result).then(
        () => {
          binding.touch();
          done.resolve();
        },
        (e: unknown) => {
          binding.touch();
          done.reject(e);
        },
      );
    } else {
      done.resolve();
    }
  };
}

/** A reader or writer of the binding's, as the package's class (the process layer's Process). */
export function adoptStream(loop: NetLoop, r: NativeStreamReaderLike): StreamReader;
export function adoptStream(loop: NetLoop, r: null, w: NativeStreamWriterLike): StreamWriter;
export function adoptStream(loop: NetLoop, r: NativeStreamReaderLike | null, w?: NativeStreamWriterLike): StreamReader | StreamWriter {
  return r !== null ? newReader(loop, r) : newWriter(loop, w as NativeStreamWriterLike);
}

/** The running loop, as a loop with networking. */
export function runningNetLoop(): NetLoop {
  const loop = getRunningLoop();
  if (!(loop instanceof NetLoop)) throw new TypeError('the running loop has no networking');
  return loop;
}

/**
 * `start(loop)` on the running loop; no running loop (or one without networking) rejects,
 * as asyncio's stream functions raise inside their coroutine.
 */
export function onRunningLoop<T>(start: (loop: NetLoop) => Future<T> | Promise<T>): Promise<T> {
  let loop: NetLoop;
  try {
    loop = runningNetLoop();
  } catch (e) {
    return Promise.reject(e);
  }
  return start(loop);
}

/** `startServer` on `loop` (the package function uses the running loop; a simulated Host offers it as a method). */
export function startServerOn<L extends NetLoop>(
  loop: L,
  clientConnected: ClientConnected,
  host?: string | string[] | null,
  port?: number | null,
  opts?: ServerOptions & StreamLimit,
): Future<Server<L>> {
  let binding: NetBinding;
  return pending(loop, (done) => {
    const c = 'startServer';
    functionArg(c, 'clientConnected', clientConnected);
    const [h, p, o] = serverArgs(c, host, port, opts, true);
    const net = netOf(loop);
    binding = net.binding;
    binding.touch();
    return outsideTask(() => net.startServer(clientCallback(loop, clientConnected), h, p, o, done));
  }, (n) => (handOver(opts?.sock), makeServer(binding, n, loop)), closeServer);
}

/** `startUnixServer` on `loop`. */
export function startUnixServerOn<L extends NetLoop>(
  loop: L,
  clientConnected: ClientConnected,
  path?: string | URL | null,
  opts?: UnixServerOptions & StreamLimit,
): Future<Server<L>> {
  let binding: NetBinding;
  return pending(loop, (done) => {
    const c = 'startUnixServer';
    functionArg(c, 'clientConnected', clientConnected);
    const [p, o] = unixServerArgs(c, path, opts, true);
    const net = netOf(loop);
    binding = net.binding;
    binding.touch();
    return outsideTask(() => net.startUnixServer(clientCallback(loop, clientConnected), p, o, done));
  }, (n) => (handOver(opts?.sock), makeServer(binding, n, loop)), closeServer);
}

/** `openConnection` from `loop`. */
export function openConnectionOn(
  loop: NetLoop,
  host?: string | null,
  port?: number | null,
  opts?: ConnectionOptions & StreamLimit,
): Future<[StreamReader, StreamWriter]> {
  return pending(loop, (done) => {
    const [h, p, o] = connectionArgs('openConnection', host, port, opts, true);
    const net = netOf(loop);
    net.binding.touch();
    return outsideTask(() => net.openConnection(h, p, o, done));
  }, (v) => (handOver(opts?.sock), streamPair(loop)(v)), closeStreams);
}

/** `openUnixConnection` from `loop`. */
export function openUnixConnectionOn(
  loop: NetLoop,
  path?: string | URL | null,
  opts?: UnixConnectionOptions & StreamLimit,
): Future<[StreamReader, StreamWriter]> {
  return pending(loop, (done) => {
    const [p, o] = unixConnectionArgs('openUnixConnection', path, opts, true);
    const net = netOf(loop);
    net.binding.touch();
    return outsideTask(() => net.openUnixConnection(p, o, done));
  }, (v) => (handOver(opts?.sock), streamPair(loop)(v)), closeStreams);
}

/**
 * asyncio.start_server on the running loop: `clientConnected(reader,
 * writer)` runs for each connection (it may be async). Options: those of
 * createServer, plus `limit`.
 */
export function startServer(
  clientConnected: ClientConnected,
  host?: string | string[] | null,
  port?: number | null,
  opts?: ServerOptions & StreamLimit,
): Promise<Server> {
  return onRunningLoop((loop) => startServerOn(loop, clientConnected, host, port, opts));
}

/** asyncio.start_unix_server on the running loop (a simulated host refuses it). */
export function startUnixServer(
  clientConnected: ClientConnected,
  path?: string | URL | null,
  opts?: UnixServerOptions & StreamLimit,
): Promise<Server> {
  return onRunningLoop((loop) => startUnixServerOn(loop, clientConnected, path, opts));
}

/** asyncio.open_connection on the running loop: `[reader, writer]`. */
export function openConnection(
  host?: string | null,
  port?: number | null,
  opts?: ConnectionOptions & StreamLimit,
): Promise<[StreamReader, StreamWriter]> {
  return onRunningLoop((loop) => openConnectionOn(loop, host, port, opts));
}

/** asyncio.open_unix_connection on the running loop (a simulated host refuses it). */
export function openUnixConnection(
  path?: string | URL | null,
  opts?: UnixConnectionOptions & StreamLimit,
): Promise<[StreamReader, StreamWriter]> {
  return onRunningLoop((loop) => openUnixConnectionOn(loop, path, opts));
}
