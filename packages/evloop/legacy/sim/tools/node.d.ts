// Types of "evloop/sim/tools" in Node: the browser-safe tools and sweep.
export * from './index.js';
import type { FailureInfo, TraceFile } from './index.js';

export interface SweepOptions {
  /** The path or URL of a program module (each worker imports it). */
  program: string | URL;
  /** How many seeds (from `firstSeed`), or the list. */
  seeds: number | number[];
  firstSeed?: number;
  /** Each seed picks a random non-empty subset of the fault families and a fault plan. */
  swarm?: boolean;
  families?: string[];
  /** Worker threads (default os.availableParallelism()). */
  workers?: number;
  /** Stop once this many seeds failed (the first ones in seed order are reported). */
  stopAfter?: number;
  /** A progress bar (or lines) on stderr (default: when stderr is a terminal). */
  progress?: boolean;
}

export interface SweepFailure {
  seed: number;
  families: string[];
  error: FailureInfo;
  trace: TraceFile;
}

/** Runs a program for many seeds on worker threads. */
export declare function sweep(options: SweepOptions): Promise<{ runs: number; failures: SweepFailure[] }>;
