// The arguments of getaddrinfo, getnameinfo, and the connection options
// that choose and race addresses (localAddr, proto, happyEyeballsDelay,
// interleave, allErrors). Browser-safe.

import { ValueError } from '../errors.js';
import { typeName } from '../values.js';
import { inetAddressArg } from './address-args.js';
import { intArg, optionsArg } from './args.js';
import type { NetAddrInfoOptions, NetConnectionOptions } from './backend.js';

/** The options createConnection/openConnection add for picking and racing addresses. */
export type RacingOptions = Pick<NetConnectionOptions, 'localHost' | 'localPort' | 'proto' | 'happyEyeballsDelay' | 'interleave' | 'allErrors'>;

export const RACING_KEYS = ['localAddr', 'proto', 'happyEyeballsDelay', 'interleave', 'allErrors'];

export function racingArgs(call: string, o: Record<string, unknown>): RacingOptions {
  const local = inetAddressArg(call, 'localAddr', o['localAddr']);
  const delay = o['happyEyeballsDelay'];
  if (delay !== undefined && delay !== null) {
    if (typeof delay !== 'number') throw new TypeError(`${call}(): happyEyeballsDelay must be a number, got ${typeName(delay)}`);
    if (!(delay >= 0) || !Number.isFinite(delay)) {
      throw new RangeError(`${call}(): happyEyeballsDelay must be a non-negative number of seconds, got ${delay}`);
    }
  }
  const allErrors = o['allErrors'];
  if (allErrors !== undefined && allErrors !== null && typeof allErrors !== 'boolean') {
    throw new TypeError(`${call}(): allErrors must be a boolean, got ${typeName(allErrors)}`);
  }
  return {
    localHost: local?.[0],
    localPort: local?.[1],
    proto: intArg(call, 'proto', o['proto']),
    happyEyeballsDelay: delay === null ? undefined : (delay as number | undefined),
    interleave: intArg(call, 'interleave', o['interleave'], { min: 0 }),
    allErrors: allErrors === null ? undefined : (allErrors as boolean | undefined),
  };
}

/** getaddrinfo's options (`type` is Python's keyword). */
export interface GetAddrInfoOptions {
  /** `AF_UNSPEC` (default), `AF_INET`, `AF_INET6`. */
  family?: number;
  /** `SOCK_STREAM`, `SOCK_DGRAM`, ... (0: every type). */
  type?: number;
  proto?: number;
  /** `AI_*` flags. */
  flags?: number;
}

/** `[host, port as a service string, hints]`: `port` is a number, a service name, or null. */
export function getaddrinfoArgs(call: string, host: unknown, port: unknown, opts: unknown): [string | undefined, string | undefined, NetAddrInfoOptions] {
  const o = optionsArg(call, opts, ['family', 'type', 'proto', 'flags']);
  const hints: NetAddrInfoOptions = {
    family: intArg(call, 'family', o['family']),
    socktype: intArg(call, 'type', o['type']),
    proto: intArg(call, 'proto', o['proto']),
    flags: intArg(call, 'flags', o['flags']),
  };
  if (host !== undefined && host !== null && typeof host !== 'string') {
    throw new TypeError(`${call}(): host must be a string or null, got ${typeName(host)}`);
  }
  let service: string | undefined;
  if (typeof port === 'number') {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`${call}(): port must be an integer in 0..65535, got ${port}`);
    service = String(port);
  } else if (typeof port === 'string') {
    service = port;
  } else if (port !== undefined && port !== null) {
    throw new TypeError(`${call}(): port must be an integer, a service name or null, got ${typeName(port)}`);
  }
  if (host?.includes('\0') === true || service?.includes('\0') === true) {
    throw new ValueError(`${call}(): embedded null character in ${host?.includes('\0') === true ? 'host' : 'port'}`);
  }
  return [(host as string | null | undefined) ?? undefined, service, hints];
}

/** getnameinfo's `[host, port, flags]`. */
export function getnameinfoArgs(call: string, sockaddr: unknown, flags: unknown): [string, number, number] {
  const addr = inetAddressArg(call, 'sockaddr', sockaddr);
  if (addr === undefined) throw new TypeError(`${call}(): sockaddr must be [host, port] or { address, port }, got ${typeName(sockaddr)}`);
  return [addr[0], addr[1], intArg(call, 'flags', flags) ?? 0];
}
