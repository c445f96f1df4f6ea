// Networking over the native loop: the loop methods createServer,
// createUnixServer, createConnection and createUnixConnection; Server,
// Transport and TransportSocket; asyncio's streams (startServer,
// openConnection, ...); the platform's socket constants.
//
// The core (crates/evloop) does the work: this layer checks arguments
// (messages name the call and the argument), maps native errors to the
// package's classes, and turns completion callbacks into promises. Protocol
// objects are plain objects the native side calls directly (every method
// optional); see docs/net.md.

import { inspect } from 'node:util';
import * as native from '../../native/index.js';
import * as errors from './errors.js';
import { BaseEventLoop, getRunningLoop } from './loop.js';
import { internal, typeName } from './internal.js';
import { connectionArgs, functionArg, intArg, optionsArg, requiredIntArg, serverArgs, unixConnectionArgs, unixServerArgs } from './net-args.js';

const { IncompleteReadError, LimitOverrunError } = errors;

/** Lets the package construct the classes below; users get them from calls. */
const kToken = Symbol('evloop.net');

// ---------------------------------------------------------------- constants

const C = native.socketConstants();
export const AF_UNSPEC = C.AF_UNSPEC;
export const AF_INET = C.AF_INET;
export const AF_INET6 = C.AF_INET6;
export const AF_UNIX = C.AF_UNIX;
export const SOCK_STREAM = C.SOCK_STREAM;
export const SOCK_DGRAM = C.SOCK_DGRAM;
export const SOL_SOCKET = C.SOL_SOCKET;
export const SO_REUSEADDR = C.SO_REUSEADDR;
export const SO_REUSEPORT = C.SO_REUSEPORT;
export const SO_KEEPALIVE = C.SO_KEEPALIVE;
export const SO_TYPE = C.SO_TYPE;
export const SO_RCVBUF = C.SO_RCVBUF;
export const SO_SNDBUF = C.SO_SNDBUF;
export const IPPROTO_TCP = C.IPPROTO_TCP;
export const TCP_NODELAY = C.TCP_NODELAY;
export const IPPROTO_IPV6 = C.IPPROTO_IPV6;
export const IPV6_V6ONLY = C.IPV6_V6ONLY;
export const AI_PASSIVE = C.AI_PASSIVE;

// ---------------------------------------------------------------- errors

function errorClass(name) {
  if (name === 'TypeError') return TypeError;
  if (name === 'RangeError') return RangeError;
  const cls = errors[name];
  return typeof cls === 'function' && cls.prototype instanceof Error ? cls : undefined;
}

/**
 * The package's error for a native code string ("ValueError",
 * "ConnectionRefusedError|ECONNREFUSED|111|connect") and message.
 */
function makeError(code, message, extra) {
  const [name, ecode, errno, syscall] = String(code).split('|');
  if (name === 'IncompleteReadError') return new IncompleteReadError(extra.partial, extra.expected);
  if (name === 'LimitOverrunError') return new LimitOverrunError(message, extra.consumed);
  const cls = errorClass(name);
  if (cls === undefined) return new Error(message);
  if (ecode === undefined) return new cls(message);
  return new cls(message, {
    code: ecode || undefined,
    errno: errno ? Number(errno) : undefined,
    syscall: syscall || undefined,
  });
}

/** Maps an error thrown by the native module; other values pass through. */
function toError(e) {
  if (e instanceof Error && typeof e.code === 'string' && !(e instanceof errors.OSError)) {
    const mapped = makeError(e.code, e.message);
    if (mapped.constructor !== Error) return mapped;
  }
  return e;
}

/** `fn()`, with native errors mapped. */
function call(fn) {
  try {
    return fn();
  } catch (e) {
    throw toError(e);
  }
}

/**
 * A promise settled by a native completion callback `done(ok, value)`;
 * `start(done)` throwing rejects it. `wrap` converts a success value.
 */
function pending(start, wrap) {
  return new Promise((resolve, reject) => {
    try {
      start((ok, value) => (ok ? resolve(wrap === undefined ? value : wrap(value)) : reject(value)));
    } catch (e) {
      reject(toError(e));
    }
  });
}

/**
 * `protocol.dataReceived(data)` for the native side, which passes a part of
 * a shared pool Buffer (`offset`, `length`), or a Buffer of its own with a
 * length of -1 (crates/evloop-node/src/read_pool.rs). A throwing getter
 * reads as no method, as for every other protocol method.
 */
function deliverData(protocol, data, offset, length) {
  let method;
  try {
    method = protocol.dataReceived;
  } catch {
    return;
  }
  if (typeof method !== 'function') return;
  method.call(protocol, length < 0 ? data : data.subarray(offset, offset + length));
}

native.setNetHooks((nt) => new Transport(kToken, nt), makeError, deliverData);

/** `Transport.write` without a class-method call per write (js_write.rs in the addon). */
const writeTransport = native.transportWriter();

// ---------------------------------------------------------------- arguments

/** An iterable of bytes-like objects, as an array (the items are checked natively). */
function listArg(call, name, list) {
  if (Array.isArray(list)) return list;
  if (list === null || list === undefined || typeof list[Symbol.iterator] !== 'function' || typeof list === 'string') {
    throw new TypeError(`${call}(): ${name} must be an iterable of bytes-like objects, got ${typeName(list)}`);
  }
  return Array.from(list);
}

function nativeLoop(loop) {
  return internal.nativeOf(loop);
}

/** The running loop, for the stream functions (asyncio uses get_running_loop()). */
function runningLoop() {
  return getRunningLoop();
}

// ---------------------------------------------------------------- TransportSocket

/**
 * A view of a socket the loop owns (asyncio's TransportSocket): options and
 * addresses, no way to close, read, write or accept. `fileno()` is -1 once
 * the owner closed it.
 */
export class TransportSocket {
  #n;

  constructor(token, n) {
    if (token !== kToken) throw new TypeError('TransportSocket objects are made by the loop');
    this.#n = n;
  }

  /** `AF_INET`, `AF_INET6` or `AF_UNIX`. */
  get family() {
    return this.#n.family;
  }

  /** `SOCK_STREAM`. */
  get type() {
    return this.#n.type;
  }

  /** `IPPROTO_TCP`, or 0 for a Unix socket. */
  get proto() {
    return this.#n.proto;
  }

  fileno() {
    return this.#n.fileno();
  }

  getsockname() {
    return call(() => this.#n.getsockname());
  }

  getpeername() {
    return call(() => this.#n.getpeername());
  }

  getsockopt(level, option) {
    requiredIntArg('getsockopt', 'level', level);
    requiredIntArg('getsockopt', 'option', option);
    return call(() => this.#n.getsockopt(level, option));
  }

  setsockopt(level, option, value) {
    requiredIntArg('setsockopt', 'level', level);
    requiredIntArg('setsockopt', 'option', option);
    const v = typeof value === 'boolean' ? Number(value) : value;
    requiredIntArg('setsockopt', 'value', v);
    call(() => this.#n.setsockopt(level, option, v));
  }

  /** Only 0 is allowed: the loop's sockets never block. */
  settimeout(timeout) {
    if (timeout !== null && timeout !== undefined && typeof timeout !== 'number') {
      throw new TypeError(`settimeout(): timeout must be a number or null, got ${typeName(timeout)}`);
    }
    call(() => this.#n.settimeout(timeout ?? null));
  }

  /** Only `false` is allowed. */
  setblocking(flag) {
    call(() => this.#n.setblocking(Boolean(flag)));
  }

  /** Always 0. */
  gettimeout() {
    return this.#n.gettimeout();
  }

  toString() {
    return this.#n.describe().replace('<TransportSocket', '<asyncio.TransportSocket');
  }

  [inspect.custom]() {
    return this.toString();
  }
}

// ---------------------------------------------------------------- Transport

/**
 * A connection's transport (asyncio's socket transport): writes are copied
 * and flow-controlled, `close()` flushes first, `abort()` does not.
 */
export class Transport {
  #n;
  /** Its native object's slot for `writeTransport` (js_write.rs in the addon). */
  #slot;

  constructor(token, n) {
    if (token !== kToken) throw new TypeError('Transport objects are made by the loop');
    this.#n = n;
    this.#slot = n.slot;
  }

  /** Sends `data` (a Uint8Array/Buffer; what is not sent at once is copied); a string is a TypeError. */
  write(data) {
    try {
      writeTransport(this.#slot, data);
    } catch (e) {
      throw toError(e);
    }
  }

  /** Sends each piece, in order. */
  writelines(list) {
    call(() => this.#n.writelines(listArg('writelines', 'list', list)));
  }

  /** Closes the write side once the buffer is flushed. */
  writeEof() {
    this.#n.writeEof();
  }

  canWriteEof() {
    return this.#n.canWriteEof();
  }

  /** Flushes, then closes; `connectionLost(null)` follows. Idempotent. */
  close() {
    this.#n.close();
  }

  /** Closes now, dropping buffered data; `connectionLost(null)` follows. */
  abort() {
    this.#n.abort();
  }

  isClosing() {
    return this.#n.isClosing();
  }

  /**
   * `"peername"`, `"sockname"` (addresses as node:net gives them, or the
   * path of a Unix socket), `"socket"` (a TransportSocket); `dflt` for
   * other names.
   */
  getExtraInfo(name, dflt = undefined) {
    const v = this.#n.getExtraInfo(String(name));
    if (v === undefined) return dflt;
    if (v instanceof native.NativeTransportSocket) return new TransportSocket(kToken, v);
    return v;
  }

  pauseReading() {
    this.#n.pauseReading();
  }

  resumeReading() {
    this.#n.resumeReading();
  }

  isReading() {
    return this.#n.isReading();
  }

  /** `setWriteBufferLimits(high?, low?)` or `setWriteBufferLimits({ high, low })`. */
  setWriteBufferLimits(high = undefined, low = undefined) {
    if (high !== null && typeof high === 'object' && !Array.isArray(high)) {
      ({ high, low } = high);
    }
    const h = intArg('setWriteBufferLimits', 'high', high, { min: -(2 ** 52), max: 2 ** 52 });
    const l = intArg('setWriteBufferLimits', 'low', low, { min: -(2 ** 52), max: 2 ** 52 });
    call(() => this.#n.setWriteBufferLimits(h, l));
  }

  /** `[low, high]`. */
  getWriteBufferLimits() {
    return this.#n.getWriteBufferLimits();
  }

  getWriteBufferSize() {
    return this.#n.getWriteBufferSize();
  }

  /** Makes `protocol` receive the connection's events from now on. */
  setProtocol(protocol) {
    if (protocol === null || typeof protocol !== 'object') {
      throw new TypeError(`setProtocol(): protocol must be an object, got ${typeName(protocol)}`);
    }
    call(() => this.#n.setProtocol(protocol, this));
  }

  /** The protocol; null once the connection is lost. */
  getProtocol() {
    return this.#n.getProtocol();
  }

  toString() {
    return `<Transport${this.#n.isClosing() ? ' closing' : ''}>`;
  }
}

// ---------------------------------------------------------------- Server

/** A listening server (asyncio.Server). */
export class Server {
  #n;
  #loop;

  constructor(token, n, loop) {
    if (token !== kToken) throw new TypeError('Server objects are made by createServer()');
    this.#n = n;
    this.#loop = loop;
  }

  /** Stops listening now (accepted connections stay open). Idempotent. */
  close() {
    this.#n.close();
  }

  /** Closes every current connection gracefully (buffers flushed). */
  closeClients() {
    this.#n.closeClients();
  }

  /** Aborts every current connection (buffers dropped). */
  abortClients() {
    this.#n.abortClients();
  }

  getLoop() {
    return this.#loop;
  }

  isServing() {
    return this.#n.isServing();
  }

  /** Listens now; resolves one iteration later. RuntimeError once closed. */
  startServing() {
    return pending((done) => this.#n.startServing(done));
  }

  /**
   * Serves until cancelled: rejects with CancelledError once the server was
   * closed (by `close()`, or by cancelling) and `waitClosed()` completed.
   * Cancel it with the returned promise's `cancel()`, or with `signal`.
   * The promise never causes an unhandled rejection: await it to see it.
   */
  serveForever(options = undefined) {
    let handle = null;
    let signal;
    const p = pending((done) => {
      ({ signal } = optionsArg('serveForever', options, ['signal']));
      if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal)) {
        throw new TypeError(`serveForever(): signal must be an AbortSignal, got ${typeName(signal)}`);
      }
      handle = this.#n.serveForever(done);
    });
    p.catch(() => {});
    p.cancel = () => (handle === null ? false : handle.cancel());
    if (signal instanceof AbortSignal) {
      if (signal.aborted) p.cancel();
      else signal.addEventListener('abort', () => p.cancel(), { once: true });
    }
    return p;
  }

  /** Resolves once the server is closed and the last connection is lost. */
  waitClosed() {
    return pending((done) => this.#n.waitClosed(done));
  }

  /** A new array of new TransportSocket views on every read; empty once closed. */
  get sockets() {
    return this.#n.sockets().map((s) => new TransportSocket(kToken, s));
  }

  /** `await using server = ...`: close, then waitClosed. */
  async [Symbol.asyncDispose]() {
    this.close();
    await this.waitClosed();
  }

  toString() {
    return this.#n.describe().replaceAll('<TransportSocket', '<asyncio.TransportSocket');
  }

  [inspect.custom]() {
    return this.toString();
  }
}

// ---------------------------------------------------------------- loop methods

const LF = Uint8Array.of(10);

const loopMethods = {
  /**
   * `createServer(protocolFactory, host?, port?, opts?)`: binds one socket
   * per address of `host` (null/"" for all interfaces, or an array), and
   * resolves to a Server, listening unless `startServing: false`.
   */
  createServer(protocolFactory, host = undefined, port = undefined, opts = undefined) {
    return pending((done) => {
      const c = 'createServer';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [h, p, o] = serverArgs(c, host, port, opts);
      call(() => native.netCreateServer(nativeLoop(this), protocolFactory, h, p, o, done));
    }, (n) => new Server(kToken, n, this));
  },

  /** `createUnixServer(protocolFactory, path, opts?)`. */
  createUnixServer(protocolFactory, path = undefined, opts = undefined) {
    return pending((done) => {
      const c = 'createUnixServer';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [p, o] = unixServerArgs(c, path, opts);
      call(() => native.netCreateUnixServer(nativeLoop(this), protocolFactory, p, o, done));
    }, (n) => new Server(kToken, n, this));
  },

  /** `createConnection(protocolFactory, host, port, opts?)`: resolves to `[transport, protocol]`. */
  createConnection(protocolFactory, host = undefined, port = undefined, opts = undefined) {
    return pending((done) => {
      const c = 'createConnection';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [h, p, o] = connectionArgs(c, host, port, opts);
      call(() => native.netCreateConnection(nativeLoop(this), protocolFactory, h, p, o, done));
    });
  },

  /** `createUnixConnection(protocolFactory, path, opts?)`: resolves to `[transport, protocol]`. */
  createUnixConnection(protocolFactory, path = undefined, opts = undefined) {
    return pending((done) => {
      const c = 'createUnixConnection';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [p, o] = unixConnectionArgs(c, path, opts);
      call(() => native.netCreateUnixConnection(nativeLoop(this), protocolFactory, p, o, done));
    });
  },
};

for (const [name, fn] of Object.entries(loopMethods)) {
  Object.defineProperty(BaseEventLoop.prototype, name, { value: fn, writable: true, configurable: true });
}

// ---------------------------------------------------------------- streams

/** The read half of a stream (asyncio.StreamReader). */
export class StreamReader {
  #n;

  constructor(token, n) {
    if (token !== kToken) throw new TypeError('StreamReader objects are made by openConnection() and startServer()');
    this.#n = n;
  }

  /** Up to `n` bytes, waiting only if nothing is buffered; `-1` (default) reads until EOF. */
  read(n = -1) {
    return pending((done) => {
      requiredIntArg('read', 'n', n, { min: -(2 ** 52), max: 2 ** 52 });
      this.#n.read(n, done);
    });
  }

  /** Up to and including `\n`; at EOF, the partial line (empty at the end). */
  readline() {
    return pending((done) => this.#n.readline(done));
  }

  /** Exactly `n` bytes; IncompleteReadError if EOF comes first. */
  readexactly(n) {
    return pending((done) => {
      if (typeof n !== 'number') throw new TypeError(`readexactly(): n must be an integer, got ${typeName(n)}`);
      intArg('readexactly', 'n', n, { min: -(2 ** 52), max: 2 ** 52 });
      this.#n.readexactly(n, done);
    });
  }

  /**
   * Up to and including `separator` (a Uint8Array, or an array of them:
   * the first match ends the chunk). IncompleteReadError at EOF,
   * LimitOverrunError past the limit.
   */
  readuntil(separator = LF) {
    return pending((done) => call(() => this.#n.readuntil(separator, done)));
  }

  /** Whether EOF was received and the buffer is empty. */
  atEof() {
    return this.#n.atEof();
  }

  /** The buffer limit (default 64 KiB). */
  get limit() {
    return this.#n.limit;
  }

  /** Lines until EOF (asyncio's `async for line in reader`). */
  async *[Symbol.asyncIterator]() {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  toString() {
    return this.#n.describe();
  }

  [inspect.custom]() {
    return this.toString();
  }
}

/** The write half of a stream (asyncio.StreamWriter). */
export class StreamWriter {
  #n;
  #transport = null;

  constructor(token, n) {
    if (token !== kToken) throw new TypeError('StreamWriter objects are made by openConnection() and startServer()');
    this.#n = n;
  }

  get transport() {
    this.#transport ??= new Transport(kToken, this.#n.transport());
    return this.#transport;
  }

  write(data) {
    call(() => this.#n.write(data));
  }

  writelines(list) {
    call(() => this.#n.writelines(listArg('writelines', 'list', list)));
  }

  writeEof() {
    this.#n.writeEof();
  }

  canWriteEof() {
    return this.#n.canWriteEof();
  }

  close() {
    this.#n.close();
  }

  isClosing() {
    return this.#n.isClosing();
  }

  /** Waits until the write buffer is down to its low-water mark (flow control). */
  drain() {
    return pending((done) => this.#n.drain(done));
  }

  /** Resolves once the connection is lost (rejects with its error, if any). */
  waitClosed() {
    return pending((done) => this.#n.waitClosed(done));
  }

  getExtraInfo(name, dflt = undefined) {
    const v = this.#n.getExtraInfo(String(name));
    if (v === undefined) return dflt;
    if (v instanceof native.NativeTransportSocket) return new TransportSocket(kToken, v);
    return v;
  }

  /** `await using writer = ...`: close, then wait until the connection is gone (errors ignored). */
  async [Symbol.asyncDispose]() {
    this.close();
    await this.waitClosed().catch(() => {});
  }

  toString() {
    return this.#n.describe();
  }

  [inspect.custom]() {
    return this.toString();
  }
}

function streamPair([r, w]) {
  return [new StreamReader(kToken, r), new StreamWriter(kToken, w)];
}

/**
 * The native per-connection callback of a stream server: wraps the
 * reader and writer, runs `clientConnected`, and settles `done` when the
 * promise it returns settles (a rejection is reported and closes the
 * connection, as asyncio does for its task).
 */
function clientCallback(clientConnected) {
  return (nr, nw, done) => {
    let result;
    try {
      result = clientConnected(new StreamReader(kToken, nr), new StreamWriter(kToken, nw));
    } catch (e) {
      done.reject(e);
      return;
    }
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      Promise.resolve(result).then(() => done.resolve(), (e) => done.reject(e));
    } else {
      done.resolve();
    }
  };
}

/**
 * `startServer(clientConnected, host?, port?, opts?)` on the running loop:
 * `clientConnected(reader, writer)` runs for each connection (it may be
 * async). Options: those of createServer, plus `limit`.
 */
export function startServer(clientConnected, host = undefined, port = undefined, opts = undefined) {
  return pending((done) => {
    const c = 'startServer';
    const loop = runningLoop();
    functionArg(c, 'clientConnected', clientConnected);
    const [h, p, o] = serverArgs(c, host, port, opts, { stream: true });
    call(() => native.netStartServer(nativeLoop(loop), clientCallback(clientConnected), h, p, o, (ok, v) => done(ok, ok ? new Server(kToken, v, loop) : v)));
  });
}

/** `startUnixServer(clientConnected, path, opts?)` on the running loop. */
export function startUnixServer(clientConnected, path = undefined, opts = undefined) {
  return pending((done) => {
    const c = 'startUnixServer';
    const loop = runningLoop();
    functionArg(c, 'clientConnected', clientConnected);
    const [p, o] = unixServerArgs(c, path, opts, { stream: true });
    call(() => native.netStartUnixServer(nativeLoop(loop), clientCallback(clientConnected), p, o, (ok, v) => done(ok, ok ? new Server(kToken, v, loop) : v)));
  });
}

/** `openConnection(host, port, opts?)` on the running loop: `[reader, writer]`. */
export function openConnection(host = undefined, port = undefined, opts = undefined) {
  return pending((done) => {
    const c = 'openConnection';
    const loop = runningLoop();
    const [h, p, o] = connectionArgs(c, host, port, opts, { stream: true });
    call(() => native.netOpenConnection(nativeLoop(loop), h, p, o, done));
  }, streamPair);
}

/** `openUnixConnection(path, opts?)` on the running loop: `[reader, writer]`. */
export function openUnixConnection(path = undefined, opts = undefined) {
  return pending((done) => {
    const c = 'openUnixConnection';
    const loop = runningLoop();
    const [p, o] = unixConnectionArgs(c, path, opts, { stream: true });
    call(() => native.netOpenUnixConnection(nativeLoop(loop), p, o, done));
  }, streamPair);
}

