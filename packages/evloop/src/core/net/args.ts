// The argument checks of the networking calls, one set for Node and the
// simulation, so both take the same arguments and throw the same errors.
// Browser-safe.
//
// Each check returns the value (or its normalized form; null and undefined
// become undefined where the argument is optional) or throws, naming the
// call and the argument. What a back end refuses on its own (a Unix socket
// or `sock` in a simulation) is its to say.

import { ValueError } from '../errors.js';
import { typeName } from '../values.js';
import { isSslContext } from './tls.js';
import type { NetConnectionOptions, NetServerOptions, NetStartTlsOptions } from './backend.js';
import { RACING_KEYS, racingArgs } from './dns-args.js';

type Options = Record<string, unknown>;

/** An options object with only `allowed` keys (null/undefined: none). */
export function optionsArg(call: string, opts: unknown, allowed: readonly string[]): Options {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object') throw new TypeError(`${call}(): options must be an object, got ${typeName(opts)}`);
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) throw new TypeError(`${call}(): unknown option '${key}'`);
  }
  return opts as Options;
}

export function functionArg(call: string, name: string, value: unknown): void {
  if (typeof value !== 'function') throw new TypeError(`${call}(): ${name} must be a function, got ${typeName(value)}`);
}

export interface IntRange {
  min?: number;
  max?: number;
}

/** An integer option (null/undefined: absent). */
export function intArg(call: string, name: string, value: unknown, { min = -(2 ** 31), max = 2 ** 31 - 1 }: IntRange = {}): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new TypeError(`${call}(): ${name} must be an integer, got ${typeName(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${call}(): ${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

/** An integer argument that must be given (null/undefined: TypeError). */
export function requiredIntArg(call: string, name: string, value: unknown, range?: IntRange): number {
  if (value === undefined || value === null) {
    throw new TypeError(`${call}(): ${name} must be an integer, got ${typeName(value)}`);
  }
  return intArg(call, name, value, range) as number;
}

function boolArg(call: string, name: string, value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new TypeError(`${call}(): ${name} must be a boolean, got ${typeName(value)}`);
  return value;
}

/** A file descriptor: a number, or an object with `fileno()`. */
function sockArg(call: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const fileno: unknown = typeof value === 'object' ? (value as { fileno?: unknown }).fileno : undefined;
  const fd: unknown = typeof fileno === 'function' ? (fileno as () => unknown).call(value) : value;
  return intArg(call, 'sock', fd, { min: 0 });
}

function portArg(call: string, port: unknown): number | undefined {
  if (port === undefined || port === null) return undefined;
  if (typeof port !== 'number') throw new TypeError(`${call}(): port must be an integer, got ${typeName(port)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${call}(): port must be an integer in 0..65535, got ${port}`);
  }
  return port;
}

/** A host name. */
function hostArg(call: string, host: unknown): string | undefined {
  if (host === undefined || host === null) return undefined;
  if (typeof host === 'string') return host;
  throw new TypeError(`${call}(): host must be a string or null, got ${typeName(host)}`);
}

/** A host name, or (servers) an array of them. */
function hostsArg(call: string, host: unknown): string | string[] | undefined {
  if (host === undefined || host === null) return undefined;
  if (typeof host === 'string') return host;
  if (Array.isArray(host)) {
    for (const h of host as unknown[]) {
      if (typeof h !== 'string') throw new TypeError(`${call}(): host must be a string or an array of strings, got an element of type ${typeName(h)}`);
    }
    return host as string[];
  }
  throw new TypeError(`${call}(): host must be a string, an array of strings or null, got ${typeName(host)}`);
}

/** A Unix socket path: a string, or a `file:` URL. */
function pathArg(call: string, path: unknown): string | undefined {
  if (path === undefined || path === null) return undefined;
  if (typeof path === 'string') return path;
  if (path instanceof URL && path.protocol === 'file:') return decodeURIComponent(path.pathname);
  throw new TypeError(`${call}(): path must be a string, got ${typeName(path)}`);
}

const absent = (v: unknown): boolean => v === undefined || v === null;

/** The TLS options both kinds of call share, normalized. */
interface SslArgs {
  sslContext?: number | undefined;
  sslDefault?: boolean | undefined;
  sslHandshakeTimeout?: number | undefined;
  sslShutdownTimeout?: number | undefined;
}

function timeoutArg(call: string, name: string, value: unknown): number | undefined {
  if (absent(value)) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${call}(): ${name} must be a number, got ${typeName(value)}`);
  if (!(value > 0)) throw new ValueError(`${name === 'sslHandshakeTimeout' ? 'ssl_handshake_timeout' : 'ssl_shutdown_timeout'} should be a positive number, got ${value}`);
  return value;
}

/**
 * asyncio's checks of `ssl` and its timeouts. Servers take a context only;
 * connections also `true` (a default client context) and `false` (none).
 */
function sslArgs(call: string, opts: Options, client: boolean): SslArgs {
  const { ssl } = opts;
  let sslContext: number | undefined;
  let sslDefault: boolean | undefined;
  if (typeof ssl === 'boolean') {
    if (!client) throw new TypeError('ssl argument must be an SSLContext or None');
    if (ssl) sslDefault = true;
  } else if (!absent(ssl)) {
    if (!isSslContext(ssl)) throw new TypeError('ssl argument must be an SSLContext or None');
    sslContext = ssl.sslContextId;
  }
  const withSsl = sslContext !== undefined || sslDefault === true;
  if (!withSsl) {
    if (!absent(opts['sslHandshakeTimeout'])) throw new ValueError('ssl_handshake_timeout is only meaningful with ssl');
    if (!absent(opts['sslShutdownTimeout'])) throw new ValueError('ssl_shutdown_timeout is only meaningful with ssl');
    if (client && !absent(opts['serverHostname'])) throw new ValueError('server_hostname is only meaningful with ssl');
  }
  return {
    sslContext,
    sslDefault,
    sslHandshakeTimeout: timeoutArg(call, 'sslHandshakeTimeout', opts['sslHandshakeTimeout']),
    sslShutdownTimeout: timeoutArg(call, 'sslShutdownTimeout', opts['sslShutdownTimeout']),
  };
}

/** A stream buffer limit; ValueError for <= 0 is asyncio's message. */
function limitArg(call: string, limit: unknown): number | undefined {
  if (limit === undefined || limit === null) return undefined;
  if (typeof limit !== 'number') throw new TypeError(`${call}(): limit must be a number, got ${typeName(limit)}`);
  if (Number.isNaN(limit)) throw new RangeError(`${call}(): limit must not be NaN`);
  if (limit <= 0) throw new ValueError('Limit cannot be <= 0');
  if (!Number.isFinite(limit)) throw new RangeError(`${call}(): limit must be finite, got ${limit}`);
  return Math.floor(limit);
}

const SSL_KEYS = ['ssl', 'sslHandshakeTimeout', 'sslShutdownTimeout'];
const SERVER_KEYS = ['family', 'flags', 'sock', 'backlog', 'reuseAddress', 'reusePort', 'keepAlive', 'startServing', ...SSL_KEYS];
const UNIX_SERVER_KEYS = ['sock', 'backlog', 'startServing', 'cleanupSocket', ...SSL_KEYS];
const CONNECTION_KEYS = ['family', 'flags', 'sock', 'serverHostname', ...RACING_KEYS, ...SSL_KEYS];
const UNIX_CONNECTION_KEYS = ['sock', 'serverHostname', ...SSL_KEYS];

/** `keys`, plus `limit` for the stream calls (startServer, openConnection, ...). */
function allowedKeys(keys: string[], stream: boolean): string[] {
  return stream ? [...keys, 'limit'] : keys;
}

function serverOptions(call: string, opts: unknown, keys: string[], stream: boolean): NetServerOptions {
  const o = optionsArg(call, opts, allowedKeys(keys, stream));
  const { sslContext, sslHandshakeTimeout, sslShutdownTimeout } = sslArgs(call, o, false);
  return {
    sslContext,
    sslHandshakeTimeout,
    sslShutdownTimeout,
    family: intArg(call, 'family', o['family']),
    flags: intArg(call, 'flags', o['flags']),
    sock: sockArg(call, o['sock']),
    backlog: intArg(call, 'backlog', o['backlog']),
    reuseAddress: boolArg(call, 'reuseAddress', o['reuseAddress']),
    reusePort: boolArg(call, 'reusePort', o['reusePort']),
    keepAlive: boolArg(call, 'keepAlive', o['keepAlive']),
    startServing: boolArg(call, 'startServing', o['startServing']),
    cleanupSocket: boolArg(call, 'cleanupSocket', o['cleanupSocket']),
    limit: limitArg(call, o['limit']),
  };
}

function connectionOptions(call: string, opts: unknown, keys: string[], stream: boolean): NetConnectionOptions {
  const o = optionsArg(call, opts, allowedKeys(keys, stream));
  const ssl = sslArgs(call, o, true);
  const serverHostname = o['serverHostname'];
  if (!absent(serverHostname) && typeof serverHostname !== 'string') {
    throw new TypeError(`${call}(): serverHostname must be a string, got ${typeName(serverHostname)}`);
  }
  const racing = racingArgs(call, o);
  return {
    family: intArg(call, 'family', o['family']),
    flags: intArg(call, 'flags', o['flags']),
    sock: sockArg(call, o['sock']),
    ...racing,
    limit: limitArg(call, o['limit']),
    ...ssl,
    serverHostname: absent(serverHostname) ? undefined : (serverHostname as string),
  };
}

// The four forms below check options first, then the address, so a call
// wrong in both reports its options, whichever back end runs it. `stream`
// (startServer, openConnection and their Unix forms) also allows `limit`.

/** createServer and startServer: `[host, port, options]`. */
export function serverArgs(call: string, host: unknown, port: unknown, opts: unknown, stream = false): [string | string[] | undefined, number | undefined, NetServerOptions] {
  const o = serverOptions(call, opts, SERVER_KEYS, stream);
  return [hostsArg(call, host), portArg(call, port), o];
}

/** createConnection and openConnection: `[host, port, options]`. */
export function connectionArgs(call: string, host: unknown, port: unknown, opts: unknown, stream = false): [string | undefined, number | undefined, NetConnectionOptions] {
  const o = connectionOptions(call, opts, CONNECTION_KEYS, stream);
  return [hostArg(call, host), portArg(call, port), o];
}

/** createUnixServer and startUnixServer: `[path, options]`. */
export function unixServerArgs(call: string, path: unknown, opts: unknown, stream = false): [string | undefined, NetServerOptions] {
  const o = serverOptions(call, opts, UNIX_SERVER_KEYS, stream);
  return [pathArg(call, path), o];
}

/** createUnixConnection and openUnixConnection: `[path, options]`. */
export function unixConnectionArgs(call: string, path: unknown, opts: unknown, stream = false): [string | undefined, NetConnectionOptions] {
  const o = connectionOptions(call, opts, UNIX_CONNECTION_KEYS, stream);
  return [pathArg(call, path), o];
}

/**
 * `new StreamReader(opts)`'s options: `limit`, a positive integer (absent:
 * the default, 64 KiB). A limit <= 0 is asyncio's ValueError('Limit cannot
 * be <= 0'), as for the stream calls' `limit`.
 */
export function streamReaderArgs(call: string, opts: unknown): number | undefined {
  const limit = optionsArg(call, opts, ['limit'])['limit'];
  if (limit === undefined || limit === null) return undefined;
  if (typeof limit !== 'number') throw new TypeError(`${call}(): limit must be an integer, got ${typeName(limit)}`);
  if (Number.isNaN(limit)) throw new RangeError(`${call}(): limit must be a positive integer, got NaN`);
  if (limit <= 0) throw new ValueError('Limit cannot be <= 0');
  if (!Number.isInteger(limit) || limit > 2 ** 52) {
    throw new RangeError(`${call}(): limit must be a positive integer up to 2**52, got ${limit}`);
  }
  return limit;
}

/**
 * `loop.startTls(transport, protocol, sslcontext, opts)` and
 * `writer.startTls(sslcontext, opts)`: the context and the options (the
 * writer knows its side, so it takes no `serverSide`).
 */
export function startTlsArgs(call: string, sslcontext: unknown, opts: unknown, writer: boolean): NetStartTlsOptions {
  const keys = ['serverHostname', 'sslHandshakeTimeout', 'sslShutdownTimeout'];
  const o = optionsArg(call, opts, writer ? keys : [...keys, 'serverSide']);
  if (!isSslContext(sslcontext)) {
    throw new TypeError(`sslcontext is expected to be an instance of SSLContext, got ${typeName(sslcontext)}`);
  }
  const serverHostname = o['serverHostname'];
  if (!absent(serverHostname) && typeof serverHostname !== 'string') {
    throw new TypeError(`${call}(): serverHostname must be a string, got ${typeName(serverHostname)}`);
  }
  return {
    sslContext: sslcontext.sslContextId,
    serverSide: boolArg(call, 'serverSide', o['serverSide']),
    serverHostname: absent(serverHostname) ? undefined : (serverHostname as string),
    sslHandshakeTimeout: timeoutArg(call, 'sslHandshakeTimeout', o['sslHandshakeTimeout']),
    sslShutdownTimeout: timeoutArg(call, 'sslShutdownTimeout', o['sslShutdownTimeout']),
  };
}

/** `connectAcceptedSocket`'s options: `ssl` (a context: this end is the TLS server) and its timeouts. */
export function acceptedSocketArgs(call: string, opts: unknown): NetConnectionOptions {
  const o = optionsArg(call, opts, SSL_KEYS);
  const { sslContext, sslHandshakeTimeout, sslShutdownTimeout } = sslArgs(call, o, false);
  return { sslContext, sslHandshakeTimeout, sslShutdownTimeout };
}
