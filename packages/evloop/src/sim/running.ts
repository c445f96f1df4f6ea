// Which host is running, seen from the simulation. The loop registry
// (core/running.ts) holds the host a back end entered (backend.ts) and,
// after a step, the one whose JavaScript ran last; the wasm core records
// every host it enters (`runningHostName()`), which also covers JavaScript
// it calls directly (a protocol's methods) before any back end did.
// Browser-safe.

import { RuntimeError } from '../core/errors.js';
import { getRunningLoopOrNull } from '../core/running.js';
import { runningHostName } from '../../wasm/evloop_wasm.js';
import { Host } from './host.js';

/** What the lookup needs of the simulation being driven. */
interface Driven {
  getHost(name: string): Host | undefined;
}

/** The simulation being driven (step, runFor, runUntilComplete), or null. */
let driving: Driven | null = null;

/** The simulation being driven, or null. */
export function drivingSimulation(): Driven | null {
  return driving;
}

/** Marks `sim` as driven (null: none); returns the one it replaces, to restore. */
export function setDriving(sim: Driven | null): Driven | null {
  const previous = driving;
  driving = sim;
  return previous;
}

/** The host whose JavaScript ran last in the step being driven, or null. */
export function lastHost(): Host | null {
  if (driving === null) return null;
  const name = runningHostName();
  return name === undefined ? null : (driving.getHost(name) ?? null);
}

/**
 * The host whose callback is running, or whose promise continuations run
 * after its step: RuntimeError('no running event loop') elsewhere (also
 * while a Node loop runs: it is no host).
 */
export function getRunningLoop(): Host {
  const loop = getRunningLoopOrNull() ?? lastHost();
  if (loop instanceof Host) return loop;
  throw new RuntimeError('no running event loop');
}
