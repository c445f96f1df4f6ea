// The package's Node entry ("evloop"): asyncio's event loop, from the native addon, driven by
// Node's own libuv loop (docs/node.md).

import { sleepOn } from '../core/base-loop.js';
import type { Future } from '../core/futures.js';
import { getRunningLoop as runningLoop } from '../core/running.js';
import { typeName } from '../core/values.js';
import type { AbstractEventLoop } from '../core/abstract-loop.js';

export { coreVersion } from '../../native/index.js';
export * from '../core/errors.js';
export { AbstractEventLoop, type ExceptionContext, type ExceptionHandler, type FileLike } from '../core/base-loop.js';
export { Handle, TimerHandle } from '../core/handles.js';
export { allTasks, Future, isFuture, Task, type TaskOptions } from '../core/futures.js';
export { getLogger, setLogger, type Logger } from '../core/log.js';
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

/**
 * The running loop of this thread; RuntimeError('no running event loop') without one. Any
 * AbstractEventLoop: a Node loop, or inside a simulation's step the running simulated host.
 */
export function getRunningLoop(): AbstractEventLoop {
  return runningLoop();
}

/**
 * A Future of the running loop that completes with `value` after `delay` seconds
 * (asyncio.sleep); `sleep(0)` resumes after one iteration.
 */
export function sleep(delay: number): Future<void>;
export function sleep<T>(delay: number, value: T): Future<T>;
export function sleep<T>(delay: number, value?: T): Future<T | undefined> {
  if (typeof delay !== 'number') throw new TypeError(`sleep(): delay must be a number, got ${typeName(delay)}`);
  if (Number.isNaN(delay)) throw new RangeError('sleep(): delay must not be NaN');
  return sleepOn(runningLoop(), 'sleep', delay, value);
}
