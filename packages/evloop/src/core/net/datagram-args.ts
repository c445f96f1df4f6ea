// The arguments of createDatagramEndpoint and DatagramTransport.sendto:
// options, and addresses as Python's tuple (`[host, port]`), the address
// object a datagram arrives from (`{ address, port }`), or a Unix path.
// Browser-safe.

import { typeName } from '../values.js';
import { addressArg } from './address-args.js';
import { intArg, optionsArg } from './args.js';
import type { NetDatagramOptions } from './backend.js';
import type { InetAddress } from './protocol.js';

/** An address to bind to, connect to or send to. */
export type DatagramAddress = [host: string, port: number] | Pick<InetAddress, 'address' | 'port'> | string;

const KEYS = ['localAddr', 'remoteAddr', 'family', 'proto', 'flags', 'reusePort', 'allowBroadcast', 'sock'];

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
