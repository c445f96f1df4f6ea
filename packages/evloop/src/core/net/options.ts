// The public option types of the networking calls (checked by args.ts).
// Browser-safe.

import type { SSLContextLike } from './tls.js';

/**
 * TLS (docs/tls.md): `ssl` is an `SSLContext` of the same entry (`evloop`
 * or `evloop/sim`); on connections `true` means `createDefaultContext()`. The
 * timeouts are seconds (defaults 60 and 30) and need `ssl`.
 */
export interface SslOptions {
  ssl?: SSLContextLike | boolean | null;
  sslHandshakeTimeout?: number | null;
  sslShutdownTimeout?: number | null;
}

/** `loop.startTls(transport, protocol, sslcontext, opts)`'s options. */
export interface StartTlsOptions {
  /** This end is the server (default false). */
  serverSide?: boolean | null;
  /** The name sent and checked (a client needs one). */
  serverHostname?: string | null;
  sslHandshakeTimeout?: number | null;
  sslShutdownTimeout?: number | null;
}

/** `writer.startTls(sslcontext, opts)`'s options (the writer knows its side). */
export type WriterStartTlsOptions = Omit<StartTlsOptions, 'serverSide'>;

/** A `Socket` (handed over once the call succeeds), a file descriptor, or an object with `fileno()`. */
export type SockLike = number | { fileno(): number } | null;

export interface ServerOptions extends SslOptions {
  /** `AF_UNSPEC` (default), `AF_INET` or `AF_INET6`. */
  family?: number;
  /** getaddrinfo flags (default `AI_PASSIVE`). */
  flags?: number;
  /** A bound stream socket's fd (or an object with `fileno()`); the server takes ownership. */
  sock?: SockLike;
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
  sock?: SockLike;
  backlog?: number;
  startServing?: boolean;
  /** Remove the socket file on close if it is still ours (default true). */
  cleanupSocket?: boolean;
}

export interface ConnectionOptions extends SslOptions {
  family?: number;
  flags?: number;
  /** A connected stream socket's fd; the transport takes ownership. */
  sock?: SockLike;
  /** `[host, port]` (or `{ address, port }`) to bind before connecting; a name resolves. */
  localAddr?: [string, number] | { address: string; port: number } | null;
  serverHostname?: string | null;
  /** The protocol number for getaddrinfo and the socket (0: the default). */
  proto?: number;
  /** Seconds: race the addresses (RFC 8305), starting the next one after this delay or when one fails. */
  happyEyeballsDelay?: number | null;
  /** Reorder the addresses by family, this many of the first family first (default 1 with happyEyeballsDelay). */
  interleave?: number | null;
  /** When every address fails, reject with an AggregateError of all the OSErrors. */
  allErrors?: boolean | null;
}

export interface UnixConnectionOptions extends SslOptions {
  sock?: SockLike;
  serverHostname?: string | null;
}

/** Streams: the reader's buffer limit (default 64 KiB). */
export interface StreamLimit {
  limit?: number;
}

/** createDatagramEndpoint's options (asyncio's keyword arguments). */
export interface DatagramEndpointOptions {
  /** Bind to `[host, port]`, `{ address, port }`, or (with `family: AF_UNIX`) a path. */
  localAddr?: [string, number] | { address: string; port: number } | string | null;
  /** Connect to it (with `allowBroadcast`: only make it `sendto`'s default destination). */
  remoteAddr?: [string, number] | { address: string; port: number } | string | null;
  /** `AF_INET`, `AF_INET6`, `AF_UNIX`; needed when neither address is given. */
  family?: number;
  proto?: number;
  /** getaddrinfo flags. */
  flags?: number;
  /** SO_REUSEPORT. */
  reusePort?: boolean | null;
  /** SO_BROADCAST. */
  allowBroadcast?: boolean | null;
  /** A datagram socket's fd (or an object with `fileno()`); the transport takes ownership. */
  sock?: SockLike;
}
