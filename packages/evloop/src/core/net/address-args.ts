// Address arguments, checked once for every call that takes one: Python's
// `(host, port)` tuple as `[host, port]`, the address object a datagram or
// a connection reports (`{ address, port }`), and, where a Unix socket may
// be meant, a path. Browser-safe.

import { typeName } from '../values.js';

/** What an inet address may be, as error messages name it. */
const INET_FORMS = '[host, port] or { address, port }';

/**
 * `[host, port]` or `{ address, port }` (Python's `(host, port)` tuple);
 * undefined for null/undefined. `forms` names what the call accepts in the
 * message for a value of another type.
 */
export function inetAddressArg(call: string, name: string, value: unknown, forms = INET_FORMS): [string, number] | undefined {
  if (value === undefined || value === null) return undefined;
  let host: unknown;
  let port: unknown;
  if (Array.isArray(value)) {
    if (value.length !== 2) throw new TypeError(`${call}(): ${name} must be [host, port], got an array of ${value.length}`);
    [host, port] = value as unknown[];
  } else if (typeof value === 'object') {
    ({ address: host, port } = value as { address?: unknown; port?: unknown });
  } else {
    throw new TypeError(`${call}(): ${name} must be ${forms}, got ${typeName(value)}`);
  }
  if (typeof host !== 'string') throw new TypeError(`${call}(): ${name}'s host must be a string, got ${typeName(host)}`);
  if (typeof port !== 'number') throw new TypeError(`${call}(): ${name}'s port must be an integer, got ${typeName(port)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${call}(): ${name}'s port must be an integer in 0..65535, got ${port}`);
  }
  return [host, port];
}

/** An inet address as `inetAddressArg` reads it, or a Unix path; undefined for null/undefined. */
export function addressArg(call: string, name: string, value: unknown): [string, number] | string | undefined {
  if (typeof value === 'string') return value;
  return inetAddressArg(call, name, value, '[host, port], { address, port } or a Unix path');
}
