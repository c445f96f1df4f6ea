// NetLoop: the loop's networking methods (asyncio's create_server,
// create_connection and their Unix forms), written once over a NetBackend
// (backend.ts). Node's loops (node/loop.ts) and the simulation's Host
// (sim/host.ts) extend it and say where their back end is.
// Browser-safe.

import { BaseLoop } from '../base-loop.js';
import { connectionArgs, functionArg, serverArgs, startTlsArgs, unixConnectionArgs, unixServerArgs } from './args.js';
import type { NativeServerLike, NetBackend } from './backend.js';
import { adaptedEndpoint, adaptFactory, type DatagramProtocol, type DatagramTransport } from './datagram.js';
import { datagramArgs } from './datagram-args.js';
import { getaddrinfoArgs, getnameinfoArgs, type GetAddrInfoOptions } from './dns-args.js';
import type { Future } from '../future.js';
import { outsideTask } from '../task-context.js';
import { pending } from './pending.js';
import type { InetAddress, Protocol, SocketAddress } from './protocol.js';
import type { BytesLike } from './backend.js';
import type { DatagramAddress } from './datagram-args.js';
import { makeServer, type Server } from './server.js';
import type {
  ConnectionOptions,
  DatagramEndpointOptions,
  ServerOptions,
  StartTlsOptions,
  UnixConnectionOptions,
  UnixServerOptions,
} from './options.js';
import type { SSLContextLike } from './tls.js';
import { Transport, transportNative } from './transport.js';
import * as sock from './sock-methods.js';
import { handOver, type Socket } from './socket.js';
import { typeName } from '../values.js';
import { argsArg, cmdArg, pipeArg, programArg, subprocessOptions, PIPE, type SubprocessOptions } from '../process/args.js';
import { processBackend } from '../process/process.js';
import { adapter, type SubprocessProtocol, type SubprocessTransport } from '../process/subprocess-transport.js';

/** The back end of `loop`, for the stream functions (`net` is protected). */
export let netOf: (loop: NetLoop) => NetBackend;

export abstract class NetLoop extends BaseLoop {
  static {
    netOf = (loop) => loop.net;
  }

  /**
   * This loop's networking: the Node loops return the addon's back end over
   * their native loop (`nativeNetBackend(lp)` of node/net-backend.ts), a
   * simulated Host the back end of its current life (`simNetBackend(life)`
   * of sim/net-backend.ts). Read on every call, never cached by the layer,
   * so a Host's restart switches it. It may throw (a closed loop's
   * RuntimeError): the calls then reject with that error.
   */
  protected abstract get net(): NetBackend;

  /**
   * Binds one socket per address of `host` (null or "" for all interfaces;
   * an array for several) and resolves to a Server, listening unless
   * `startServing: false`. `port` 0 (or null with a host) picks one per socket.
   */
  createServer(
    protocolFactory: () => Protocol,
    host?: string | string[] | null,
    port?: number | null,
    opts?: ServerOptions,
  ): Future<Server<this>> {
    return pending(this, (done) => {
      const c = 'createServer';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [h, p, o] = serverArgs(c, host, port, opts);
      const net = this.net;
      net.binding.touch();
      return outsideTask(() => net.createServer(protocolFactory, h, p, o, done));
    }, (n) => (handOver(opts?.sock), makeServer(this.net.binding, n, this)), closeServer);
  }

  /** asyncio's create_unix_server (a simulated host refuses it: OSError EAFNOSUPPORT). */
  createUnixServer(protocolFactory: () => Protocol, path?: string | URL | null, opts?: UnixServerOptions): Future<Server<this>> {
    return pending(this, (done) => {
      const c = 'createUnixServer';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [p, o] = unixServerArgs(c, path, opts);
      const net = this.net;
      net.binding.touch();
      return outsideTask(() => net.createUnixServer(protocolFactory, p, o, done));
    }, (n) => (handOver(opts?.sock), makeServer(this.net.binding, n, this)), closeServer);
  }

  /**
   * asyncio's getaddrinfo: resolves `host` (null: the local host, or with `AI_PASSIVE` every
   * interface) and `port` (a number, a service name or null) off the loop's thread, to
   * `[family, type, proto, canonname, address]` entries. A name that does not resolve rejects
   * with `gaierror` (`syscall` "getaddrinfo"). A simulated host resolves host names of its
   * simulation after a drawn virtual delay.
   */
  getaddrinfo(host: string | null | undefined, port?: number | string | null, opts?: GetAddrInfoOptions): Future<AddrInfo[]> {
    return pending(this, (done) => {
      const [h, p, o] = getaddrinfoArgs('getaddrinfo', host, port, opts);
      const net = this.net;
      net.binding.touch();
      return outsideTask(() => net.getaddrinfo(h, p, o, done));
    }, (v) => v as AddrInfo[]);
  }

  /** asyncio's getnameinfo: `[host, service]` of `sockaddr` (`[host, port]` or `{ address, port }`, a numeric host). */
  getnameinfo(sockaddr: [string, number] | { address: string; port: number }, flags = 0): Future<[string, string]> {
    return pending(this, (done) => {
      const [h, p, f] = getnameinfoArgs('getnameinfo', sockaddr, flags);
      const net = this.net;
      net.binding.touch();
      return outsideTask(() => net.getnameinfo(h, p, f, done));
    }, (v) => v as [string, string]);
  }

  /** Resolves to `[transport, protocol]` once `connectionMade` ran. */
  createConnection<P extends Protocol>(
    protocolFactory: () => P,
    host?: string | null,
    port?: number | null,
    opts?: ConnectionOptions,
  ): Future<[Transport, P]> {
    return pending(this, (done) => {
      const c = 'createConnection';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [h, p, o] = connectionArgs(c, host, port, opts);
      const net = this.net;
      net.binding.touch();
      return outsideTask(() => net.createConnection(protocolFactory, h, p, o, done));
    }, (v) => (handOver(opts?.sock), v as [Transport, P]), closeConnection);
  }

  /** asyncio's create_unix_connection (a simulated host refuses it: OSError EAFNOSUPPORT). */
  createUnixConnection<P extends Protocol>(
    protocolFactory: () => P,
    path?: string | URL | null,
    opts?: UnixConnectionOptions,
  ): Future<[Transport, P]> {
    return pending(this, (done) => {
      const c = 'createUnixConnection';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [p, o] = unixConnectionArgs(c, path, opts);
      const net = this.net;
      net.binding.touch();
      return outsideTask(() => net.createUnixConnection(protocolFactory, p, o, done));
    }, (v) => (handOver(opts?.sock), v as [Transport, P]), closeConnection);
  }

  /**
   * Starts `program` with `args` and resolves to `[transport, protocol]` once its pipes are
   * connected and `connectionMade` ran; stdin/stdout/stderr default to PIPE. A simulated host
   * throws NotImplementedError.
   */
  subprocessExec<P extends SubprocessProtocol>(
    protocolFactory: () => P,
    program: string,
    args: readonly string[] = [],
    opts?: SubprocessOptions,
  ): Promise<[SubprocessTransport, P]> {
    const c = 'subprocessExec';
    return this.#subprocess(c, protocolFactory, () => [programArg(c, program), argsArg(c, args)], opts);
  }

  /** `cmd` run by `/bin/sh -c`, as subprocessExec. */
  subprocessShell<P extends SubprocessProtocol>(protocolFactory: () => P, cmd: string, opts?: SubprocessOptions): Promise<[SubprocessTransport, P]> {
    const c = 'subprocessShell';
    return this.#subprocess(c, protocolFactory, () => ['/bin/sh', ['-c', cmdArg(c, cmd)]], opts);
  }

  #subprocess<P extends SubprocessProtocol>(
    c: string,
    protocolFactory: () => P,
    argv: () => [string, string[]],
    opts: SubprocessOptions | undefined,
  ): Promise<[SubprocessTransport, P]> {
    const users: P[] = [];
    return pending(this, (done) => {
      const backend = processBackend(this, c);
      functionArg(c, 'protocolFactory', protocolFactory);
      const [program, args] = argv();
      const o = subprocessOptions(c, opts, PIPE);
      const binding = this.net.binding;
      binding.touch();
      const factory = (): object => {
        const user = protocolFactory();
        users.push(user);
        return adapter(binding, user);
      };
      return backend.subprocessExec(factory, program, args, o, done);
    }, (v) => {
      const [n, a] = v as [Parameters<ReturnType<typeof adapter>['transport']>[0], ReturnType<typeof adapter>];
      return [a.transport(n), users[0] as P];
    }, closeFirst);
  }

  /**
   * Wraps the read end `pipe` (an fd, or an object with `fileno()`) in a read pipe transport;
   * resolves to `[transport, protocol]` once `connectionMade` ran. The transport owns the fd
   * from then on and closes it when the pipe is lost. A simulated host throws NotImplementedError.
   */
  connectReadPipe<P extends Protocol>(protocolFactory: () => P, pipe: number | { fileno(): number }): Promise<[Transport, P]> {
    return this.#pipe('connectReadPipe', protocolFactory, pipe, false);
  }

  /** Wraps the write end `pipe` in a write pipe transport, as connectReadPipe. */
  connectWritePipe<P extends Protocol>(protocolFactory: () => P, pipe: number | { fileno(): number }): Promise<[Transport, P]> {
    return this.#pipe('connectWritePipe', protocolFactory, pipe, true);
  }

  #pipe<P extends Protocol>(c: string, protocolFactory: () => P, pipe: unknown, write: boolean): Promise<[Transport, P]> {
    return pending(this, (done) => {
      const backend = processBackend(this, c);
      functionArg(c, 'protocolFactory', protocolFactory);
      const fd = pipeArg(c, pipe);
      this.net.binding.touch();
      return backend.connectPipe(protocolFactory, fd, write, done);
    }, (v) => v as [Transport, P], closeConnection);
  }

  /**
   * asyncio's create_datagram_endpoint: a UDP (or, with `family: AF_UNIX`,
   * Unix datagram) socket bound to `localAddr` and/or connected to
   * `remoteAddr`, or the caller's `sock`. Resolves to `[transport, protocol]`
   * once `connectionMade` ran.
   */
  createDatagramEndpoint<P extends DatagramProtocol>(
    protocolFactory: () => P,
    opts?: DatagramEndpointOptions,
  ): Promise<[DatagramTransport, P]> {
    return pending(this, (done) => {
      const c = 'createDatagramEndpoint';
      functionArg(c, 'protocolFactory', protocolFactory);
      const o = datagramArgs(c, opts);
      const net = this.net;
      net.binding.touch();
      return net.createDatagramEndpoint(adaptFactory(c, net.binding, protocolFactory), o, done);
    }, (v) => (handOver(opts?.sock), adaptedEndpoint<P>(this.net.binding, v)), closeFirst);
  }

  /**
   * asyncio's start_tls: upgrades `transport` (whose protocol is `protocol`) to TLS and resolves
   * to the new transport once the handshake is done; `protocol.connectionMade` is not called
   * again, and the old transport must not be used any more (docs/tls.md).
   */
  startTls(transport: Transport, protocol: Protocol, sslcontext: SSLContextLike, opts?: StartTlsOptions): Promise<Transport> {
    return pending(this, (done) => {
      const c = 'startTls';
      if (!(transport instanceof Transport)) throw new TypeError(`${c}(): transport must be a Transport, got ${typeName(transport)}`);
      if (typeof protocol !== 'object' || protocol === null) throw new TypeError(`${c}(): protocol must be an object, got ${typeName(protocol)}`);
      const o = startTlsArgs(c, sslcontext, opts, false);
      const net = this.net;
      net.binding.touch();
      return net.startTls(transportNative(transport), protocol, o, done);
    }, (v) => v as Transport, (v) => (v as Transport).close());
  }
}

/** One getaddrinfo entry: Python's `(family, type, proto, canonname, sockaddr)`. */
export type AddrInfo = [family: number, type: number, proto: number, canonname: string, address: InetAddress];
export interface NetLoop {
  /** asyncio's sock_accept: a connection from the listening `sock`, as a new Socket, and its address. */
  sockAccept(sock: Socket | number): Future<[Socket, SocketAddress | null]>;
  /** asyncio's sock_connect: `addr` is `[host, port]` (a name is resolved off the loop's thread), `{ address, port }` or a Unix path. */
  sockConnect(sock: Socket | number, addr: DatagramAddress): Future<void>;
  /** asyncio's sock_recv: up to `n` bytes (empty at EOF). */
  sockRecv(sock: Socket | number, n: number): Future<Uint8Array>;
  /** asyncio's sock_recv_into: reads into `buf`; the count read. */
  sockRecvInto(sock: Socket | number, buf: ArrayBufferView | ArrayBuffer): Future<number>;
  /** asyncio's sock_recvfrom: one datagram of up to `bufsize` bytes and its sender. */
  sockRecvfrom(sock: Socket | number, bufsize: number): Future<[Uint8Array, SocketAddress | null]>;
  /** asyncio's sock_recvfrom_into: one datagram into the first `nbytes` of `buf` (default all). */
  sockRecvfromInto(sock: Socket | number, buf: ArrayBufferView | ArrayBuffer, nbytes?: number): Future<[number, SocketAddress | null]>;
  /** asyncio's sock_sendall: sends all of `data` (what was sent before a failure or a cancellation stays sent). */
  sockSendall(sock: Socket | number, data: BytesLike): Future<void>;
  /** asyncio's sock_sendto: one datagram to `addr`; the count sent. */
  sockSendto(sock: Socket | number, data: BytesLike, addr: DatagramAddress): Future<number>;
  /** asyncio's sock_sendfile: `count` bytes (default all) of `file` from `offset` with sendfile(2), or read and sent (`fallback`). */
  sockSendfile(sock: Socket | number, file: sock.FileLike, offset?: number, count?: number | null, opts?: sock.SendfileOptions): Future<number>;
  /** asyncio's loop.sendfile: part of `file` through `transport` (docs/net.md). */
  sendfile(transport: Transport, file: sock.FileLike, offset?: number, count?: number | null, opts?: sock.SendfileOptions): Future<number>;
  /** asyncio's connect_accepted_socket: a transport over the connected `sock`, which it owns from then on. */
  connectAcceptedSocket<P extends Protocol>(protocolFactory: () => P, sock: Socket | number, opts?: sock.AcceptedSocketOptions): Future<[Transport, P]>;
}

// The socket methods, one line each, over sock-methods.ts (kept apart so this file stays small).
Object.assign(NetLoop.prototype, {
  sockAccept(this: NetLoop, s: unknown) { return sock.sockAccept(this, s); },
  sockConnect(this: NetLoop, s: unknown, a: unknown) { return sock.sockConnect(this, s, a); },
  sockRecv(this: NetLoop, s: unknown, n: unknown) { return sock.sockRecv(this, s, n); },
  sockRecvInto(this: NetLoop, s: unknown, b: unknown) { return sock.sockRecvInto(this, s, b); },
  sockRecvfrom(this: NetLoop, s: unknown, n: unknown) { return sock.sockRecvfrom(this, s, n); },
  sockRecvfromInto(this: NetLoop, s: unknown, b: unknown, n?: unknown) { return sock.sockRecvfromInto(this, s, b, n); },
  sockSendall(this: NetLoop, s: unknown, d: unknown) { return sock.sockSendall(this, s, d); },
  sockSendto(this: NetLoop, s: unknown, d: unknown, a: unknown) { return sock.sockSendto(this, s, d, a); },
  sockSendfile(this: NetLoop, s: unknown, f: unknown, o: unknown = 0, n?: unknown, opts?: unknown) { return sock.sockSendfile(this, s, f, o, n, opts); },
  sendfile(this: NetLoop, t: unknown, f: unknown, o: unknown = 0, n?: unknown, opts?: unknown) { return sock.sendfile(this, t, f, o, n, opts); },
  connectAcceptedSocket(this: NetLoop, pf: () => Protocol, s: unknown, opts?: unknown) { return sock.connectAcceptedSocket(this, pf, s, opts); },
});

/** A server that arrived after its Future was done (completed from outside): nobody will close it. */
function closeServer(n: unknown): void {
  (n as NativeServerLike).close();
}

/** A connection that arrived after its Future was done. */
function closeConnection(v: unknown): void {
  (v as [Transport, unknown])[0].close();
}

/**
 * An endpoint or a child that arrived after its Future was done (the binding's own transport
 * first): closed, as asyncio closes them when the call is cancelled (a child is killed).
 */
function closeFirst(v: unknown): void {
  (v as [{ close(): void }, unknown])[0].close();
}
