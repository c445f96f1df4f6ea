// The public value types of "evloop/sim": options, faults and what the
// observation calls return (all plain JSON). The classes are in
// simulation.ts and host.ts. Browser-safe.

import type { Host } from './host.js';

export interface SimulationOptions {
  /** Seeds every random stream (a safe integer; default 0). */
  seed?: number;
  /** Link latency in seconds: a number, or `[min, max]` drawn uniformly (default [0.001, 0.005]). */
  latency?: number | [number, number];
  /** Probability that a segment is lost on a link (streams re-send it; default 0). */
  loss?: number;
  /** A connect with no answer fails after this many seconds with TimeoutError (default 10). */
  connectTimeout?: number;
  /** A connection whose data cannot get through this long ends with TimeoutError (default 30). */
  streamTimeout?: number;
  /** Record the trace (default true; `stats()` are always kept). */
  trace?: boolean;
  /**
   * Without it (the default), the driver lets every promise continuation a
   * step released run to its end before the next event, however deep the
   * chain of awaits. With it, the rule of earlier versions: the wait ends
   * after this many microtask turns in a row without work for the
   * simulation (traces recorded with it replay the same).
   */
  microtaskTurns?: number;
  /**
   * Replay these decisions (`sim.decisions()` of an earlier run): every
   * random stream serves its recorded values in order instead of drawing;
   * `seed` then only seeds what the record does not cover (see `divergence()`).
   */
  replay?: Decisions;
  /** Which fault points `buggify()` enables: true (all), an array of names, or false (none, the default). */
  buggify?: boolean | string[];
}

/**
 * Every random decision of a run, by stream (`host:<name>`,
 * `link:<src>><dst>`, `buggify:<point>`): the numbers in [0, 1) it drew, in order.
 */
export type Decisions = Record<string, number[]>;

/** Where a replay first needed a decision its record did not have. */
export interface Divergence {
  stream: string;
  /** The index of the missing value in that stream. */
  index: number;
  /** `sim.events()` at the miss. */
  event: number;
}

/** The options a simulation was made with, but the seed and the replay record. */
export interface SimulationOptionsJson {
  latency: [number, number];
  loss: number;
  connectTimeout: number;
  streamTimeout: number;
  trace: boolean;
  buggify: boolean | string[];
  /** Only when the simulation was made with it (the idle-turn rule of earlier versions). */
  microtaskTurns?: number;
}

/** A host name, or several. */
export type HostGroup = string | string[];

/** A fault as a value, for `sim.schedule(at, fault)` (the shape of a trace fault record; an `at` key is ignored). */
export type Fault = { at?: number } & (
  | { fault: 'partition'; a: HostGroup; b: HostGroup; oneWay?: boolean }
  | { fault: 'heal'; a?: HostGroup; b?: HostGroup }
  | { fault: 'hold' | 'release'; a: string; b: string }
  | { fault: 'link'; a: string; b: string; latency?: number | [number, number]; loss?: number; oneWay?: boolean }
  | { fault: 'crash' | 'restart' | 'pause' | 'resume'; host: string }
  | { fault: 'skew'; host: string; seconds: number }
  | { fault: 'signal'; host: string; sig: number | string }
);

export type FaultName =
  | 'partition'
  | 'heal'
  | 'hold'
  | 'release'
  | 'crash'
  | 'restart'
  | 'pause'
  | 'resume'
  | 'link'
  | 'skew'
  | 'signal';

/** What a host is about to do (`sim.hostState(name)`). */
export interface HostState {
  /** Labels of the ready callbacks, in run order (cancelled ones left out). */
  ready: string[];
  /** Timers not cancelled, in run order (by `when`, ties in scheduling order). */
  timers: { when: number; label: string }[];
}

/** A record of the trace: `t` (virtual seconds), `host`, `kind`, and the kind's fields. */
export interface TraceRecord {
  t: number;
  /** The host it happened on; `""` for a fault between groups of hosts. */
  host: string;
  kind: 'call' | 'send' | 'deliver' | 'drop' | 'connect' | 'accept' | 'close' | 'fault' | 'buggify';
  /** `call`: the callback's label (its function name, `program`, `Task.__step`, ...); `buggify`: the point. */
  name?: string;
  /** `drop`: `loss`, `partition` or `crash`. */
  cause?: 'loss' | 'partition' | 'crash';
  /** `fault`: which one. */
  fault?: FaultName;
  [field: string]: string | number | boolean | null | undefined;
}

/** Running totals since the start. Once nothing is in flight or held, `sent == delivered + dropped`. */
export interface SimulationStats {
  /** Every transmission, re-sends included. */
  sent: number;
  delivered: number;
  /** Messages that were ever held. */
  held: number;
  dropped: { loss: number; partition: number; crash: number };
  faults: Record<FaultName, number>;
}

export interface DeterminismReport {
  identical: boolean;
  /** The first index where the traces differ, and the two records (null past the end of one). */
  firstDivergence?: { index: number; a: TraceRecord | null; b: TraceRecord | null };
}

/** A host's program: runs when the simulation starts and again after each restart. */
export type HostProgram = (loop: Host) => unknown;

/** An address inside a simulation: the host's name, a port, and `family: "sim"`. */
export interface SimAddress {
  address: string;
  port: number;
  family: 'sim';
}
