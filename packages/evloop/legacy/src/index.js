// The package's Node entry: asyncio's event loop, from the native addon,
// driven by Node's own libuv loop (docs/node.md).

export { coreVersion } from '../../native/index.js';
export * from './errors.js';
export {
  AbstractEventLoop,
  EventLoop,
  getRunningLoop,
  Handle,
  ProactorEventLoop,
  SelectorEventLoop,
  TimerHandle,
} from './loop.js';
export { allTasks, Future, isFuture, sleep, Task } from './futures.js';
export {
  AbstractEventLoopPolicy,
  DefaultEventLoopPolicy,
  getEventLoop,
  getEventLoopPolicy,
  newEventLoop,
  setEventLoop,
  setEventLoopPolicy,
} from './policy.js';
export { run, Runner } from './runner.js';
export { LoopRemote, ThreadsafeHandle } from './remote.js';
export * from './net.js';
