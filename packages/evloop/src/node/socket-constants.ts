// The platform's socket constants, as the addon reports them, for the "evloop" entry
// (the simulation's are in sim/socket-constants.ts).

import { socketConstants } from '../../native/index.js';
import type { SocketConstants } from '../core/net/backend.js';

const C = socketConstants();

function constant(name: keyof SocketConstants): number {
  const v = C[name];
  if (typeof v !== 'number') throw new Error(`socketConstants(): the addon has no ${name}`);
  return v;
}

/** The platform's socket constants (numbers, as Python's `socket` module has them). */
export const AF_UNSPEC = constant('AF_UNSPEC');
export const AF_INET = constant('AF_INET');
export const AF_INET6 = constant('AF_INET6');
export const AF_UNIX = constant('AF_UNIX');
export const SOCK_STREAM = constant('SOCK_STREAM');
export const SOCK_DGRAM = constant('SOCK_DGRAM');
export const SOL_SOCKET = constant('SOL_SOCKET');
export const SO_REUSEADDR = constant('SO_REUSEADDR');
export const SO_REUSEPORT = constant('SO_REUSEPORT');
export const SO_KEEPALIVE = constant('SO_KEEPALIVE');
export const SO_BROADCAST = constant('SO_BROADCAST');
export const SO_TYPE = constant('SO_TYPE');
export const SO_RCVBUF = constant('SO_RCVBUF');
export const SO_SNDBUF = constant('SO_SNDBUF');
export const IPPROTO_TCP = constant('IPPROTO_TCP');
export const IPPROTO_UDP = constant('IPPROTO_UDP');
export const TCP_NODELAY = constant('TCP_NODELAY');
export const IPPROTO_IPV6 = constant('IPPROTO_IPV6');
export const IPV6_V6ONLY = constant('IPV6_V6ONLY');
export const AI_PASSIVE = constant('AI_PASSIVE');
export const SHUT_RD = constant('SHUT_RD');
export const SHUT_WR = constant('SHUT_WR');
export const SHUT_RDWR = constant('SHUT_RDWR');
