// asyncio.TaskGroup (3.13): tasks that live and die together. When a child fails, the others
// and the block's own task (the parent) are cancelled; the block ends once every child is
// done, and the failures come out together in an ExceptionGroup.
//
// JavaScript has no `__aenter__`: a TaskGroup enters when made (it takes the current task as
// its parent), and the block ends with `.run(fn)`'s end or with `await using`'s disposal. A
// disposer never sees the error leaving its block: with `await using`, an error thrown by the
// block itself neither cancels the children nor joins the group, and an ExceptionGroup thrown
// by the disposal over the block's CancelledError comes out as JavaScript's SuppressedError.
// `.run(fn)` behaves exactly as asyncio's `async with` (docs/tasks.md).

import type { BaseLoop } from '../base-loop.js';
import { CancelledError, KeyboardInterrupt, RuntimeError, SystemExit } from '../errors.js';
import type { Future, Task, TaskOptions } from '../futures.js';
import { typeName } from '../values.js';
import { exceptionGroup } from './errors.js';
import { currentTask, runningLoop } from './tasks.js';

/** SystemExit and KeyboardInterrupt end the block as they are, never inside a group. */
function isBaseError(exc: unknown): boolean {
  return exc instanceof SystemExit || exc instanceof KeyboardInterrupt;
}

/** asyncio.TaskGroup: `await new TaskGroup().run(async (tg) => { tg.createTask(...) })`. */
export class TaskGroup {
  readonly #loop: BaseLoop;
  readonly #parent: Task<unknown>;
  #exiting = false;
  #aborting = false;
  #parentCancelRequested = false;
  #finished = false;
  readonly #tasks = new Set<Task<unknown>>();
  readonly #errors: unknown[] = [];
  #baseError: unknown = null;
  /** Completed when the last child is done, while the block's end waits for it. */
  #onCompleted: Future<boolean> | null = null;

  /** Enters the group: RuntimeError when no task is running (it needs a parent to cancel). */
  constructor() {
    this.#loop = runningLoop();
    const parent = currentTask(this.#loop);
    if (parent === null) throw new RuntimeError(`TaskGroup ${String(this)} cannot determine the parent task`);
    this.#parent = parent;
  }

  /**
   * A child task running `coro` (a coroutine function, or a promise to wait for).
   * RuntimeError once the group is finished or shutting down (a child failed).
   */
  createTask<T>(coro: (() => PromiseLike<T> | T) | PromiseLike<T>, options?: TaskOptions): Task<T> {
    if (this.#exiting && this.#tasks.size === 0) throw new RuntimeError(`TaskGroup ${String(this)} is finished`);
    if (this.#aborting) throw new RuntimeError(`TaskGroup ${String(this)} is shutting down`);
    const task = this.#loop.createTask(coro, options);
    const child = task as unknown as Task<unknown>; // Task is invariant in T; only its outcome is read
    // An eager task may be done already: no callback to wait for then.
    if (task.done()) {
      this.#onTaskDone(child);
    } else {
      this.#tasks.add(child);
      task.addDoneCallback(() => this.#onTaskDone(child));
    }
    return task;
  }

  /**
   * Runs `fn(this)` as the group's block and ends it (asyncio's `async with`): resolves with
   * fn's result once every child is done; rejects with an ExceptionGroup of the failures (the
   * block's own error among them), or with the CancelledError of a cancellation from outside.
   */
  async run<R>(fn: (tg: this) => PromiseLike<R> | R): Promise<R> {
    if (typeof fn !== 'function') throw new TypeError(`run(): fn must be a function, got ${typeName(fn)}`);
    let result: R;
    try {
      result = await fn(this);
    } catch (e) {
      await this.#exit(true, e);
      throw e;
    }
    await this.#exit(false, undefined);
    return result;
  }

  /** `await using tg = new TaskGroup()`: waits for the children (see the module's note). */
  async [Symbol.asyncDispose](): Promise<void> {
    // Cancelled by a failing child: the block is leaving with that CancelledError.
    if (this.#parentCancelRequested) await this.#exit(true, new CancelledError());
    else await this.#exit(false, undefined);
  }

  toString(): string {
    const info: string[] = [];
    if (this.#tasks.size > 0) info.push(`tasks=${this.#tasks.size}`);
    if (this.#errors.length > 0) info.push(`errors=${this.#errors.length}`);
    if (this.#aborting) info.push('cancelling');
    else if (this.#finished || this.#exiting) info.push('exiting');
    return `<TaskGroup${info.length > 0 ? ' ' + info.join(' ') : ''}>`;
  }

  /** The end of the block, leaving with `exc` if `raised`; throws what the block ends with. */
  async #exit(raised: boolean, exc: unknown): Promise<void> {
    if (this.#exiting) throw new RuntimeError(`TaskGroup ${String(this)} has already been exited`);
    this.#exiting = true;
    if (raised && isBaseError(exc) && this.#baseError === null) this.#baseError = exc;
    let propagateCancellation: unknown = raised && exc instanceof CancelledError ? exc : null;
    // The block itself failed, or its task is being cancelled: the children go too.
    if (raised && !this.#aborting) this.#abort();

    // Wait for the children; the wait may be cancelled more than once (the parent cancelled
    // again from outside), so loop until none is left.
    while (this.#tasks.size > 0) {
      this.#onCompleted ??= this.#loop.createFuture<boolean>();
      try {
        await this.#onCompleted;
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        if (!this.#aborting) {
          // Our task is cancelled from outside while the children still run.
          propagateCancellation = e;
          this.#abort();
        }
      }
      this.#onCompleted = null;
    }
    this.#finished = true;

    if (this.#baseError !== null) throw this.#baseError;

    // The cancellation we asked of our parent is withdrawn; only another one still counts.
    if (this.#parentCancelRequested && this.#parent.uncancel() === 0) propagateCancellation = null;

    // The children's errors have priority over a cancellation.
    if (propagateCancellation !== null && this.#errors.length === 0) throw propagateCancellation;

    if (raised && !(exc instanceof CancelledError)) this.#errors.push(exc);
    if (this.#errors.length > 0) {
      // Cancelled from outside too: keep that request's count stable while we raise.
      if (this.#parent.cancelling() > 0) {
        this.#parent.uncancel();
        this.#parent.cancel();
      }
      throw exceptionGroup('unhandled errors in a TaskGroup', this.#errors.splice(0));
    }
  }

  #abort(): void {
    this.#aborting = true;
    for (const task of this.#tasks) if (!task.done()) task.cancel();
  }

  #onTaskDone(task: Task<unknown>): void {
    this.#tasks.delete(task);
    if (this.#onCompleted !== null && this.#tasks.size === 0 && !this.#onCompleted.done()) {
      this.#onCompleted.setResult(true);
    }
    if (task.cancelled()) return;
    const exc = task.exception();
    if (exc === null) return;
    this.#errors.push(exc);
    if (isBaseError(exc) && this.#baseError === null) this.#baseError = exc;
    if (this.#parent.done()) {
      this.#loop.callExceptionHandler({
        message: `Task ${String(task)} has errored out but its parent task ${String(this.#parent)} is already completed`,
        exception: exc,
        task,
      });
      return;
    }
    if (!this.#aborting && !this.#parentCancelRequested) {
      // Stop whatever the block awaits now, and say later (uncancel) that it was us.
      this.#abort();
      this.#parentCancelRequested = true;
      this.#parent.cancel();
    }
  }
}
