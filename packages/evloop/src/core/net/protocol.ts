// The public value types of networking: addresses and protocols.
// Browser-safe.

import type { Transport } from './transport.js';

/**
 * An IP socket address as `node:net` gives it; in a simulation `address` is
 * the host's name and `family` is "sim".
 */
export interface InetAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6' | 'sim';
}

/** An IP (or simulated) address, or the path of a Unix socket. */
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
  /** Bytes arrived (a new Uint8Array each call, a Buffer in Node; boundaries are not preserved). */
  dataReceived?(data: Uint8Array): void;
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
