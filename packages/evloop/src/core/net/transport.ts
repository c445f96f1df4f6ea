// Transport and TransportSocket (asyncio's socket transport and its socket
// view), one class each for Node and the simulation, over a NetBinding;
// TransportBase, what Transport and DatagramTransport share; and the hooks
// the bindings call to wrap transports, make errors and deliver data.
// Browser-safe.

import { fromNative, makeError } from '../errors.js';
import { tlsExtraInfo } from './tls.js';
import { typeName } from '../values.js';
import { intArg, requiredIntArg } from './args.js';
import { inspectCustom } from '../format.js';
import type {
  BytesLike,
  NativeBaseTransportLike,
  NativeTransportLike,
  NativeTransportSocketLike,
  NetBinding,
  NetHooks,
} from './backend.js';
import { bytesList } from './bytes.js';
import { call } from './pending.js';
import type { Protocol, SocketAddress } from './protocol.js';

// The one `util.inspect` hook (core/format.ts), re-exported for the modules that import it from here.
export { inspectCustom };

const LIMIT = { min: -(2 ** 52), max: 2 ** 52 };

// ---------------------------------------------------------------- TransportSocket

let makeSocket: (binding: NetBinding, n: NativeTransportSocketLike) => TransportSocket;

/**
 * A view of a socket the loop owns (asyncio's TransportSocket): options and
 * addresses, no way to close, read, write or accept. `fileno()` is -1 once
 * the owner closed it.
 */
export class TransportSocket {
  readonly #n: NativeTransportSocketLike;

  static {
    makeSocket = (_binding, n) => new TransportSocket(n);
  }

  private constructor(n: NativeTransportSocketLike) {
    this.#n = n;
  }

  /** `AF_INET`, `AF_INET6` or `AF_UNIX`. */
  get family(): number {
    return this.#n.family;
  }

  /** `SOCK_STREAM`. */
  get type(): number {
    return this.#n.type;
  }

  /** `IPPROTO_TCP`, or 0 for a Unix socket. */
  get proto(): number {
    return this.#n.proto;
  }

  fileno(): number {
    return this.#n.fileno();
  }

  getsockname(): SocketAddress {
    return call(() => this.#n.getsockname()) as SocketAddress;
  }

  /** OSError (ENOTCONN) for a listening socket. */
  getpeername(): SocketAddress {
    return call(() => this.#n.getpeername()) as SocketAddress;
  }

  getsockopt(level: number, option: number): number {
    const l = requiredIntArg('getsockopt', 'level', level);
    const o = requiredIntArg('getsockopt', 'option', option);
    return call(() => this.#n.getsockopt(l, o));
  }

  setsockopt(level: number, option: number, value: number | boolean): void {
    const l = requiredIntArg('setsockopt', 'level', level);
    const o = requiredIntArg('setsockopt', 'option', option);
    const v = requiredIntArg('setsockopt', 'value', typeof value === 'boolean' ? Number(value) : value);
    call(() => this.#n.setsockopt(l, o, v));
  }

  /** Only 0 is accepted (ValueError otherwise, `null` included: the loop's sockets never block). */
  settimeout(timeout: number | null): void {
    if (timeout !== null && timeout !== undefined && typeof timeout !== 'number') {
      throw new TypeError(`settimeout(): timeout must be a number or null, got ${typeName(timeout)}`);
    }
    // Both bindings read null and undefined as Python's None.
    call(() => this.#n.settimeout(timeout ?? null));
  }

  /** Only `false` is accepted (ValueError otherwise). */
  setblocking(flag: boolean): void {
    call(() => this.#n.setblocking(Boolean(flag)));
  }

  /** Always 0. */
  gettimeout(): number {
    return this.#n.gettimeout();
  }

  toString(): string {
    return this.#n.describe().replace('<TransportSocket', '<asyncio.TransportSocket');
  }

  [inspectCustom](): string {
    return this.toString();
  }
}

/** A TransportSocket for a native socket, anything else unchanged (getExtraInfo's values). */
export function socketOrValue(binding: NetBinding, v: unknown): unknown {
  return binding.isSocket(v) ? makeSocket(binding, v) : v;
}

/** The TransportSocket views of a server's native sockets. */
export function socketViews(binding: NetBinding, list: ArrayLike<unknown>): TransportSocket[] {
  return Array.from(list, (s) => makeSocket(binding, s as NativeTransportSocketLike));
}

// ---------------------------------------------------------------- Transport

let makeTransport: (binding: NetBinding, n: NativeTransportLike) => Transport;
let nativeOf: (t: Transport) => NativeTransportLike;

/** The binding's transport under a package Transport (`startTls`). */
export function transportNative(t: Transport): NativeTransportLike {
  return nativeOf(t);
}

/** `{ high, low }` for setWriteBufferLimits' object form. */
export interface WriteBufferLimits {
  high?: number | null;
  low?: number | null;
}

/**
 * What a connection's Transport and a DatagramTransport share, as asyncio's
 * _SelectorTransport is the base of both: closing, extra info and the write
 * buffer, over a binding's native transport. Never made on its own.
 */
export abstract class TransportBase<N extends NativeBaseTransportLike = NativeBaseTransportLike> {
  readonly #n: N;
  readonly #binding: NetBinding;

  protected constructor(binding: NetBinding, n: N) {
    this.#n = n;
    this.#binding = binding;
  }

  /** The binding's transport under this one. */
  protected get native(): N {
    return this.#n;
  }

  /** The binding this transport belongs to (`touch()` before every call that may run protocol code). */
  protected get binding(): NetBinding {
    return this.#binding;
  }

  /** Sends what is buffered, then closes; `connectionLost(null)` follows. Idempotent. */
  close(): void {
    this.#binding.touch();
    this.#n.close();
  }

  /** Closes now, dropping what is buffered; `connectionLost(null)` follows. */
  abort(): void {
    this.#binding.touch();
    this.#n.abort();
  }

  isClosing(): boolean {
    return this.#n.isClosing();
  }

  /**
   * `"peername"` (of a connected endpoint), `"sockname"` (addresses, or the
   * path of a Unix socket), `"socket"` (a TransportSocket); `dflt` for other names.
   */
  getExtraInfo(name: 'peername' | 'sockname'): SocketAddress | null;
  getExtraInfo(name: 'socket'): TransportSocket;
  getExtraInfo<T = undefined>(name: string, dflt?: T): unknown;
  getExtraInfo(name: string, dflt?: unknown): unknown {
    return extraInfo(this.#binding, this.#n.getExtraInfo(String(name)), dflt);
  }

  /**
   * `high` alone gives `low = high / 4`; `low` alone `high = 4 * low`; may
   * call `pauseWriting()` at once.
   */
  setWriteBufferLimits(high?: number | null, low?: number | null): void;
  setWriteBufferLimits(limits: WriteBufferLimits): void;
  setWriteBufferLimits(high?: number | null | WriteBufferLimits, low?: number | null): void {
    let hi: unknown = high;
    let lo: unknown = low;
    if (high !== null && typeof high === 'object' && !Array.isArray(high)) {
      ({ high: hi, low: lo } = high);
    }
    const h = intArg('setWriteBufferLimits', 'high', hi, LIMIT);
    const l = intArg('setWriteBufferLimits', 'low', lo, LIMIT);
    this.#binding.touch();
    call(() => this.#n.setWriteBufferLimits(h, l));
  }

  /** `[low, high]` (default `[16384, 65536]`). */
  getWriteBufferLimits(): [low: number, high: number] {
    const [low = 0, high = 0] = Array.from(this.#n.getWriteBufferLimits());
    return [low, high];
  }

  /** Buffered bytes (a DatagramTransport adds 8 per buffered datagram, asyncio's accounting). */
  getWriteBufferSize(): number {
    return this.#n.getWriteBufferSize();
  }

  abstract toString(): string;

  [inspectCustom](): string {
    return this.toString();
  }
}

/**
 * A connection's transport (asyncio's socket transport): writes are copied
 * and flow-controlled, `close()` flushes first, `abort()` does not.
 */
export class Transport extends TransportBase<NativeTransportLike> {
  /** The binding's write function and this transport's key for it: the hot path in one call. */
  readonly #write: (key: unknown, data: unknown) => void;
  readonly #key: unknown;

  static {
    makeTransport = (binding, n) => new Transport(binding, n);
    nativeOf = (t) => t.native;
  }

  private constructor(binding: NetBinding, n: NativeTransportLike) {
    super(binding, n);
    this.#write = binding.write;
    this.#key = binding.writeKey(n);
  }

  /**
   * Sends `data` (any bytes-like value; what is not sent at once is copied).
   * TypeError for a string; RuntimeError after `writeEof()`.
   */
  write(data: BytesLike): void {
    try {
      this.#write(this.#key, data);
    } catch (e) {
      // Off the hot path: a bare SharedArrayBuffer, which the addon cannot recognize, goes again as a view.
      if (!isSharedBuffer(data)) throw fromNative(e);
      call(() => this.#write(this.#key, new Uint8Array(data)));
    }
  }

  /** Sends each piece, in order (an iterable of bytes-like values). */
  writelines(list: Iterable<BytesLike>): void {
    const pieces = bytesList('writelines', list);
    this.binding.touch();
    call(() => this.native.writelines(pieces));
  }

  /** Closes the write side once the buffer is flushed. */
  writeEof(): void {
    this.binding.touch();
    this.native.writeEof();
  }

  canWriteEof(): boolean {
    return this.native.canWriteEof();
  }

  pauseReading(): void {
    this.binding.touch();
    this.native.pauseReading();
  }

  resumeReading(): void {
    this.binding.touch();
    this.native.resumeReading();
  }

  isReading(): boolean {
    return this.native.isReading();
  }

  /** Makes `protocol` receive the connection's events from now on. */
  setProtocol(protocol: Protocol): void {
    if (protocol === null || typeof protocol !== 'object') {
      throw new TypeError(`setProtocol(): protocol must be an object, got ${typeName(protocol)}`);
    }
    this.binding.touch();
    call(() => this.native.setProtocol(protocol, this));
  }

  /** The protocol; null once the connection is lost. */
  getProtocol(): Protocol | null {
    return (this.native.getProtocol() ?? null) as Protocol | null;
  }

  toString(): string {
    return `<Transport${this.native.isClosing() ? ' closing' : ''}>`;
  }
}

/** Whether `data` is a SharedArrayBuffer (a global only where the page may share memory). */
function isSharedBuffer(data: unknown): data is SharedArrayBuffer {
  return typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer;
}

/** getExtraInfo's result: `dflt` for an unknown name, a view for a native socket. */
export function extraInfo(binding: NetBinding, v: unknown, dflt: unknown): unknown {
  if (v === undefined) return dflt;
  return tlsExtraInfo(socketOrValue(binding, v));
}

/** The package's Transport for a binding's native transport (a StreamWriter's `transport`). */
export function wrapTransport(binding: NetBinding, n: NativeTransportLike): Transport {
  return makeTransport(binding, n);
}

// ---------------------------------------------------------------- hooks

/**
 * `protocol.dataReceived(data)` for the addon, which passes a part of a
 * shared pool Buffer (`offset`, `length`), or a Buffer of its own with a
 * length of -1 (crates/evloop-node/src/read_pool.rs). A throwing getter
 * reads as no method, as for every other protocol method.
 */
function deliverData(protocol: object, data: Uint8Array, offset: number, length: number): void {
  let method: unknown;
  try {
    method = (protocol as Protocol).dataReceived;
  } catch {
    return;
  }
  if (typeof method !== 'function') return;
  (method as (d: Uint8Array) => void).call(protocol, length < 0 ? data : partOf(data, offset, length));
}

/** The constructor `subarray` would use for a view of `data`, if it has one. */
type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Uint8Array;

/**
 * `data.subarray(offset, offset + length)`, built the way `subarray` builds
 * it (the species of `data`'s constructor over the same memory: a Buffer
 * for a Node slab) but without its generic path: on Node's `Buffer`, whose
 * prototype chain V8's fast species check does not cover, `subarray` cost
 * about 150 ns per read against 55 ns for this (CPU time, Node 20; once per
 * `dataReceived`, bench/bounds.md "1 KiB in Node").
 */
function partOf(data: Uint8Array, offset: number, length: number): Uint8Array {
  const ctor: unknown = data.constructor;
  const species: unknown = typeof ctor === 'function' ? (ctor as { [Symbol.species]?: unknown })[Symbol.species] : undefined;
  if (typeof species !== 'function') return data.subarray(offset, offset + length);
  return new (species as ViewConstructor)(data.buffer, data.byteOffset + offset, length);
}

/** The hooks a back-end module installs in its binding (backend.ts, `NetHooks`). */
export function netHooks(binding: NetBinding): NetHooks {
  return {
    wrapTransport: (n) => makeTransport(binding, n),
    makeError,
    deliverData,
  };
}
