// Task: asyncio's Task over a JavaScript async function, with asyncio 3.13's cancellation.
// Browser-safe.
//
// The task runs its function inside its own step context (task-context.ts), so every `await` of
// an evloop Future in it calls `Future.prototype.then` while the task is current: the future
// becomes the task's waiter (asyncio's `_fut_waiter`). `cancel(msg)` cancels the waiter, which
// rejects that `await` with CancelledError(msg); with no pending waiter the cancel is kept
// (asyncio's `_must_cancel`) and the next evloop-Future await of the task is cancelled at once.
// docs/tasks.md has the whole mapping and what browsers (no async context) do.

import type { AbstractEventLoop, BaseLoop } from './base-loop.js';
import { CancelledError, RuntimeError } from './errors.js';
import { completeFuture, Future, type Outcome, type State } from './future.js';
import { loopInternals } from './internal.js';
import { logError } from './log.js';
import { repr } from './platform.js';
import { getRunningLoop } from './running.js';
import { currentRunningTask, kAwaiting, kWake, runAsTask, type RunningTask, type TaskContext } from './task-context.js';
import { isFatal, isThenable, typeName } from './values.js';

export type { TaskContext } from './task-context.js';

/** What a task runs: an async function (called with no arguments) or a PromiseLike. */
export type Coroutine<T> = (() => PromiseLike<T> | T) | PromiseLike<T>;

/** Options of `createTask` and `new Task`. */
export interface TaskOptions {
  name?: string;
  /** The context the task runs in (Node: `AsyncLocalStorage.snapshot()`); default: the current one. */
  context?: TaskContext;
}

/** Options of `new Task` (a task factory passes them on). */
export interface NewTaskOptions extends TaskOptions {
  loop?: AbstractEventLoop;
  /** Run the first step now, in the constructor, if the loop is running (3.12's eager tasks). */
  eagerStart?: boolean;
}

/** asyncio's task factory: `loop.setTaskFactory(f)` makes `createTask` call `f(loop, coro, options)`. */
export type TaskFactory = <T>(loop: AbstractEventLoop, coro: Coroutine<T>, options: TaskOptions) => Task<T>;

let taskCounter = 0;

/** Set while `startTaskNow` makes a task: its first step runs even if the loop is not running. */
let startingNow = false;

/**
 * A task of `loop` whose first step runs now, inside this call, whether or not the loop is
 * running (the package's own coroutines that must start at once, such as `serveForever()`).
 */
export function startTaskNow<T>(loop: AbstractEventLoop, coro: () => PromiseLike<T> | T): Task<T> {
  startingNow = true;
  try {
    return new Task(coro, { loop, eagerStart: true });
  } finally {
    startingNow = false;
  }
}

let abandon: (task: Task<unknown>, msg?: string) => void;

/**
 * Marks a pending task cancelled now, whatever its function does later (its outcome is then
 * ignored). For a loop being closed with tasks that a cancel could not stop (they await a
 * foreign promise): the runner's last resort, not asyncio API.
 */
export function abandonTask(task: Task<unknown>, msg?: string): void {
  abandon(task, msg);
}

/**
 * asyncio's Task: runs an async function (or waits for a PromiseLike) and holds its outcome.
 * The function is called, with no arguments, in the next iteration of the loop (or at once by
 * an eager task factory), as asyncio runs a task's first step.
 *
 * `cancel(msg)` throws CancelledError(msg) into the function at the evloop Future it awaits
 * (asyncio's semantics); a function that catches it and goes on is not cancelled. `signal` is
 * aborted at the first cancel request, for foreign work (fetch, timers of Node) that takes one.
 */
export class Task<T = unknown> extends Future<T> implements RunningTask {
  #name: string;
  #controller: AbortController | null = null;
  /** The evloop Future the task's function awaits now (asyncio's `_fut_waiter`), or null. */
  #waiter: Future<unknown> | null = null;
  /** A cancel waits for the next await (asyncio's `_must_cancel`). */
  #mustCancel = false;
  #cancelMessage: string | undefined = undefined;
  #numCancelsRequested = 0;
  #context: TaskContext | null;
  /** Set while the first step has not run. */
  #coro: Coroutine<T> | null;

  constructor(coro: Coroutine<T>, options: NewTaskOptions = {}) {
    super(options.loop ?? getRunningLoop());
    if (typeof coro !== 'function' && !isThenable(coro)) {
      throw new TypeError(`a coroutine was expected, got ${repr(coro)}`);
    }
    const name: unknown = options.name;
    if (name !== undefined && name !== null && typeof name !== 'string') {
      throw new TypeError(`Task(): name must be a string, got ${typeName(name)}`);
    }
    const context: unknown = options.context;
    if (context !== undefined && context !== null && typeof context !== 'function') {
      throw new TypeError(`Task(): context must be a function that runs a function in it, got ${typeName(context)}`);
    }
    this.#context = (context as TaskContext | null | undefined) ?? null;
    this.#name = name ?? `Task-${++taskCounter}`;
    this.#coro = coro;
    const lp = this.getLoop() as BaseLoop;
    if (options.eagerStart === true && (lp.isRunning() || startingNow)) {
      loopInternals.tasksOf(lp).add(this as Task<unknown>);
      this.#step();
      return;
    }
    // asyncio schedules the first step with call_soon (which also checks closed); the handle
    // keeps the current context (task-context.ts).
    const step = (): void => this.#step();
    Object.defineProperty(step, 'name', { value: loopInternals.taskStepName(lp, this.#name) });
    lp.callSoon(step);
    loopInternals.tasksOf(lp).add(this as Task<unknown>);
  }

  /** Aborted (with a CancelledError) at the first cancel request. */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.#numCancelsRequested > 0 && !this.#controller.signal.aborted) this.#abort();
    return this.#controller.signal;
  }

  getName(): string {
    return this.#name;
  }

  setName(name: string): void {
    this.#name = String(name);
  }

  /** The context given to `createTask`/`new Task`, or null (the one current at creation). */
  getContext(): TaskContext | null {
    return this.#context;
  }

  /** Always RuntimeError: a task completes itself. */
  override setResult(_value: T): never {
    throw new RuntimeError('Task does not support set_result operation');
  }

  /** Always RuntimeError: a task completes itself. */
  override setException(_exception: unknown): never {
    throw new RuntimeError('Task does not support set_exception operation');
  }

  /**
   * Requests cancellation (asyncio 3.13): false if the task is done. Otherwise `cancelling()`
   * goes up, and the evloop Future the task awaits is cancelled with `msg` (CancelledError(msg)
   * is thrown at that `await`); without one, the next evloop-Future await of the task is
   * cancelled at once, a task that has not started never runs its function, and a function that
   * returns first leaves the task cancelled.
   */
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    this.#numCancelsRequested += 1;
    if (this.#controller !== null && !this.#controller.signal.aborted) this.#abort(msg);
    const waiter = this.#waiter;
    if (waiter !== null && waiter.cancel(msg)) {
      // The waiter stays: a Task that catches its cancellation may need cancelling again.
      return true;
    }
    this.#mustCancel = true;
    this.#cancelMessage = msg;
    return true;
  }

  /** How many cancel requests are pending (asyncio's `cancelling()`). */
  cancelling(): number {
    return this.#numCancelsRequested;
  }

  /** One cancel request fewer (not below 0); returns the count. At 0 a kept cancel is dropped. */
  uncancel(): number {
    if (this.#numCancelsRequested > 0) {
      this.#numCancelsRequested -= 1;
      if (this.#numCancelsRequested === 0) this.#mustCancel = false;
    }
    return this.#numCancelsRequested;
  }

  override toString(): string {
    return super.toString().replace(/^<Task /, `<Task name=${repr(this.#name)} `);
  }

  /** RunningTask: the task's function awaits `future` (Future.prototype.then calls it). */
  [kAwaiting](future: object): void {
    if (this.done() || !(future instanceof Future)) return;
    this.#waiter = future as Future<unknown>;
    if (this.#mustCancel && future.cancel(this.#cancelMessage)) this.#mustCancel = false;
  }

  /** RunningTask: the task resumes from `future` (asyncio's `__wakeup`). */
  [kWake](future: object): Error | null {
    if (this.#waiter !== future) return null;
    this.#waiter = null;
    if (!this.#mustCancel || this.done()) return null;
    this.#mustCancel = false;
    return new CancelledError(this.#cancelMessage === undefined ? '' : String(this.#cancelMessage));
  }

  #abort(msg?: string): void {
    (this.#controller as AbortController).abort(new CancelledError(msg === undefined ? '' : String(msg)));
  }

  /** The first step: calls the function in the task's context; its continuations stay in it. */
  #step(): void {
    const coro = this.#coro;
    this.#coro = null;
    if (coro === null || this.done()) return;
    if (this.#mustCancel) {
      // Cancelled before its first step: asyncio throws into a coroutine that never started.
      this.#mustCancel = false;
      this.#settle('CANCELLED', { message: this.#cancelMessage });
      return;
    }
    const context = this.#context;
    if (context === null) runAsTask(this, () => this.#start(coro));
    else context(() => runAsTask(this, () => this.#start(coro)));
  }

  #start(coro: Coroutine<T>): void {
    let promise: PromiseLike<T> | T;
    try {
      promise = typeof coro === 'function' ? coro() : coro;
    } catch (e) {
      this.#fail(e);
      return;
    }
    Promise.resolve(promise).then(
      (value) => {
        if (this.done()) return;
        if (this.#mustCancel) {
          // Cancelled while its function finished without awaiting an evloop Future again.
          this.#mustCancel = false;
          this.#settle('CANCELLED', { message: this.#cancelMessage });
        } else {
          this.#settle('FINISHED', { value });
        }
      },
      (e: unknown) => this.#fail(e),
    );
  }

  #fail(exception: unknown): void {
    if (this.done()) return;
    if (exception instanceof CancelledError) {
      this.#settle('CANCELLED', { message: exception.message || undefined });
      return;
    }
    const exc = exception !== null && typeof exception === 'object' ? exception : new Error(String(exception));
    this.#settle('FINISHED', { exception: exc });
    if (isFatal(exc)) loopInternals.raiseFatal(this.getLoop() as BaseLoop, exc);
  }

  static {
    abandon = (task, msg) => {
      if (task.done()) return;
      task.#mustCancel = false;
      task.#settle('CANCELLED', { message: msg });
    };
  }

  #settle(state: State, outcome: Outcome): void {
    this.#waiter = null;
    try {
      completeFuture(this as unknown as Future<unknown>, state, outcome);
    } catch (e) {
      // Done callbacks could not be scheduled (the loop is closed, or the simulated host
      // crashed): nobody is left to run them; say so rather than fail silently.
      logError(`evloop: ${this} completed after its loop closed:`, e);
    }
    loopInternals.tasksOf(this.getLoop() as BaseLoop).delete(this as Task<unknown>);
  }
}

/**
 * The task whose function is running now (asyncio.current_task), or null. With `loop`, null
 * unless it is that loop's task. Without async context (browsers), known only during the
 * synchronous part of a task's first step (docs/tasks.md).
 */
export function currentTask(loop?: AbstractEventLoop): Task<unknown> | null {
  const task = currentRunningTask();
  if (!(task instanceof Task)) return null;
  if (loop !== undefined && loop !== null && task.getLoop() !== loop) return null;
  return task as Task<unknown>;
}

/** The pending tasks of `loop` (the running loop by default), as asyncio.all_tasks. */
export function allTasks(loop?: AbstractEventLoop): Set<Task<unknown>> {
  const lp: unknown = loop ?? getRunningLoop();
  return new Set(loopInternals.isLoop(lp) ? loopInternals.tasksOf(lp) : []);
}

/**
 * asyncio.eager_task_factory: `loop.setTaskFactory(eagerTaskFactory)` runs each new task's
 * first step at once, inside `createTask`, while the loop is running.
 */
export const eagerTaskFactory: TaskFactory = (loop, coro, options) => new Task(coro, { ...options, loop, eagerStart: true });
