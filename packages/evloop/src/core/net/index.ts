// The public names of networking, shared by "evloop" and "evloop/sim" (each
// entry adds its socket constants: node/net-backend.ts, sim/net-backend.ts).
// Browser-safe.

export { NetLoop } from './net-loop.js';
export { Transport, TransportSocket, type WriteBufferLimits } from './transport.js';
export { Server, type ServeForeverOptions, type ServeForeverPromise } from './server.js';
export { DatagramTransport, type DatagramProtocol } from './datagram.js';
export { Socket } from './socket.js';
export type { AcceptedSocketOptions, FileLike as SendfileFile, SendfileOptions } from './sock-methods.js';
export type { DatagramAddress } from './datagram-args.js';
export type { GetAddrInfoOptions } from './dns-args.js';
export type { AddrInfo } from './net-loop.js';
export {
  StreamReader,
  StreamWriter,
  startServer,
  startUnixServer,
  openConnection,
  openUnixConnection,
  type ClientConnected,
  type StreamReaderOptions,
} from './streams.js';
export type { BufferedProtocol, InetAddress, Protocol, SocketAddress } from './protocol.js';
export type {
  ConnectionOptions,
  DatagramEndpointOptions,
  ServerOptions,
  SockLike,
  SslOptions,
  StartTlsOptions,
  StreamLimit,
  UnixConnectionOptions,
  UnixServerOptions,
  WriterStartTlsOptions,
} from './options.js';
export type { BytesLike, SocketConstants } from './backend.js';
export * from '../process/index.js';
export { SSLObject, type Cipher, type PeerCert, type SSLContextLike } from './tls.js';
