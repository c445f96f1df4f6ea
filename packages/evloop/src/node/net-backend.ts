// The napi addon as the networking back end (core/net/backend.ts), and the
// platform's socket constants for the "evloop" entry. Loading this module
// installs the layer's hooks in the addon.

import * as native from '../../native/index.js';
import type { NativeEventLoop, NativeTransport, NativeTransportSocket } from '../../native/index.js';
import type { NativeClientCallback, NetBackend, NetBinding, NetHooks, SocketBackend } from '../core/net/backend.js';
import { netHooks } from '../core/net/transport.js';
import { socketFunction } from '../core/net/socket.js';
import type { ProcessBackend } from '../core/process/backend.js';

/** The addon's writer: `Transport.write` without a class-method call per write (js_write.rs). */
const writeTransport = native.transportWriter();

/** What is the same for every native loop. */
export const nativeBinding = {
  kind: 'native',
  writeKey: (n) => (n as NativeTransport).slot,
  // The addon's function itself, so a write is one call (the layer passes the slot from writeKey).
  write: writeTransport as (key: unknown, data: unknown) => void,
  isSocket: (v: unknown): v is NativeTransportSocket => v instanceof native.NativeTransportSocket,
  touch: () => {},
} satisfies NetBinding;

const hooks: NetHooks = netHooks(nativeBinding);
native.setNetHooks(
  // The addon hands its own NativeTransport; the layer's structural type covers it.
  (n) => hooks.wrapTransport(n),
  hooks.makeError,
  hooks.deliverData,
);

// The addon takes its stream callbacks typed against its own classes, which
// satisfy the layer's structural ones (checked by `satisfies` below).
type AddonClientCallback = Parameters<typeof native.netStartServer>[1];

/** The networking of one native loop. */
export function nativeNetBackend(lp: NativeEventLoop): NetBackend {
  return {
    binding: nativeBinding,
    createServer: (factory, host, port, opts, done) => native.netCreateServer(lp, factory, host, port, opts, done),
    createUnixServer: (factory, path, opts, done) => native.netCreateUnixServer(lp, factory, path, opts, done),
    createConnection: (factory, host, port, opts, done) => native.netCreateConnection(lp, factory, host, port, opts, done),
    createUnixConnection: (factory, path, opts, done) => native.netCreateUnixConnection(lp, factory, path, opts, done),
    startServer: (cb: NativeClientCallback, host, port, opts, done) =>
      native.netStartServer(lp, cb satisfies AddonClientCallback, host, port, opts, done),
    startUnixServer: (cb: NativeClientCallback, path, opts, done) =>
      native.netStartUnixServer(lp, cb satisfies AddonClientCallback, path, opts, done),
    openConnection: (host, port, opts, done) => native.netOpenConnection(lp, host, port, opts, done),
    openUnixConnection: (path, opts, done) => native.netOpenUnixConnection(lp, path, opts, done),
    createDatagramEndpoint: (factory, opts, done) => native.netCreateDatagramEndpoint(lp, factory, opts, done),
    // The transport is the addon's own object (every NativeTransportLike here came from it).
    startTls: (transport, protocol, opts, done) => native.netStartTls(lp, transport as native.NativeTransport, protocol, opts, done),
    getaddrinfo: (host, port, opts, done) => native.netGetaddrinfo(lp, host, port, opts, done),
    getnameinfo: (host, port, flags, done) => native.netGetnameinfo(lp, host, port, flags, done),
    newStreamReader: (limit) => new native.NativeStreamReader(lp, limit),
    process: {
      subprocessExec: (factory, program, args, opts, done) => native.netSubprocessExec(lp, factory, program, args, opts, done),
      createSubprocessExec: (program, args, opts, limit, done) => native.netCreateSubprocessExec(lp, program, args, opts, limit, done),
      connectPipe: (factory, fd, write, done) => native.netConnectPipe(lp, factory, fd, write, done),
    } satisfies ProcessBackend,
    sockets: {
      sockAccept: (fd, done) => native.netSockAccept(lp, fd, done),
      sockConnect: (fd, host, port, path, done) => native.netSockConnect(lp, fd, host, port, path, done),
      sockRecv: (fd, n, done) => native.netSockRecv(lp, fd, n, done),
      sockRecvfrom: (fd, n, done) => native.netSockRecvfrom(lp, fd, n, done),
      sockSendall: (fd, data, done) => native.netSockSendall(lp, fd, data, done),
      sockSendto: (fd, data, host, port, path, done) => native.netSockSendto(lp, fd, data, host, port, path, done),
      sockSendfile: (fd, file, offset, count, fallback, done) => native.netSockSendfile(lp, fd, file, offset, count, fallback, done),
      // The transport is the addon's own object (every NativeTransportLike here came from it).
      sendfile: (t, file, offset, count, fallback, done) =>
        native.netSendfile(lp, t as native.NativeTransport, file, offset, count, fallback, done),
      connectAcceptedSocket: (factory, fd, opts, done) => native.netConnectAcceptedSocket(lp, factory, fd, opts, done),
    } satisfies SocketBackend,
  } satisfies NetBackend;
}

/** `socket(family = AF_INET, type = SOCK_STREAM, proto = 0)`: a non-blocking, close-on-exec OS socket. */
export const socket = socketFunction((family, type, proto) => native.socketOpen(family, type, proto));
