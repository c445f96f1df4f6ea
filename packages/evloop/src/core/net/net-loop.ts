// NetLoop: the loop's networking methods (asyncio's create_server,
// create_connection and their Unix forms), written once over a NetBackend
// (backend.ts). Node's loops (node/loop.ts) and the simulation's Host
// (sim/host.ts) extend it and say where their back end is.
// Browser-safe.

import { BaseLoop } from '../base-loop.js';
import { connectionArgs, functionArg, serverArgs, unixConnectionArgs, unixServerArgs } from './args.js';
import type { NativeServerLike, NetBackend } from './backend.js';
import type { Future } from '../future.js';
import { outsideTask } from '../task-context.js';
import { pending } from './pending.js';
import type { Protocol } from './protocol.js';
import { makeServer, type Server } from './server.js';
import type { ConnectionOptions, ServerOptions, UnixConnectionOptions, UnixServerOptions } from './options.js';
import type { Transport } from './transport.js';

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
    }, (n) => makeServer(this.net.binding, n, this), closeServer);
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
    }, (n) => makeServer(this.net.binding, n, this), closeServer);
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
    }, (v) => v as [Transport, P], closeConnection);
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
    }, (v) => v as [Transport, P], closeConnection);
  }
}

/** A server that arrived after its Future was done (completed from outside): nobody will close it. */
function closeServer(n: unknown): void {
  (n as NativeServerLike).close();
}

/** A connection that arrived after its Future was done. */
function closeConnection(v: unknown): void {
  (v as [Transport, unknown])[0].close();
}
