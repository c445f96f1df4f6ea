// What every entry exports the same way ("evloop" and "evloop/sim"): the error classes, handles,
// futures and tasks, the logger and asyncio's toolkit. Each entry adds its own loops.

export * from './errors.js';
export { Handle, TimerHandle } from './handles.js';
export {
  allTasks,
  currentTask,
  eagerTaskFactory,
  Future,
  isFuture,
  Task,
  type TaskContext,
  type TaskFactory,
  type TaskOptions,
} from './futures.js';
export { type Executor, type ExecutorCallable, type ExecutorJob, isWorkerFunction, type ShutdownOptions, workerFunction, type WorkerFunction } from './executor.js';
export { getLogger, setLogger, type Logger } from './log.js';
// asyncio's toolkit: sleep, waitFor, timeout, gather, TaskGroup, queues, locks (docs/tasks.md).
export * from './toolkit/index.js';
