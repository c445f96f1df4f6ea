// The exports of "evloop/sim", shared by both entries (node.js, browser.js), which
// instantiate the wasm module first. Nothing here touches the module at load time.
export { coreVersion, Handle, SimLoop, TimerHandle } from '../../wasm/evloop_wasm.js';
export * from '../src/errors.js';
export { Host } from './host.js';
export { getRunningLoop, Simulation } from './simulation.js';
export { allTasks, Future, isFuture, sleep, Task } from './futures.js';
export {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  AF_UNSPEC,
  AI_PASSIVE,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_V6ONLY,
  openConnection,
  Server,
  SO_KEEPALIVE,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOL_SOCKET,
  startServer,
  StreamReader,
  StreamWriter,
  TCP_NODELAY,
  Transport,
  TransportSocket,
} from './net.js';
// The browser-safe tools (docs/simulation.md, "Tools"); sweep is in "evloop/sim/tools" (Node).
export * from './tools/index.js';
