// The contract between the one networking layer (core/net) and a binding:
// the napi addon (node/net-backend.ts) and the wasm host loop
// (sim/net-backend.ts) each satisfy it with `satisfies`, so a change of a
// binding's generated declarations that breaks the layer is a compile error.
//
// Two levels, because the bindings have two: what is the same for every loop
// of a runtime (`NetBinding`: writes, hooks, recognizing native sockets) and
// what one loop does (`NetBackend`: creating servers and connections). The
// binding wraps native transports through a hook that is given no loop, so a
// Transport only ever knows its binding.
// Browser-safe.

import type { ProcessBackend } from '../process/backend.js';

/** A binding's completion callback: `done(true, value)` or `done(false, error)`. */
export type Done = (ok: boolean, value: unknown) => void;

/**
 * A binding's asynchronous call in flight (the addon's and the wasm's `NativeCall`):
 * `cancel()` stops it in the core at once (false if it had finished); no `done` follows.
 */
export interface NativeCallLike {
  cancel(): boolean;
}

/** Bytes as the runtime accepts them: any view, an ArrayBuffer or a SharedArrayBuffer. */
export type BytesLike = ArrayBufferView | ArrayBuffer | SharedArrayBuffer;

// ---------------------------------------------------------------- native objects
// What both bindings' objects offer; the package's classes wrap them.

export interface NativeTransportSocketLike {
  readonly family: number;
  readonly type: number;
  readonly proto: number;
  fileno(): number;
  getsockname(): unknown;
  getpeername(): unknown;
  getsockopt(level: number, option: number): number;
  setsockopt(level: number, option: number, value: number): void;
  settimeout(timeout?: number | null): void;
  setblocking(flag: boolean): void;
  gettimeout(): number;
  describe(): string;
}

/** What a connection's and a datagram endpoint's native transports both offer (TransportBase wraps it). */
export interface NativeBaseTransportLike {
  close(): void;
  abort(): void;
  isClosing(): boolean;
  /** An address, null, a native socket (see `NetBinding.isSocket`), or undefined for unknown names. */
  getExtraInfo(name: string): unknown;
  setWriteBufferLimits(high?: number | null, low?: number | null): void;
  /** `[low, high]` (an Array or a Float64Array). */
  getWriteBufferLimits(): ArrayLike<number>;
  getWriteBufferSize(): number;
}

export interface NativeTransportLike extends NativeBaseTransportLike {
  writelines(list: Uint8Array[]): void;
  writeEof(): void;
  canWriteEof(): boolean;
  pauseReading(): void;
  resumeReading(): void;
  isReading(): boolean;
  setProtocol(protocol: object, wrapper: object): void;
  getProtocol(): unknown;
}

export interface NativeDatagramTransportLike extends NativeBaseTransportLike {
  /** `addr`: null, a Unix path, or `[host, port]` (normalized by the layer). */
  sendto(data: Uint8Array, addr: [string, number] | string | null): void;
  describe(): string;
}

export interface NativeServeForeverLike {
  cancel(): boolean;
}

export interface NativeServerLike {
  close(): void;
  closeClients(): void;
  abortClients(): void;
  isServing(): boolean;
  /** Accepted connections whose `connectionLost` has not run yet. */
  clientCount(): number;
  sockets(): ArrayLike<unknown>;
  startServing(done: Done): void;
  serveForever(done: Done): NativeServeForeverLike;
  waitClosed(done: Done): void;
  describe(): string;
}

export interface NativeStreamReaderLike {
  read(n: number, done: Done): NativeCallLike;
  readline(done: Done): NativeCallLike;
  readexactly(n: number, done: Done): NativeCallLike;
  /** The separators, normalized to an array of Uint8Arrays by the layer. */
  readuntil(separators: Uint8Array[], done: Done): NativeCallLike;
  atEof(): boolean;
  readonly limit: number;
  describe(): string;
  /** A Uint8Array (normalized by the layer); throws after `feedEof()`. */
  feedData(data: Uint8Array): void;
  feedEof(): void;
  setException(exc: unknown): void;
  /** The error set, or null. */
  exception(): unknown;
}

/** A binding's OS socket (the package's `Socket` wraps it; core/net/socket.ts). */
export interface NativeSocketLike {
  readonly family: number;
  readonly type: number;
  readonly proto: number;
  fileno(): number;
  /** `host`/`port`, or a Unix `path` (the others null). */
  bind(host: string | null, port: number | null, path: string | null): void;
  listen(backlog: number): void;
  getsockname(): unknown;
  getpeername(): unknown;
  getsockopt(level: number, option: number): number;
  setsockopt(level: number, option: number, value: number): void;
  shutdown(how: number): void;
  close(): void;
  detach(): number;
  describe(): string;
}

/**
 * The loop's socket calls (core/net/sock-methods.ts), on a back end with OS sockets; absent on
 * a simulated host. Sockets are passed as fds; an address as `host`/`port` or a `path`.
 */
export interface SocketBackend {
  /** `done(ok, [NativeSocketLike, address])`. */
  sockAccept(fd: number, done: Done): NativeCallLike;
  sockConnect(fd: number, host: string | null, port: number | null, path: string | null, done: Done): NativeCallLike;
  /** `done(ok, Uint8Array)`. */
  sockRecv(fd: number, n: number, done: Done): NativeCallLike;
  /** `done(ok, [Uint8Array, address])`. */
  sockRecvfrom(fd: number, n: number, done: Done): NativeCallLike;
  sockSendall(fd: number, data: Uint8Array, done: Done): NativeCallLike;
  /** `done(ok, bytesSent)`. */
  sockSendto(fd: number, data: Uint8Array, host: string | null, port: number | null, path: string | null, done: Done): NativeCallLike;
  /** `done(ok, bytesSent)`. */
  sockSendfile(fd: number, file: number, offset: number, count: number | undefined, fallback: boolean, done: Done): NativeCallLike;
  /** `done(ok, bytesSent)`. */
  sendfile(transport: NativeTransportLike, file: number, offset: number, count: number | undefined, fallback: boolean, done: Done): NativeCallLike;
  /** `done(ok, [Transport (already wrapped by the hook), protocol])`. */
  connectAcceptedSocket(factory: () => object, fd: number, opts: NetConnectionOptions, done: Done): NativeCallLike;
}

/** A stream writer's own calls; its writes and closing are its transport's, as in asyncio. */
/** `startTls`'s options, normalized (args.ts). */
export interface NetStartTlsOptions {
  /** The id of the binding's context. */
  sslContext: number;
  serverSide?: boolean | undefined;
  serverHostname?: string | undefined;
  sslHandshakeTimeout?: number | undefined;
  sslShutdownTimeout?: number | undefined;
}

export interface NativeStreamWriterLike {
  drain(done: Done): NativeCallLike;
  /** `done(ok)` once the stream reads and writes through TLS. */
  startTls(opts: NetStartTlsOptions, done: Done): NativeCallLike;
  waitClosed(done: Done): NativeCallLike;
  transport(): NativeTransportLike;
  describe(): string;
}

export interface NativeStreamDoneLike {
  resolve(): void;
  reject(error: unknown): void;
}

/** A stream server's per-connection callback, as the layer gives it to the binding. */
export type NativeClientCallback = (reader: NativeStreamReaderLike, writer: NativeStreamWriterLike, done: NativeStreamDoneLike) => void;

// ---------------------------------------------------------------- options
// Normalized by core/net/args.ts: every key present, undefined when not given.

export interface NetServerOptions {
  family?: number | undefined;
  flags?: number | undefined;
  sock?: number | undefined;
  backlog?: number | undefined;
  reuseAddress?: boolean | undefined;
  reusePort?: boolean | undefined;
  keepAlive?: boolean | undefined;
  startServing?: boolean | undefined;
  cleanupSocket?: boolean | undefined;
  /** Stream servers: the readers' buffer limit. */
  limit?: number | undefined;
  /** `ssl`: the id of the binding's context. */
  sslContext?: number | undefined;
  sslHandshakeTimeout?: number | undefined;
  sslShutdownTimeout?: number | undefined;
}

export interface NetConnectionOptions {
  family?: number | undefined;
  flags?: number | undefined;
  sock?: number | undefined;
  /** `localAddr[0]` (a name resolves). */
  localHost?: string | undefined;
  /** `localAddr[1]`. */
  localPort?: number | undefined;
  proto?: number | undefined;
  /** Seconds, checked non-negative. */
  happyEyeballsDelay?: number | undefined;
  interleave?: number | undefined;
  allErrors?: boolean | undefined;
  /** Stream connections: the reader's buffer limit. */
  limit?: number | undefined;
  /** `ssl`: the id of the binding's context. */
  sslContext?: number | undefined;
  /** `ssl: true`: a default client context (`createDefaultContext()`). */
  sslDefault?: boolean | undefined;
  serverHostname?: string | undefined;
  sslHandshakeTimeout?: number | undefined;
  sslShutdownTimeout?: number | undefined;
}

/** getaddrinfo's hints (numbers; absent = 0, "any"). */
export interface NetAddrInfoOptions {
  family?: number | undefined;
  socktype?: number | undefined;
  proto?: number | undefined;
  flags?: number | undefined;
}

/** createDatagramEndpoint's options: an address is `[host, port]` (`*Host`, `*Port`) or a Unix path (`*Path`). */
export interface NetDatagramOptions {
  localHost?: string | undefined;
  localPort?: number | undefined;
  localPath?: string | undefined;
  remoteHost?: string | undefined;
  remotePort?: number | undefined;
  remotePath?: string | undefined;
  family?: number | undefined;
  proto?: number | undefined;
  flags?: number | undefined;
  reusePort?: boolean | undefined;
  allowBroadcast?: boolean | undefined;
  sock?: number | undefined;
}

// ---------------------------------------------------------------- the two levels

/**
 * What the layer gives a binding (`netHooks(binding)` of core/net/transport.ts):
 * each back-end module installs them in its binding (the addon's `setNetHooks`
 * when node/net-backend.ts loads; the wasm's `setHooks` once the module is
 * instantiated, by `installNetHooks()` of sim/net-backend.ts).
 */
export interface NetHooks {
  /** Wraps a native transport the binding hands to a protocol or a `done`. */
  wrapTransport(native: NativeTransportLike): object;
  /** The package's error for a binding's code ("ConnectionRefusedError|ECONNREFUSED|111|connect"). */
  makeError(code: string, message: string, extra?: object): Error;
  /**
   * `protocol.dataReceived(data)` where the binding passes a part of a shared
   * pool buffer (`offset`, `length`), or a buffer of its own with a length of -1.
   */
  deliverData(protocol: object, data: Uint8Array, offset: number, length: number): void;
}

/**
 * One runtime's binding (the napi addon, the wasm module): the same for
 * every loop of that runtime.
 */
export interface NetBinding {
  /** Names the runtime in messages and types ("native", "sim"). */
  readonly kind: 'native' | 'sim';
  /**
   * The value `write` takes for a transport, read once when it is wrapped
   * (the addon's slot in its write table; the native object itself for the wasm).
   */
  writeKey(native: NativeTransportLike): unknown;
  /**
   * `Transport.write`: the hot path. The addon's is its plain JS function
   * (no class-method call per write); it accepts any view or ArrayBuffer
   * natively (a bare SharedArrayBuffer aside: the layer retries that one as a
   * view). Throws the binding's errors unmapped (the layer maps them).
   */
  write(key: unknown, data: unknown): void;
  /** Whether `value` is this binding's native TransportSocket (for getExtraInfo and Server.sockets). */
  isSocket(value: unknown): value is NativeTransportSocketLike;
  /**
   * Called before every call that schedules work for the binding: the
   * simulation counts them to know when promise continuations are done
   * (sim/activity.ts); a no-op for the addon.
   */
  touch(): void;
}

/**
 * One loop's networking. A NetLoop reads it on every call (`NetLoop.net`),
 * so a simulated host's restart switches it to the new life's.
 */
export interface NetBackend {
  readonly binding: NetBinding;
  /** `done(ok, NativeServerLike)`. */
  createServer(factory: () => object, host: string | string[] | undefined, port: number | undefined, opts: NetServerOptions, done: Done): NativeCallLike;
  createUnixServer(factory: () => object, path: string | undefined, opts: NetServerOptions, done: Done): NativeCallLike;
  /** `done(ok, [Transport (already wrapped by the hook), protocol])`. */
  createConnection(factory: () => object, host: string | undefined, port: number | undefined, opts: NetConnectionOptions, done: Done): NativeCallLike;
  createUnixConnection(factory: () => object, path: string | undefined, opts: NetConnectionOptions, done: Done): NativeCallLike;
  /** `done(ok, NativeServerLike)`; `cb` runs for each connection. */
  startServer(cb: NativeClientCallback, host: string | string[] | undefined, port: number | undefined, opts: NetServerOptions, done: Done): NativeCallLike;
  startUnixServer(cb: NativeClientCallback, path: string | undefined, opts: NetServerOptions, done: Done): NativeCallLike;
  /** `done(ok, [NativeStreamReaderLike, NativeStreamWriterLike])`. */
  openConnection(host: string | undefined, port: number | undefined, opts: NetConnectionOptions, done: Done): NativeCallLike;
  openUnixConnection(path: string | undefined, opts: NetConnectionOptions, done: Done): NativeCallLike;
  /**
   * `done(ok, [NativeDatagramTransportLike, protocol])`; the protocol is what
   * `factory` returned, whose `connectionMade` receives the native transport.
   */
  createDatagramEndpoint(factory: () => object, opts: NetDatagramOptions, done: Done): NativeCallLike;
  /** `loop.startTls`: `done(ok, Transport (already wrapped by the hook))`. */
  startTls(transport: NativeTransportLike, protocol: object, opts: NetStartTlsOptions, done: Done): NativeCallLike;
  /** `done(ok, [[family, type, proto, canonname, address], ...])`; `port` is a service string. */
  getaddrinfo(host: string | undefined, port: string | undefined, opts: NetAddrInfoOptions, done: Done): NativeCallLike;
  /** `done(ok, [host, service])`. */
  getnameinfo(host: string, port: number, flags: number, done: Done): NativeCallLike;
  /** A stream reader on this loop fed by its owner (`new StreamReader()`); `limit` checked by the layer. */
  newStreamReader(limit: number | undefined): NativeStreamReaderLike;
  /** Subprocesses and pipes (core/process); absent on a simulated host. */
  readonly process?: ProcessBackend;
  /** The `sock*` calls, `sendfile`, `connectAcceptedSocket`; absent on a simulated host. */
  readonly sockets?: SocketBackend;
}

/**
 * The socket constants a runtime reports (numbers, as Python's `socket`
 * module has them): the platform's in Node, Linux's in a simulation.
 */
export interface SocketConstants {
  readonly AF_UNSPEC: number;
  readonly AF_INET: number;
  readonly AF_INET6: number;
  readonly AF_UNIX: number;
  readonly SOCK_STREAM: number;
  readonly SOCK_DGRAM: number;
  readonly SOL_SOCKET: number;
  readonly SO_REUSEADDR: number;
  readonly SO_REUSEPORT: number;
  readonly SO_KEEPALIVE: number;
  readonly SO_BROADCAST: number;
  readonly SO_TYPE: number;
  readonly SO_RCVBUF: number;
  readonly SO_SNDBUF: number;
  readonly IPPROTO_TCP: number;
  readonly IPPROTO_UDP: number;
  readonly TCP_NODELAY: number;
  readonly IPPROTO_IPV6: number;
  readonly IPV6_V6ONLY: number;
  readonly AI_PASSIVE: number;
  readonly SHUT_RD: number;
  readonly SHUT_WR: number;
  readonly SHUT_RDWR: number;
}
