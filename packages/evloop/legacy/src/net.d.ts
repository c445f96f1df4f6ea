// Types of the package's networking: the loop's create* methods, Server,
// Transport, TransportSocket, protocols, streams and socket constants.
// docs/net.md explains the model and where it differs from asyncio.

/** The platform's socket constants (numbers, as Python's `socket` module has them). */
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

/** An IP socket address, as `node:net` gives it. */
export interface InetAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** An IP address, or the path of a Unix socket. */
export type SocketAddress = InetAddress | string;

/**
 * What a protocol factory returns: a plain object whose methods the
 * transport calls (every one optional), with the object as `this`.
 * `connectionMade` once, `dataReceived`* (or `getBuffer`/`bufferUpdated`),
 * `eofReceived` at most once, `connectionLost` once. A method that throws
 * closes the connection: the exception handler gets the error, and
 * `connectionLost` receives that very error.
 */
export interface Protocol {
  connectionMade?(transport: Transport): void;
  /** Bytes arrived (a new Buffer each call; boundaries are not preserved). */
  dataReceived?(data: Buffer): void;
  /** The peer closed its side: return true to keep the connection half-open. */
  eofReceived?(): boolean | void;
  /** `null` for a clean close, the error otherwise. */
  connectionLost?(exc: Error | null): void;
  pauseWriting?(): void;
  resumeWriting?(): void;
  /** BufferedProtocol: a buffer to read into (`sizehint` is -1: no hint). */
  getBuffer?(sizehint: number): Uint8Array;
  /** BufferedProtocol: `nbytes` bytes were written at the start of the last buffer. */
  bufferUpdated?(nbytes: number): void;
}

/** asyncio's BufferedProtocol: reads go into the protocol's own buffer. */
export interface BufferedProtocol extends Protocol {
  getBuffer(sizehint: number): Uint8Array;
  bufferUpdated(nbytes: number): void;
}

/**
 * A view of a socket the loop owns (asyncio's TransportSocket): it cannot
 * close, read, write or accept. `fileno()` is -1 once the owner closed it.
 */
export declare class TransportSocket {
  private constructor();
  /** `AF_INET`, `AF_INET6` or `AF_UNIX`. */
  readonly family: number;
  /** `SOCK_STREAM`. */
  readonly type: number;
  /** `IPPROTO_TCP`, or 0 for a Unix socket. */
  readonly proto: number;
  fileno(): number;
  getsockname(): SocketAddress;
  /** OSError (ENOTCONN) for a listening socket. */
  getpeername(): SocketAddress;
  getsockopt(level: number, option: number): number;
  setsockopt(level: number, option: number, value: number | boolean): void;
  /** Only 0 is accepted (ValueError otherwise). */
  settimeout(timeout: number | null): void;
  /** Only `false` is accepted (ValueError otherwise). */
  setblocking(flag: boolean): void;
  /** Always 0. */
  gettimeout(): number;
}

/** A connection's transport (asyncio's socket transport). */
export declare class Transport {
  private constructor();
  /** Sends `data` (copied). TypeError for a string; RuntimeError after `writeEof()`. */
  write(data: Uint8Array): void;
  writelines(list: Iterable<Uint8Array>): void;
  /** Closes the write side once the buffer is flushed. */
  writeEof(): void;
  canWriteEof(): boolean;
  /** Flushes, then closes; `connectionLost(null)` follows. Idempotent. */
  close(): void;
  /** Closes now, dropping buffered data; `connectionLost(null)` follows. */
  abort(): void;
  isClosing(): boolean;
  getExtraInfo(name: 'peername' | 'sockname'): SocketAddress | null;
  getExtraInfo(name: 'socket'): TransportSocket;
  getExtraInfo<T = undefined>(name: string, dflt?: T): unknown;
  pauseReading(): void;
  resumeReading(): void;
  isReading(): boolean;
  /** `high` alone gives `low = high / 4`; `low` alone `high = 4 * low`; may call `pauseWriting()` at once. */
  setWriteBufferLimits(high?: number | null, low?: number | null): void;
  setWriteBufferLimits(limits: { high?: number | null; low?: number | null }): void;
  /** `[low, high]` (default `[16384, 65536]`). */
  getWriteBufferLimits(): [low: number, high: number];
  getWriteBufferSize(): number;
  setProtocol(protocol: Protocol): void;
  /** The protocol; null once the connection is lost. */
  getProtocol(): Protocol | null;
}

/** What `serveForever()` returns: a promise that `cancel()` ends (with CancelledError). */
export interface ServeForeverPromise extends Promise<void> {
  /** Closes the server; the promise rejects with CancelledError once `waitClosed()` completed. */
  cancel(): boolean;
}

/** A listening server (asyncio.Server). */
export declare class Server {
  private constructor();
  /** Stops listening now; accepted connections stay open. Idempotent. */
  close(): void;
  closeClients(): void;
  abortClients(): void;
  getLoop(): import('./index.js').SelectorEventLoop | import('./index.js').ProactorEventLoop;
  /** Listens now; RuntimeError once closed. */
  startServing(): Promise<void>;
  /**
   * Serves until cancelled (the returned promise's `cancel()`, `signal`, or
   * `close()`): then rejects with CancelledError, after `waitClosed()`.
   */
  serveForever(options?: { signal?: AbortSignal | null }): ServeForeverPromise;
  isServing(): boolean;
  /** Resolves once closed and the last connection's `connectionLost` ran. */
  waitClosed(): Promise<void>;
  /** A new array of new views on every read; empty once closed. */
  readonly sockets: TransportSocket[];
  /** `close()` then `waitClosed()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** TLS is not supported yet: `ssl` must be null/undefined (TypeError for a boolean). */
export interface SslOptions {
  ssl?: unknown;
  sslHandshakeTimeout?: number | null;
  sslShutdownTimeout?: number | null;
}

export interface ServerOptions extends SslOptions {
  /** `AF_UNSPEC` (default), `AF_INET` or `AF_INET6`. */
  family?: number;
  /** getaddrinfo flags (default `AI_PASSIVE`). */
  flags?: number;
  /** A bound stream socket's fd (or an object with `fileno()`); the server takes ownership. */
  sock?: number | { fileno(): number } | null;
  /** `listen()` backlog and accepts per readiness (default 100). */
  backlog?: number;
  /** SO_REUSEADDR (default on). */
  reuseAddress?: boolean | null;
  reusePort?: boolean | null;
  /** SO_KEEPALIVE on the listening sockets. */
  keepAlive?: boolean | null;
  /** Listen at once (default true). */
  startServing?: boolean;
}

export interface UnixServerOptions extends SslOptions {
  sock?: number | { fileno(): number } | null;
  backlog?: number;
  startServing?: boolean;
  /** Remove the socket file on close if it is still ours (default true). */
  cleanupSocket?: boolean;
}

export interface ConnectionOptions extends SslOptions {
  family?: number;
  flags?: number;
  /** A connected stream socket's fd; the transport takes ownership. */
  sock?: number | { fileno(): number } | null;
  /** `[host, port]` to bind before connecting (a numeric host). */
  localAddr?: [string, number] | null;
  serverHostname?: string | null;
}

export interface UnixConnectionOptions extends SslOptions {
  sock?: number | { fileno(): number } | null;
  serverHostname?: string | null;
}

/** Streams: the reader's buffer limit (default 64 KiB). */
export interface StreamLimit {
  limit?: number;
}

declare module './index.js' {
  interface SelectorEventLoop {
    /**
     * Binds one socket per address of `host` (null or "" for all interfaces;
     * an array for several) and resolves to a Server, listening unless
     * `startServing: false`. `port` 0 (or null with a host) picks one per socket.
     */
    createServer(
      protocolFactory: () => Protocol,
      host?: string | string[] | null,
      port?: number | null,
      opts?: ServerOptions,
    ): Promise<Server>;
    createUnixServer(protocolFactory: () => Protocol, path?: string | URL | null, opts?: UnixServerOptions): Promise<Server>;
    /** Resolves once `connectionMade` ran. */
    createConnection<P extends Protocol>(
      protocolFactory: () => P,
      host?: string | null,
      port?: number | null,
      opts?: ConnectionOptions,
    ): Promise<[Transport, P]>;
    createUnixConnection<P extends Protocol>(
      protocolFactory: () => P,
      path?: string | URL | null,
      opts?: UnixConnectionOptions,
    ): Promise<[Transport, P]>;
  }
}

/** The read half of a stream (asyncio.StreamReader). Reads resolve to Buffers. */
export declare class StreamReader {
  private constructor();
  /** Up to `n` bytes, waiting only if nothing is buffered; -1 (default): until EOF. */
  read(n?: number): Promise<Buffer>;
  /** Up to and including `\n`; the partial line at EOF (empty at the end). */
  readline(): Promise<Buffer>;
  /** Exactly `n` bytes; IncompleteReadError if EOF comes first. */
  readexactly(n: number): Promise<Buffer>;
  /** Up to and including `separator` (default `\n`; an array: the first match). */
  readuntil(separator?: Uint8Array | Uint8Array[]): Promise<Buffer>;
  atEof(): boolean;
  readonly limit: number;
  /** Lines until EOF. */
  [Symbol.asyncIterator](): AsyncIterator<Buffer>;
}

/** The write half of a stream (asyncio.StreamWriter). */
export declare class StreamWriter {
  private constructor();
  readonly transport: Transport;
  write(data: Uint8Array): void;
  writelines(list: Iterable<Uint8Array>): void;
  writeEof(): void;
  canWriteEof(): boolean;
  close(): void;
  isClosing(): boolean;
  /** Waits until the write buffer is down to its low-water mark. */
  drain(): Promise<void>;
  /** Resolves once the connection is lost (rejects with its error, if any). */
  waitClosed(): Promise<void>;
  getExtraInfo(name: 'peername' | 'sockname'): SocketAddress | null;
  getExtraInfo(name: 'socket'): TransportSocket;
  getExtraInfo<T = undefined>(name: string, dflt?: T): unknown;
  /** `close()` then `waitClosed()` (errors ignored). */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Called for each connection of a stream server; may be async (a rejection closes the connection). */
export type ClientConnected = (reader: StreamReader, writer: StreamWriter) => void | PromiseLike<void>;

/** asyncio.start_server on the running loop. */
export declare function startServer(
  clientConnected: ClientConnected,
  host?: string | string[] | null,
  port?: number | null,
  opts?: ServerOptions & StreamLimit,
): Promise<Server>;
/** asyncio.start_unix_server on the running loop. */
export declare function startUnixServer(
  clientConnected: ClientConnected,
  path?: string | URL | null,
  opts?: UnixServerOptions & StreamLimit,
): Promise<Server>;
/** asyncio.open_connection on the running loop. */
export declare function openConnection(
  host?: string | null,
  port?: number | null,
  opts?: ConnectionOptions & StreamLimit,
): Promise<[StreamReader, StreamWriter]>;
/** asyncio.open_unix_connection on the running loop. */
export declare function openUnixConnection(
  path?: string | URL | null,
  opts?: UnixConnectionOptions & StreamLimit,
): Promise<[StreamReader, StreamWriter]>;
