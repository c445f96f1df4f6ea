// Networking of "evloop/sim": the host methods createServer,
// createConnection (and the Unix forms, which a simulation refuses);
// Server, Transport and TransportSocket; asyncio's streams. The same
// classes and checks as the Node package's (packages/evloop/src/net.js),
// over the wasm binding, without Node modules. Bytes are Uint8Arrays.

import * as errors from '../src/errors.js';
import { connectionArgs, functionArg, intArg, serverArgs, unixConnectionArgs, unixServerArgs } from '../src/net-args.js';
import { NativeTransportSocket } from '../../wasm/evloop_wasm.js';
import { internal, touch, typeName } from './util.js';

const { IncompleteReadError, LimitOverrunError } = errors;

/** Lets the package construct the classes below; users get them from calls. */
export const kToken = Symbol('evloop.sim.net');

// ---------------------------------------------------------------- constants

// What simulated sockets report, on every platform (Linux's numbers).
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_REUSEPORT = 15;
export const SO_KEEPALIVE = 9;
export const SO_TYPE = 3;
export const SO_RCVBUF = 8;
export const SO_SNDBUF = 7;
export const IPPROTO_TCP = 6;
export const TCP_NODELAY = 1;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
export const AI_PASSIVE = 1;

// ---------------------------------------------------------------- errors

function errorClass(name) {
  if (name === 'TypeError') return TypeError;
  if (name === 'RangeError') return RangeError;
  const cls = errors[name];
  return typeof cls === 'function' && cls.prototype instanceof Error ? cls : undefined;
}

/**
 * The package's error for a binding code string ("ValueError",
 * "ConnectionRefusedError|ECONNREFUSED|111|connect") and message.
 */
export function makeError(code, message, extra) {
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

/**
 * A promise settled by a binding completion callback `done(ok, value)`;
 * `start(done)` throwing rejects it. `wrap` converts a success value.
 */
function pending(start, wrap) {
  return new Promise((resolve, reject) => {
    try {
      start((ok, value) => (ok ? resolve(wrap === undefined ? value : wrap(value)) : reject(value)));
    } catch (e) {
      reject(e);
    }
  });
}

// ---------------------------------------------------------------- arguments
// The calls' own checks are the Node package's (src/net-args.js). Bytes are
// checked here: the Node addon checks them natively, the wasm binding not.

/** Bytes for a write: a Uint8Array (a Node Buffer is one), another typed array or view, an ArrayBuffer. */
export function bytesArg(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError(`data argument must be a bytes-like object, not '${typeof data === 'string' ? 'str' : typeName(data)}'`);
}

function bytesList(list) {
  if (list === null || list === undefined || typeof list[Symbol.iterator] !== 'function') {
    throw new TypeError(`writelines(): list_of_data must be an iterable, got ${typeName(list)}`);
  }
  return Array.from(list, bytesArg);
}

// ---------------------------------------------------------------- TransportSocket

/** A view of a socket the loop owns (asyncio's TransportSocket). */
export class TransportSocket {
  #n;

  constructor(token, n) {
    if (token !== kToken) throw new TypeError('TransportSocket objects are made by the loop');
    this.#n = n;
  }

  get family() {
    return this.#n.family;
  }

  get type() {
    return this.#n.type;
  }

  get proto() {
    return this.#n.proto;
  }

  fileno() {
    return this.#n.fileno();
  }

  getsockname() {
    return this.#n.getsockname();
  }

  getpeername() {
    return this.#n.getpeername();
  }

  getsockopt(level, option) {
    intArg('getsockopt', 'level', level);
    intArg('getsockopt', 'option', option);
    return this.#n.getsockopt(level, option);
  }

  setsockopt(level, option, value) {
    intArg('setsockopt', 'level', level);
    intArg('setsockopt', 'option', option);
    const v = typeof value === 'boolean' ? Number(value) : value;
    intArg('setsockopt', 'value', v);
    this.#n.setsockopt(level, option, v);
  }

  settimeout(timeout) {
    if (timeout !== null && timeout !== undefined && typeof timeout !== 'number') {
      throw new TypeError(`settimeout(): timeout must be a number or null, got ${typeName(timeout)}`);
    }
    this.#n.settimeout(timeout ?? undefined);
  }

  setblocking(flag) {
    this.#n.setblocking(Boolean(flag));
  }

  gettimeout() {
    return this.#n.gettimeout();
  }

  toString() {
    return this.#n.describe().replace('<TransportSocket', '<asyncio.TransportSocket');
  }
}

function socketOrValue(v) {
  return v instanceof NativeTransportSocket ? new TransportSocket(kToken, v) : v;
}

// ---------------------------------------------------------------- Transport

/** A connection's transport (asyncio's socket transport). */
export class Transport {
  #n;

  constructor(token, n) {
    if (token !== kToken) throw new TypeError('Transport objects are made by the loop');
    this.#n = n;
  }

  write(data) {
    const bytes = bytesArg(data);
    touch();
    this.#n.write(bytes);
  }

  writelines(list) {
    const pieces = bytesList(list);
    touch();
    this.#n.writelines(pieces);
  }

  writeEof() {
    touch();
    this.#n.writeEof();
  }

  canWriteEof() {
    return this.#n.canWriteEof();
  }

  close() {
    touch();
    this.#n.close();
  }

  abort() {
    touch();
    this.#n.abort();
  }

  isClosing() {
    return this.#n.isClosing();
  }

  getExtraInfo(name, dflt = undefined) {
    const v = this.#n.getExtraInfo(String(name));
    if (v === undefined) return dflt;
    return socketOrValue(v);
  }

  pauseReading() {
    touch();
    this.#n.pauseReading();
  }

  resumeReading() {
    touch();
    this.#n.resumeReading();
  }

  isReading() {
    return this.#n.isReading();
  }

  setWriteBufferLimits(high = undefined, low = undefined) {
    if (high !== null && typeof high === 'object') {
      ({ high, low } = high);
    }
    const h = intArg('setWriteBufferLimits', 'high', high, { min: -(2 ** 52), max: 2 ** 52 });
    const l = intArg('setWriteBufferLimits', 'low', low, { min: -(2 ** 52), max: 2 ** 52 });
    touch();
    this.#n.setWriteBufferLimits(h, l);
  }

  getWriteBufferLimits() {
    return Array.from(this.#n.getWriteBufferLimits());
  }

  getWriteBufferSize() {
    return this.#n.getWriteBufferSize();
  }

  setProtocol(protocol) {
    if (protocol === null || typeof protocol !== 'object') {
      throw new TypeError(`setProtocol(): protocol must be an object, got ${typeName(protocol)}`);
    }
    this.#n.setProtocol(protocol, this);
  }

  getProtocol() {
    return this.#n.getProtocol();
  }

  toString() {
    return `<Transport${this.#n.isClosing() ? ' closing' : ''}>`;
  }
}

/** The hook the binding calls to wrap a native transport. */
export function wrapTransport(n) {
  return new Transport(kToken, n);
}

// ---------------------------------------------------------------- Server

/** A listening server (asyncio.Server), with the core's bookkeeping. */
export class Server {
  #n;
  #loop;

  constructor(token, n, loop) {
    if (token !== kToken) throw new TypeError('Server objects are made by createServer()');
    this.#n = n;
    this.#loop = loop;
  }

  close() {
    touch();
    this.#n.close();
  }

  closeClients() {
    touch();
    this.#n.closeClients();
  }

  abortClients() {
    touch();
    this.#n.abortClients();
  }

  getLoop() {
    return this.#loop;
  }

  isServing() {
    return this.#n.isServing();
  }

  /** Accepted connections whose `connectionLost` has not run yet (an extension). */
  clientCount() {
    return this.#n.clientCount();
  }

  startServing() {
    touch();
    return pending((done) => this.#n.startServing(done));
  }

  serveForever({ signal = undefined } = {}) {
    let handle = null;
    touch();
    const p = pending((done) => {
      handle = this.#n.serveForever(done);
    });
    p.catch(() => {});
    p.cancel = () => {
      touch();
      return handle === null ? false : handle.cancel();
    };
    if (signal !== undefined && signal !== null) {
      if (signal.aborted) p.cancel();
      else signal.addEventListener('abort', () => p.cancel(), { once: true });
    }
    return p;
  }

  waitClosed() {
    return pending((done) => this.#n.waitClosed(done));
  }

  get sockets() {
    return Array.from(this.#n.sockets(), (s) => new TransportSocket(kToken, s));
  }

  async [Symbol.asyncDispose]() {
    this.close();
    await this.waitClosed();
  }

  toString() {
    return this.#n.describe().replaceAll('<TransportSocket', '<asyncio.TransportSocket');
  }
}

// ---------------------------------------------------------------- host methods

const LF = Uint8Array.of(10);

/**
 * The loop methods, installed on Host.prototype by host.js. They take and
 * check the Node package's arguments; the simulated network then refuses
 * what it does not simulate (`sock`: ValueError; see docs/simulation.md).
 */
export const hostNetMethods = {
  createServer(protocolFactory, host = undefined, port = undefined, opts = undefined) {
    return pending((done) => {
      const c = 'createServer';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [h, p, o] = serverArgs(c, host, port, opts);
      touch();
      internal.nativeOf(this).createServer(protocolFactory, h, p, o, done);
    }, (n) => new Server(kToken, n, this));
  },

  /** Checked as in Node, then refused: a simulation has no Unix sockets (OSError EAFNOSUPPORT). */
  createUnixServer(protocolFactory, path = undefined, opts = undefined) {
    return pending((done) => {
      const c = 'createUnixServer';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [p, o] = unixServerArgs(c, path, opts);
      touch();
      internal.nativeOf(this).createUnixServer(protocolFactory, p, o, done);
    }, (n) => new Server(kToken, n, this));
  },

  createConnection(protocolFactory, host = undefined, port = undefined, opts = undefined) {
    return pending((done) => {
      const c = 'createConnection';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [h, p, o] = connectionArgs(c, host, port, opts);
      touch();
      internal.nativeOf(this).createConnection(protocolFactory, h, p, o, done);
    });
  },

  /** Checked as in Node, then refused: a simulation has no Unix sockets (OSError EAFNOSUPPORT). */
  createUnixConnection(protocolFactory, path = undefined, opts = undefined) {
    return pending((done) => {
      const c = 'createUnixConnection';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [p, o] = unixConnectionArgs(c, path, opts);
      touch();
      internal.nativeOf(this).createUnixConnection(protocolFactory, p, o, done);
    });
  },

  /** `startServer` on this host (an extension: the package function uses the running host). */
  startServer(clientConnected, host = undefined, port = undefined, opts = undefined) {
    return startServerOn(this, clientConnected, host, port, opts);
  },

  /** `openConnection` from this host (an extension: the package function uses the running host). */
  openConnection(host = undefined, port = undefined, opts = undefined) {
    return openConnectionOn(this, host, port, opts);
  },
};

// ---------------------------------------------------------------- streams

/** The read half of a stream (asyncio.StreamReader). */
export class StreamReader {
  #n;

  constructor(token, n) {
    if (token !== kToken) throw new TypeError('StreamReader objects are made by openConnection() and startServer()');
    this.#n = n;
  }

  read(n = -1) {
    return pending((done) => {
      intArg('read', 'n', n, { min: -(2 ** 52), max: 2 ** 52 });
      touch();
      this.#n.read(n, done);
    });
  }

  readline() {
    return pending((done) => {
      touch();
      this.#n.readline(done);
    });
  }

  readexactly(n) {
    return pending((done) => {
      if (typeof n !== 'number') throw new TypeError(`readexactly(): n must be an integer, got ${typeName(n)}`);
      intArg('readexactly', 'n', n, { min: -(2 ** 52), max: 2 ** 52 });
      touch();
      this.#n.readexactly(n, done);
    });
  }

  readuntil(separator = LF) {
    return pending((done) => {
      let seps;
      try {
        seps = Array.isArray(separator) ? separator.map(bytesArg) : [bytesArg(separator)];
      } catch {
        throw new TypeError(`readuntil(): separator must be a bytes-like object or an array of them, not '${typeName(separator)}'`);
      }
      touch();
      this.#n.readuntil(seps, done);
    });
  }

  atEof() {
    return this.#n.atEof();
  }

  get limit() {
    return this.#n.limit;
  }

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
    const bytes = bytesArg(data);
    touch();
    this.#n.write(bytes);
  }

  writelines(list) {
    const pieces = bytesList(list);
    touch();
    this.#n.writelines(pieces);
  }

  writeEof() {
    touch();
    this.#n.writeEof();
  }

  canWriteEof() {
    return this.#n.canWriteEof();
  }

  close() {
    touch();
    this.#n.close();
  }

  isClosing() {
    return this.#n.isClosing();
  }

  drain() {
    return pending((done) => {
      touch();
      this.#n.drain(done);
    });
  }

  waitClosed() {
    return pending((done) => {
      touch();
      this.#n.waitClosed(done);
    });
  }

  getExtraInfo(name, dflt = undefined) {
    const v = this.#n.getExtraInfo(String(name));
    if (v === undefined) return dflt;
    return socketOrValue(v);
  }

  async [Symbol.asyncDispose]() {
    this.close();
    await this.waitClosed().catch(() => {});
  }

  toString() {
    return this.#n.describe();
  }
}

function streamPair([r, w]) {
  return [new StreamReader(kToken, r), new StreamWriter(kToken, w)];
}

/** The binding's per-connection callback of a stream server. */
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
      Promise.resolve(result).then(
        () => {
          touch();
          done.resolve();
        },
        (e) => {
          touch();
          done.reject(e);
        },
      );
    } else {
      done.resolve();
    }
  };
}

function startServerOn(loop, clientConnected, host, port, opts) {
  return pending((done) => {
    const c = 'startServer';
    functionArg(c, 'clientConnected', clientConnected);
    const [h, p, o] = serverArgs(c, host, port, opts, { stream: true });
    touch();
    internal.nativeOf(loop).startServer(clientCallback(clientConnected), h, p, o, done);
  }, (n) => new Server(kToken, n, loop));
}

function openConnectionOn(loop, host, port, opts) {
  return pending((done) => {
    const c = 'openConnection';
    const [h, p, o] = connectionArgs(c, host, port, opts, { stream: true });
    touch();
    internal.nativeOf(loop).openConnection(h, p, o, done);
  }, streamPair);
}

/**
 * `startServer(clientConnected, host?, port?, opts?)` on the running host
 * (inside a host's program or callback).
 */
export function startServer(clientConnected, host = undefined, port = undefined, opts = undefined) {
  let loop;
  try {
    loop = internal.runningHost();
  } catch (e) {
    return Promise.reject(e);
  }
  return startServerOn(loop, clientConnected, host, port, opts);
}

/** `openConnection(host, port, opts?)` from the running host: `[reader, writer]`. */
export function openConnection(host = undefined, port = undefined, opts = undefined) {
  let loop;
  try {
    loop = internal.runningHost();
  } catch (e) {
    return Promise.reject(e);
  }
  return openConnectionOn(loop, host, port, opts);
}
