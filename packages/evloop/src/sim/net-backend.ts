// The wasm host loop as the networking back end (core/net/backend.ts), and
// the socket constants simulated sockets report. Browser-safe.

import { NativeStreamReader, NativeTransportSocket, setHooks } from '../../wasm/evloop_wasm.js';
import type { NativeHostLoop, NativeTransport } from '../../wasm/evloop_wasm.js';
import type { NetBackend, NetBinding } from '../core/net/backend.js';
import { bytesView } from '../core/net/bytes.js';
import { netHooks } from '../core/net/transport.js';
import { touch } from './activity.js';

/** What is the same for every simulated host. */
export const simBinding = {
  kind: 'sim',
  writeKey: (n) => n,
  // The wasm binding copies from a Uint8Array only: other bytes-like values go as a view.
  write: (n: unknown, data: unknown) => {
    const bytes = bytesView(data);
    touch();
    (n as NativeTransport).write(bytes);
  },
  isSocket: (v: unknown): v is NativeTransportSocket => v instanceof NativeTransportSocket,
  touch,
} satisfies NetBinding;

/**
 * Installs the layer's hooks in the wasm module (`makeError`,
 * `wrapTransport`); the simulation calls it once the module is instantiated.
 */
export function installNetHooks(): void {
  const hooks = netHooks(simBinding);
  setHooks(hooks.makeError, hooks.wrapTransport);
}

/** The stand-in protocol factory of the Unix stream forms, which the binding refuses before using it. */
const noProtocol = (): object => ({});

/** The networking of one life of a simulated host. */
export function simNetBackend(life: NativeHostLoop): NetBackend {
  return {
    binding: simBinding,
    createServer: (factory, host, port, opts, done) => life.createServer(factory, host, port, opts, done),
    createUnixServer: (factory, path, opts, done) => life.createUnixServer(factory, path, opts, done),
    createConnection: (factory, host, port, opts, done) => life.createConnection(factory, host, port, opts, done),
    createUnixConnection: (factory, path, opts, done) => life.createUnixConnection(factory, path, opts, done),
    startServer: (cb, host, port, opts, done) => life.startServer(cb, host, port, opts, done),
    // A simulation has no Unix sockets: the stream forms get the same refusal
    // (OSError EAFNOSUPPORT) as the protocol forms, from the same calls.
    startUnixServer: (_cb, path, opts, done) => life.createUnixServer(noProtocol, path, opts, done),
    openConnection: (host, port, opts, done) => life.openConnection(host, port, opts, done),
    openUnixConnection: (path, opts, done) => life.createUnixConnection(noProtocol, path, opts, done),
    createDatagramEndpoint: (factory, opts, done) => life.createDatagramEndpoint(factory, opts, done),
    startTls: (transport, protocol, opts, done) => life.startTls(transport as NativeTransport, protocol, opts, done),
    getaddrinfo: (host, port, opts, done) => life.getaddrinfo(host, port, opts, done),
    getnameinfo: (host, port, flags, done) => life.getnameinfo(host, port, flags, done),
    newStreamReader: (limit) => new NativeStreamReader(life, limit),
  } satisfies NetBackend;
}
