// What a program module is: the one convention replay, shrink and sweep share.
// A program module exports
//   options   Simulation options but the seed (optional),
//   workload  (random) => ops, from a seeded random() in [0, 1) (optional),
//   nemesis   { hosts, horizon?, families? }: the hosts faults may touch, the
//             virtual seconds over which they start (default 5), the families
//             a swarm may pick (optional; without it sweep probes the hosts),
//   default   async (sim, input) => ...: sets up the hosts and drives the run;
//             throwing means the property failed.
// Browser-safe.
import type { Fault, Simulation, SimulationOptions } from '../index.js';

/** A fault family a swarm can pick. `buggify` schedules nothing: it turns fault points on. */
export type FaultFamily = 'loss' | 'partition' | 'crash' | 'pause' | 'skew' | 'buggify';

/** A fault with the virtual time the harness schedules it at. */
export type ScheduledFault = Fault & { at: number };

/** What a program is given: its workload, the faults scheduled for it, and the swarm's families. */
export interface ProgramInput<Op = unknown> {
  workload: Op[];
  faults: ScheduledFault[];
  families: string[];
  /** Where a run driven step by step stood when exported (the playground's): its program runs to `events` events. */
  until?: { events?: number };
}

/**
 * A program module: `export const options`, optional `export function
 * workload(random)` and `export const nemesis`, and `export default async
 * function (sim, input)` that throws when its property fails.
 */
export interface ProgramModule<Op = unknown> {
  default: (sim: Simulation, input: ProgramInput<Op>) => unknown;
  /** Simulation options but the seed. */
  options?: Omit<SimulationOptions, 'seed' | 'replay'>;
  /** The workload of a seed, from a seeded `random()` in [0, 1). */
  workload?: (random: () => number) => Op[];
  /** The fault space: the hosts faults may touch, over how many virtual seconds they start, which families. */
  nemesis?: { hosts?: string[]; horizon?: number; families?: string[] };
}

export interface ProgramParts<Op = unknown> {
  run: ProgramModule<Op>['default'];
  options: NonNullable<ProgramModule<Op>['options']>;
  workload?: ProgramModule<Op>['workload'];
  nemesis?: ProgramModule<Op>['nemesis'];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';

/** Checks a program module (or an object of the same shape) and returns its parts. */
export function loadProgram<Op>(mod: ProgramModule<Op>): ProgramParts<Op> {
  // Modules come from files: check what the types cannot promise.
  const m: unknown = mod;
  if (!isObject(m) || typeof m.default !== 'function') {
    throw new TypeError('a program module must export a default async function (sim, input)');
  }
  const options: unknown = m.options ?? {};
  if (!isObject(options) || 'seed' in options || 'replay' in options) {
    throw new TypeError("a program module's `options` must be an object of Simulation options without seed or replay");
  }
  if (m.workload !== undefined && typeof m.workload !== 'function') {
    throw new TypeError("a program module's `workload` must be a function (random) => ops");
  }
  return { run: mod.default, options: mod.options ?? {}, workload: mod.workload, nemesis: mod.nemesis };
}
