// The exports of "evloop/sim", shared by both entries (browser.ts here,
// node/sim.ts), which instantiate the wasm module first: nothing here
// touches the module at load time. API.md, "TypeScript, subpath evloop/sim".

import type { ExceptionHandler as LoopExceptionHandler } from '../core/base-loop.js';
import type { Host } from './host.js';
import { socketFunction } from '../core/net/socket.js';

export { coreVersion, SimLoop } from '../../wasm/evloop_wasm.js';
export * from '../core/public.js';
export type { ExceptionContext } from '../core/backend.js';
export { Host } from './host.js';
export { getRunningLoop } from './running.js';
export { Simulation } from './simulation.js';
export type * from './types.js';

/** `handler(host, context)`, as asyncio calls it. */
export type ExceptionHandler = LoopExceptionHandler<Host>;

export {
  openConnection,
  Server,
  startServer,
  StreamReader,
  StreamWriter,
  Transport,
  TransportSocket,
  type BufferedProtocol,
  type ClientConnected,
  type ConnectionOptions,
  DatagramTransport,
  Socket,
  type AcceptedSocketOptions,
  type SendfileFile,
  type SendfileOptions,
  type DatagramAddress,
  type DatagramEndpointOptions,
  type DatagramProtocol,
  type InetAddress,
  type Protocol,
  type ServeForeverPromise,
  type ServerOptions,
  type SocketAddress,
  type StreamLimit,
  type StreamReaderOptions,
  SSLObject,
  type Cipher,
  type PeerCert,
  type SslOptions,
  type StartTlsOptions,
  type WriterStartTlsOptions,
} from '../core/net/index.js';
// TLS: the same SSLContext class as Node's, over the simulation's TLS (docs/tls.md).
export { SSLContext, createDefaultContext, type SSLPurpose, type TLSVersion, type VerifyLocations, type VerifyMode } from './tls.js';
// Subprocesses and pipes: a simulated host has none, so these reject with
// NotImplementedError naming the call (they are here so code written for
// both entries type-checks against either).
export {
  createSubprocessExec,
  createSubprocessShell,
  DEVNULL,
  PIPE,
  Process,
  STDOUT,
  SubprocessTransport,
  type ProcessOptions,
  type SubprocessOptions,
  type SubprocessProtocol,
} from '../core/process/index.js';
export * from './socket-constants.js';
/** A simulated host has no OS sockets: `socket()` throws NotImplementedError (docs/simulation.md). */
export const socket = socketFunction(null);
export { SIGCHLD, SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2 } from '../core/signal-numbers.js';

// The browser-safe tools (docs/simulation.md, "Tools"); sweep comes with each entry.
export * from './tools/index.js';
