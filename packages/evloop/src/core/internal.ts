// Accessors into BaseLoop's private state for the package's own modules (futures, the runner,
// the networking layer), filled in by BaseLoop's static block so that none of it is public.
// Not exported by any entry.

import type { LoopBackend } from './backend.js';
import type { BaseLoop } from './base-loop.js';
import type { Task } from './futures.js';

export interface LoopInternals {
  /** Whether `value` is a loop of this package (a BaseLoop: Node's loops, simulated hosts). */
  isLoop(value: unknown): value is BaseLoop;
  /** The loop's current back end (a simulated host's changes on restart). */
  backendOf(loop: BaseLoop): LoopBackend;
  /** The loop's pending tasks (asyncio's all_tasks). */
  tasksOf(loop: BaseLoop): Set<Task<unknown>>;
  /** Ends the loop's current run (or step) with a fatal error. */
  raiseFatal(loop: BaseLoop, exc: unknown): void;
  /** A future of the loop completed (a simulation counts it as activity). */
  futureDone(loop: BaseLoop): void;
  /** The name of a task's first-step callback, as reports and traces show it. */
  taskStepName(loop: BaseLoop, taskName: string): string;
  /** Reports an error without ever throwing (a fatal one ends the run): the loop's `guard`. */
  guard(loop: BaseLoop, fn: () => void): void;
  /** `loop.callSoon(callback, arg)` run in `context` (captured earlier; null: the current one). */
  callSoonIn(loop: BaseLoop, context: object | null, callback: (arg: unknown) => unknown, arg: unknown): void;
}

const unset = (): never => {
  throw new TypeError('evloop: the loop module is not loaded');
};

export const loopInternals: LoopInternals = {
  isLoop: unset as unknown as LoopInternals['isLoop'],
  backendOf: unset,
  tasksOf: unset,
  raiseFatal: unset,
  futureDone: unset,
  taskStepName: unset,
  guard: unset,
  callSoonIn: unset,
};
