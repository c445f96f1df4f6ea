// The arguments of createDatagramEndpoint and DatagramTransport.sendto:
// options, and addresses as Python's tuple (`[host, port]`), the address
// object a datagram arrives from (`{ address, port }`), or a Unix path.
// Browser-safe.

import { typeName } from '../values.js';
import { intArg, optionsArg } from './args.js';
import type { NetDatagramOptions } from './backend.js';
import type { InetAddress } from './protocol.js';

/** An address to bind to, connect to or send to. */
export type DatagramAddress = [host: string, port: number] | Pick<InetAddress, 'address' | 'port'> | string;

const KEYS = ['localAddr', 'remoteAddr', 'family', 'proto', 'flags', 'reusePort', 'allowBroadcast', 'sock'];

/** `[host, port]` or a path; undefined for null/undefined. */
export function addressArg(call: string, name: string, value: unknown): [string, number] | string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  let host: unknown;
  let port: unknown;
  if (Array.isArray(value)) {
    if (value.length !== 2) throw new TypeError(`${call}(): ${name} must be [host, port], got an array of ${value.length}`);
    [host, port] = value as unknown[];
  } else if (typeof value === 'object') {
    ({ address: host, port } = value as { address?: unknown; port?: unknown });
  } else {
    throw new TypeError(`${call}(): ${name} must be [host, port], { address, port } or a Unix path, got ${typeName(value)}`);
  }
  if (typeof host !== 'string') throw new TypeError(`${call}(): ${name}'s host must be a string, got ${typeName(host)}`);
  if (typeof port !== 'number') throw new TypeError(`${call}(): ${name}'s port must be an integer, got ${typeName(port)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${call}(): ${name}'s port must be an integer in 0..65535, got ${port}`);
  }
  return [host, port];
}

function boolOption(call: string, name: string, value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new TypeError(`${call}(): ${name} must be a boolean, got ${typeName(value)}`);
  return value;
}

function sockOption(call: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const fileno: unknown = typeof value === 'object' ? (value as { fileno?: unknown }).fileno : undefined;
  const fd: unknown = typeof fileno === 'function' ? (fileno as () => unknown).call(value) : value;
  return intArg(call, 'sock', fd, { min: 0 });
}

/** createDatagramEndpoint's options, normalized for a binding. */
export function datagramArgs(call: string, opts: unknown): NetDatagramOptions {
  const o = optionsArg(call, opts, KEYS);
  const local = addressArg(call, 'localAddr', o['localAddr']);
  const remote = addressArg(call, 'remoteAddr', o['remoteAddr']);
  return {
    localHost: Array.isArray(local) ? local[0] : undefined,
    localPort: Array.isArray(local) ? local[1] : undefined,
    localPath: typeof local === 'string' ? local : undefined,
    remoteHost: Array.isArray(remote) ? remote[0] : undefined,
    remotePort: Array.isArray(remote) ? remote[1] : undefined,
    remotePath: typeof remote === 'string' ? remote : undefined,
    family: intArg(call, 'family', o['family']),
    proto: intArg(call, 'proto', o['proto']),
    flags: intArg(call, 'flags', o['flags']),
    reusePort: boolOption(call, 'reusePort', o['reusePort']),
    allowBroadcast: boolOption(call, 'allowBroadcast', o['allowBroadcast']),
    sock: sockOption(call, o['sock']),
  };
}
