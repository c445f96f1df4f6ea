// Which task is running, and the async context callbacks run in. Browser-safe: the runtime's
// async context comes in through `platform.asyncContext` (Node: AsyncLocalStorage, installed by
// the Node entries); without one (browsers) the current task is known only while a step the
// Task drives itself runs synchronously, and callbacks run in the loop's context.
//
// Why a store and not a variable: `await fut` calls `fut.then` in a later microtask (a
// PromiseResolveThenableJob), after the task's synchronous step has returned. AsyncLocalStorage
// follows the task's function into those jobs, so `then` can ask which task awaits (the Task
// records the Future as its waiter: asyncio's `_fut_waiter`, see task.ts).
//
// Callbacks (`callSoon`, timers, done callbacks) capture the context current when they are
// scheduled, minus the current task: a callback scheduled by a task is not part of that task
// (asyncio's `current_task()` is None in a callback).

import type { AsyncContextHook, ContextStore } from './platform.js';
import { platform } from './platform.js';

/** The key of RunningTask's method (not a public name of Task). */
export const kAwaiting: unique symbol = Symbol('evloop.awaiting');

/** The key of RunningTask's wake-up method. */
export const kWake: unique symbol = Symbol('evloop.wake');

/** The task a store value stands for (task.ts's Task; typed loosely here to avoid a cycle). */
export interface RunningTask {
  /** The task awaits `future` (called from `Future.prototype.then`). */
  [kAwaiting](future: object): void;
  /**
   * `future` completed and the task resumes from it: a CancelledError to throw instead of its
   * outcome (a cancel kept while the wake-up was pending, asyncio's `_must_cancel`), or null.
   */
  [kWake](future: object): Error | null;
}

/**
 * A context to run a task in, given by the user (`createTask(coro, { context })`): a function
 * that runs `fn` in it and returns its result, such as Node's `AsyncLocalStorage.snapshot()`.
 */
export type TaskContext = <R>(fn: () => R) => R;

let storeHook: AsyncContextHook | null = null;
let store: ContextStore<RunningTask> | null = null;
/** The task whose step runs synchronously now (the fallback without async context). */
let syncTask: RunningTask | null = null;

/** The task store of the installed hook (made again if an entry installs another hook). */
function taskStore(): ContextStore<RunningTask> | null {
  const hook = platform.asyncContext;
  if (hook !== storeHook) {
    storeHook = hook;
    store = hook === null ? null : hook.newStore<RunningTask>();
  }
  return store;
}

/** Whether the runtime gives async context (Node): otherwise the browser fallback applies. */
export function hasAsyncContext(): boolean {
  return platform.asyncContext !== null;
}

/** The task running now, or null (the store's value; without async context, the synchronous step's). */
export function currentRunningTask(): RunningTask | null {
  const s = taskStore();
  if (s === null) return syncTask;
  return s.get() ?? null;
}

/** Runs `fn` as a step of `task`: `currentRunningTask()` is `task` in it and its continuations. */
export function runAsTask<R>(task: RunningTask, fn: () => R): R {
  const s = taskStore();
  const previous = syncTask;
  syncTask = task;
  try {
    return s === null ? fn() : s.run(task, fn);
  } finally {
    syncTask = previous;
  }
}

/**
 * The current async context, for a callback scheduled now (null without async context). Inside
 * a task the task itself is left out.
 */
export function captureContext(): object | null {
  const hook = platform.asyncContext;
  if (hook === null) return null;
  const s = taskStore() as ContextStore<RunningTask>;
  if (s.get() === undefined) return hook.capture();
  return s.run(undefined, () => hook.capture());
}

/** Runs `fn(...args)` in `context` (from `captureContext`; null: here). */
export function runInContext(context: object | null, fn: (...args: never[]) => unknown, args: readonly unknown[] | null): unknown {
  const hook = platform.asyncContext;
  if (context === null || hook === null) return args === null ? fn() : fn(...(args as never[]));
  return hook.runIn(context, fn, args);
}

/**
 * Runs `fn` with no current task, so an async context captured in it (a binding's, for the
 * protocol callbacks of a transport made now) leaves the task out: a protocol callback is not
 * part of the task that created its transport (asyncio's `current_task()` is None there).
 */
export function outsideTask<R>(fn: () => R): R {
  const s = taskStore();
  if (s === null || s.get() === undefined) return fn();
  return s.run(undefined, fn);
}
