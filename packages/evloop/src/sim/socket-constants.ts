// The socket constants simulated sockets report, on every platform (Linux's numbers), for
// "evloop/sim" (the Node entry's come from the addon: node/socket-constants.ts). Browser-safe.

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
export const SO_BROADCAST = 6;
export const SO_TYPE = 3;
export const SO_RCVBUF = 8;
export const SO_SNDBUF = 7;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const TCP_NODELAY = 1;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
export const AI_PASSIVE = 1;
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;
