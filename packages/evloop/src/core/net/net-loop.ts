// NetLoop: the loop's networking methods (asyncio's create_server,
// create_connection and their Unix forms), written once over a NetBackend
// (backend.ts). Node's loops (node/loop.ts) and the simulation's Host
// (sim/host.ts) extend it and say where their back end is.
// Browser-safe.

import { BaseLoop } from '../base-loop.js';
import { connectionArgs, functionArg, serverArgs, startTlsArgs, unixConnectionArgs, unixServerArgs } from './args.js';
import type { NetBackend } from './backend.js';
import { pending } from './pending.js';
import type { Protocol } from './protocol.js';
import { makeServer, type Server } from './server.js';
import type { ConnectionOptions, ServerOptions, StartTlsOptions, UnixConnectionOptions, UnixServerOptions } from './options.js';
import type { SSLContextLike } from './tls.js';
import { Transport, transportNative } from './transport.js';
import { typeName } from '../values.js';

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
  ): Promise<Server<this>> {
    return pending((done) => {
      const c = 'createServer';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [h, p, o] = serverArgs(c, host, port, opts);
      const net = this.net;
      net.binding.touch();
      net.createServer(protocolFactory, h, p, o, done);
    }, (n) => makeServer(this.net.binding, n, this));
  }

  /** asyncio's create_unix_server (a simulated host refuses it: OSError EAFNOSUPPORT). */
  createUnixServer(protocolFactory: () => Protocol, path?: string | URL | null, opts?: UnixServerOptions): Promise<Server<this>> {
    return pending((done) => {
      const c = 'createUnixServer';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [p, o] = unixServerArgs(c, path, opts);
      const net = this.net;
      net.binding.touch();
      net.createUnixServer(protocolFactory, p, o, done);
    }, (n) => makeServer(this.net.binding, n, this));
  }

  /** Resolves to `[transport, protocol]` once `connectionMade` ran. */
  createConnection<P extends Protocol>(
    protocolFactory: () => P,
    host?: string | null,
    port?: number | null,
    opts?: ConnectionOptions,
  ): Promise<[Transport, P]> {
    return pending((done) => {
      const c = 'createConnection';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [h, p, o] = connectionArgs(c, host, port, opts);
      const net = this.net;
      net.binding.touch();
      net.createConnection(protocolFactory, h, p, o, done);
    }, (v) => v as [Transport, P]);
  }

  /** asyncio's create_unix_connection (a simulated host refuses it: OSError EAFNOSUPPORT). */
  createUnixConnection<P extends Protocol>(
    protocolFactory: () => P,
    path?: string | URL | null,
    opts?: UnixConnectionOptions,
  ): Promise<[Transport, P]> {
    return pending((done) => {
      const c = 'createUnixConnection';
      functionArg(c, 'protocolFactory', protocolFactory);
      const [p, o] = unixConnectionArgs(c, path, opts);
      const net = this.net;
      net.binding.touch();
      net.createUnixConnection(protocolFactory, p, o, done);
    }, (v) => v as [Transport, P]);
  }

  /**
   * asyncio's start_tls: upgrades `transport` (whose protocol is `protocol`) to TLS and resolves
   * to the new transport once the handshake is done; `protocol.connectionMade` is not called
   * again, and the old transport must not be used any more (docs/tls.md).
   */
  startTls(transport: Transport, protocol: Protocol, sslcontext: SSLContextLike, opts?: StartTlsOptions): Promise<Transport> {
    return pending((done) => {
      const c = 'startTls';
      if (!(transport instanceof Transport)) throw new TypeError(`${c}(): transport must be a Transport, got ${typeName(transport)}`);
      if (typeof protocol !== 'object' || protocol === null) throw new TypeError(`${c}(): protocol must be an object, got ${typeName(protocol)}`);
      const o = startTlsArgs(c, sslcontext, opts, false);
      const net = this.net;
      net.binding.touch();
      net.startTls(transportNative(transport), protocol, o, done);
    }, (v) => v as Transport);
  }
}
