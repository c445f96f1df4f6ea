// ==== Internal API for the toolkit (core/toolkit/*, H16b) — task semantics by H16a ==========
// Import from this module ('../futures.js'); it stays the one place to import from even when the
// classes move to their own files (future.ts, task.ts, task-context.ts).
//
// - `currentTask(loop?)`: the Task whose function is running now, or null (asyncio.current_task).
//   With `loop`, null unless that task is `loop`'s. Node (and the simulation under Node): known in
//   every continuation of the task's async function (an AsyncLocalStorage store that the Task
//   enters for its steps). Browsers (no AsyncLocalStorage): known only while a step the Task
//   drives itself runs synchronously (its first step); docs/tasks.md says what differs.
// - `task.cancel(msg?)`: asyncio 3.13. False if done. Else `cancelling()` goes up by one and, if
//   the task is awaiting an evloop Future (its waiter, asyncio's `_fut_waiter`), that Future is
//   cancelled with `msg`, so the task's `await` throws CancelledError(msg) in the microtask after
//   the current callback. With no waiter (before the first step, or awaiting a foreign promise)
//   the cancel is kept: the next evloop-Future await of the task throws it at once (before the
//   first step: the function never runs); if the function returns first, the task ends cancelled.
//   A function that catches CancelledError and goes on is not cancelled.
// - `task.cancelling()`: pending cancel requests; `task.uncancel()`: one fewer (not below 0),
//   returns the count; reaching 0 drops a kept cancel (3.13). timeout()/TaskGroup use these.
// - How a Future learns which task awaits it: `Future.prototype.then` (what `await fut` calls)
//   records the current task's waiter = that future while it is pending; completing clears it.
//   So a toolkit wait is simply: `const fut = loop.createFuture(); ...; await fut;` inside the
//   caller's task (an async toolkit function called by the task runs in the task's context).
//   Awaiting a Task records that Task: cancelling the outer task cancels the inner one (asyncio).
//   Queue/Lock waits: `try { await fut } catch (e) { /* fut.cancelled(): remove the waiter,
//   wake the next one (asyncio's fairness) */ throw e }`.
// - Retrieval: a Future/Task that fails and whose exception nobody retrieves is reported at GC
//   ("... exception was never retrieved"). `result()`, `exception()`, `then`/`catch`/`finally`
//   (await) retrieve it. A toolkit that consumes a child's failure without awaiting it (gather
//   with returnExceptions, TaskGroup) calls `child.exception()`.
// - `addDoneCallback(cb)`: cb runs through loop.callSoon, in the async context of the
//   addDoneCallback call (asyncio's context=None copies the current one).
// - `loop.createTask(coro, { name, context })` goes through the loop's task factory
//   (`setTaskFactory`/`getTaskFactory`, `eagerTaskFactory`); `context` is a runner
//   `(fn) => fn()` such as `AsyncLocalStorage.snapshot()`'s result (type `TaskContext`).
// - Sleeping: `sleepOn(loop, call, delay, value)` (base-loop.ts) returns a cancellable Future.
// - Now in place (H16a): `currentTask`, `task.cancelling()`/`uncancel()` exist under these names,
//   so toolkit/tasks.ts's dynamic look-ups can become plain imports. REQUEST to the index owner:
//   export `currentTask`, `eagerTaskFactory`, `type TaskFactory`, `type TaskContext` from
//   this module in src/node/index.ts and src/sim/index.ts (tests/node/tasks-*.test.ts use them).
// ================================================================================================

export { Future, isFuture } from './future.js';
export {
  allTasks,
  type Coroutine,
  currentTask,
  eagerTaskFactory,
  type NewTaskOptions,
  Task,
  type TaskContext,
  type TaskFactory,
  type TaskOptions,
} from './task.js';
