// The argument checks of the networking calls, shared by the Node package
// (src/net.js) and the simulation (sim/net.js) so both take the same
// arguments and throw the same errors. Browser-safe: no Node modules.
//
// Each check returns the value (or its normalised form; null and undefined
// become undefined where the argument is optional) or throws, naming the
// call and the argument. What the back ends refuse on their own (a Unix
// socket or `sock` in a simulation) is theirs to say.

import { ValueError } from './errors.js';
import { typeName } from './values.js';

export function optionsArg(call, opts, allowed) {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object') throw new TypeError(`${call}(): options must be an object, got ${typeName(opts)}`);
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) throw new TypeError(`${call}(): unknown option '${key}'`);
  }
  return opts;
}

export function functionArg(call, name, value) {
  if (typeof value !== 'function') throw new TypeError(`${call}(): ${name} must be a function, got ${typeName(value)}`);
  return value;
}

/** An integer option (null/undefined: absent). */
export function intArg(call, name, value, { min = -(2 ** 31), max = 2 ** 31 - 1 } = {}) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new TypeError(`${call}(): ${name} must be an integer, got ${typeName(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${call}(): ${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

/** An integer argument that must be given (null/undefined: TypeError). */
export function requiredIntArg(call, name, value, range = undefined) {
  if (value === undefined || value === null) {
    throw new TypeError(`${call}(): ${name} must be an integer, got ${typeName(value)}`);
  }
  return intArg(call, name, value, range);
}

function boolArg(call, name, value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new TypeError(`${call}(): ${name} must be a boolean, got ${typeName(value)}`);
  return value;
}

/** A file descriptor: a number, or an object with `fileno()`. */
function sockArg(call, value) {
  if (value === undefined || value === null) return undefined;
  const fd = typeof value === 'object' && typeof value.fileno === 'function' ? value.fileno() : value;
  return intArg(call, 'sock', fd, { min: 0 });
}

function portArg(call, port) {
  if (port === undefined || port === null) return undefined;
  if (typeof port !== 'number') throw new TypeError(`${call}(): port must be an integer, got ${typeName(port)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${call}(): port must be an integer in 0..65535, got ${port}`);
  }
  return port;
}

/** A host name; with `many` (servers), also an array of them. */
function hostArg(call, host, { many }) {
  if (host === undefined || host === null || typeof host === 'string') return host ?? undefined;
  if (many && Array.isArray(host)) {
    for (const h of host) {
      if (typeof h !== 'string') throw new TypeError(`${call}(): host must be a string or an array of strings, got an element of type ${typeName(h)}`);
    }
    return host;
  }
  throw new TypeError(`${call}(): host must be a string${many ? ', an array of strings' : ''} or null, got ${typeName(host)}`);
}

/** A Unix socket path: a string, or a `file:` URL. */
function pathArg(call, path) {
  if (path === undefined || path === null) return undefined;
  if (typeof path === 'string') return path;
  if (path instanceof URL && path.protocol === 'file:') return decodeURIComponent(path.pathname);
  throw new TypeError(`${call}(): path must be a string, got ${typeName(path)}`);
}

/** asyncio's checks of `ssl` and its timeouts (TLS is not supported yet). */
function checkSsl(opts, { serverHostname = false } = {}) {
  const { ssl } = opts;
  if (typeof ssl === 'boolean') throw new TypeError('ssl argument must be an SSLContext or None');
  if (ssl !== undefined && ssl !== null) throw new ValueError('ssl is not supported by evloop yet');
  if (opts.sslHandshakeTimeout !== undefined && opts.sslHandshakeTimeout !== null) {
    throw new ValueError('ssl_handshake_timeout is only meaningful with ssl');
  }
  if (opts.sslShutdownTimeout !== undefined && opts.sslShutdownTimeout !== null) {
    throw new ValueError('ssl_shutdown_timeout is only meaningful with ssl');
  }
  if (serverHostname && opts.serverHostname !== undefined && opts.serverHostname !== null) {
    throw new ValueError('server_hostname is only meaningful with ssl');
  }
}

/** A stream buffer limit; ValueError for <= 0 is asyncio's message. */
function limitArg(call, limit) {
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
const CONNECTION_KEYS = ['family', 'flags', 'sock', 'localAddr', 'serverHostname', ...SSL_KEYS];
const UNIX_CONNECTION_KEYS = ['sock', 'serverHostname', ...SSL_KEYS];

/** `keys`, plus `limit` for the stream calls (startServer, openConnection, ...). */
function allowedKeys(keys, stream) {
  return stream ? [...keys, 'limit'] : keys;
}

/** The options object the back ends read for a server (every key present, undefined if not given). */
function serverOptions(call, opts, keys, stream) {
  const o = optionsArg(call, opts, allowedKeys(keys, stream));
  checkSsl(o);
  return {
    family: intArg(call, 'family', o.family),
    flags: intArg(call, 'flags', o.flags),
    sock: sockArg(call, o.sock),
    backlog: intArg(call, 'backlog', o.backlog),
    reuseAddress: boolArg(call, 'reuseAddress', o.reuseAddress),
    reusePort: boolArg(call, 'reusePort', o.reusePort),
    keepAlive: boolArg(call, 'keepAlive', o.keepAlive),
    startServing: boolArg(call, 'startServing', o.startServing),
    cleanupSocket: boolArg(call, 'cleanupSocket', o.cleanupSocket),
    limit: limitArg(call, o.limit),
  };
}

/** The options object the back ends read for a connection (`localAddr` split into host and port). */
function connectionOptions(call, opts, keys, stream) {
  const o = optionsArg(call, opts, allowedKeys(keys, stream));
  checkSsl(o, { serverHostname: true });
  let localHost;
  let localPort;
  if (o.localAddr !== undefined && o.localAddr !== null) {
    if (!Array.isArray(o.localAddr) || typeof o.localAddr[0] !== 'string') {
      throw new TypeError(`${call}(): localAddr must be [host, port], got ${typeName(o.localAddr)}`);
    }
    localHost = o.localAddr[0];
    localPort = portArg(call, o.localAddr[1] ?? 0);
  }
  return {
    family: intArg(call, 'family', o.family),
    flags: intArg(call, 'flags', o.flags),
    sock: sockArg(call, o.sock),
    localHost,
    localPort,
    limit: limitArg(call, o.limit),
  };
}

// The four forms below check options first, then the address, so a call
// wrong in both reports its options, whichever back end runs it. Each
// returns `[address..., options]`; `stream` (startServer, openConnection,
// and their Unix forms) also allows `limit`.

/** createServer and startServer: `[host, port, options]`. */
export function serverArgs(call, host, port, opts, { stream = false } = {}) {
  const o = serverOptions(call, opts, SERVER_KEYS, stream);
  return [hostArg(call, host, { many: true }), portArg(call, port), o];
}

/** createConnection and openConnection: `[host, port, options]`. */
export function connectionArgs(call, host, port, opts, { stream = false } = {}) {
  const o = connectionOptions(call, opts, CONNECTION_KEYS, stream);
  return [hostArg(call, host, { many: false }), portArg(call, port), o];
}

/** createUnixServer and startUnixServer: `[path, options]`. */
export function unixServerArgs(call, path, opts, { stream = false } = {}) {
  const o = serverOptions(call, opts, UNIX_SERVER_KEYS, stream);
  return [pathArg(call, path), o];
}

/** createUnixConnection and openUnixConnection: `[path, options]`. */
export function unixConnectionArgs(call, path, opts, { stream = false } = {}) {
  const o = connectionOptions(call, opts, UNIX_CONNECTION_KEYS, stream);
  return [pathArg(call, path), o];
}
