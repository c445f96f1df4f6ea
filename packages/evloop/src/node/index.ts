// The package's Node entry ("evloop"): asyncio's event loop, from the native addon, driven by
// Node's own libuv loop (docs/node.md).

import { getRunningLoop as runningLoop } from '../core/running.js';
import type { AbstractEventLoop } from '../core/abstract-loop.js';

export { coreVersion } from '../../native/index.js';
export * from '../core/public.js';
export { AbstractEventLoop, type ExceptionContext, type ExceptionHandler, type FileLike } from '../core/base-loop.js';
export {
  BaseEventLoop,
  EventLoop,
  ProactorEventLoop,
  SelectorEventLoop,
  type SelectorEventLoopOptions,
  type SelectorName,
} from './loop.js';
export {
  AbstractEventLoopPolicy,
  DefaultEventLoopPolicy,
  getEventLoop,
  getEventLoopPolicy,
  newEventLoop,
  setEventLoop,
  setEventLoopPolicy,
} from './policy.js';
export { run, Runner, type RunMain, type RunOptions } from './runner.js';
export { LoopRemote, ThreadsafeHandle } from './remote.js';
export * from '../core/net/index.js';
export * from './socket-constants.js';
export { socket } from './net-backend.js';
export * from './signal-constants.js';
export { WorkerPoolExecutor, type WorkerPoolExecutorOptions } from './worker-pool.js';
export { SSLContext, createDefaultContext, type SSLPurpose, type TLSVersion, type VerifyLocations, type VerifyMode } from './tls.js';

/**
 * The running loop of this thread; RuntimeError('no running event loop') without one. Any
 * AbstractEventLoop: a Node loop, or inside a simulation's step the running simulated host.
 */
export function getRunningLoop(): AbstractEventLoop {
  return runningLoop();
}
