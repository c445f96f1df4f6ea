// The running loop of this thread: one registry for every entry of the package ("evloop" and
// "evloop/sim" may be loaded in one process, and share this module).
//
// Whoever runs a loop sets it: Node's runForever for the whole run, the simulation's driver
// around each host's step and its continuations. `setRunningLoop` returns the loop it replaces,
// so that a runner nested inside another's callback (a simulation stepped from a Node loop's
// task) puts it back when it is done.

import { RuntimeError } from './errors.js';
import type { BaseLoop } from './base-loop.js';

let running: BaseLoop | null = null;

/**
 * Asked while no loop is set: a runner whose binding calls JavaScript directly (the wasm core
 * calling a protocol method or a factory inside a simulation's step) knows the running loop
 * only through its binding.
 */
let lookup: (() => BaseLoop | null) | null = null;

/** Where `new Future()` without a loop looks when no loop runs (Node: the policy's current loop). */
let fallback: (() => BaseLoop) | null = null;

/** The running loop of this thread. RuntimeError('no running event loop') without one. */
export function getRunningLoop(): BaseLoop {
  const loop = getRunningLoopOrNull();
  if (loop === null) throw new RuntimeError('no running event loop');
  return loop;
}

/** The running loop of this thread, or null (asyncio's `_get_running_loop()`). */
export function getRunningLoopOrNull(): BaseLoop | null {
  return running ?? lookup?.() ?? null;
}

/** Installs the lookup asked while no loop is set (the simulation's: the host its binding is in). */
export function setRunningLoopLookup(fn: (() => BaseLoop | null) | null): void {
  lookup = fn;
}

/** Makes `loop` the running loop (null: none); returns the previous one, to restore. */
export function setRunningLoop(loop: BaseLoop | null): BaseLoop | null {
  const previous = running;
  running = loop;
  return previous;
}

/** Installs the lookup of a loop for a Future made without one, when none runs. */
export function setDefaultLoopLookup(lookup: (() => BaseLoop) | null): void {
  fallback = lookup;
}

/** The running loop, else the installed lookup's (Node: `getEventLoop()`); RuntimeError without either. */
export function getDefaultLoop(): BaseLoop {
  const loop = getRunningLoopOrNull();
  if (loop !== null) return loop;
  if (fallback !== null) return fallback();
  throw new RuntimeError('no running event loop');
}
