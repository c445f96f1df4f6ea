// Types of the browser-safe simulation tools ("evloop/sim/tools", also
// re-exported by "evloop/sim"). docs/simulation.md, "Tools".
import type { Decisions, Divergence, Fault, Simulation, SimulationOptions, SimulationOptionsJson, TraceRecord } from '../index.js';

// ---------------------------------------------------------------- programs

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

/** Checks a program module and returns its parts. */
export declare function loadProgram<Op>(mod: ProgramModule<Op>): ProgramParts<Op>;

export interface ProgramRun {
  /** The run's trace file. */
  trace: TraceFile;
  /** What the program threw (null when its property held). */
  error: unknown;
  /** `sim.divergence()` of a replay; null otherwise. */
  divergence: Divergence | null;
}

/** Runs a program once, from a seed or from decisions (`replay`, with the file's `options`). */
export declare function runProgram(
  program: ProgramModule,
  run: { seed?: number; replay?: Decisions; input?: Partial<ProgramInput>; options?: object },
): Promise<ProgramRun>;

/** The input of a seed: its workload, and a fault plan when families are in play (`swarm`: a random subset). */
export declare function planInput(
  program: ProgramModule,
  seed: number,
  options?: { swarm?: boolean; families?: string[] },
): Promise<ProgramInput>;

// ---------------------------------------------------------------- trace files

export declare const TRACE_FORMAT: 'evloop-sim-trace';
export declare const TRACE_VERSION: 1;

/** What a program threw, as a trace file keeps it. */
export interface FailureInfo {
  name: string;
  message: string;
}

/** A run, replayable without its seed. */
export interface TraceFile {
  format: 'evloop-sim-trace';
  version: 1;
  /** Informational: a replay does not use it. */
  seed?: number;
  options: SimulationOptionsJson | Record<string, unknown>;
  input: ProgramInput;
  decisions: Decisions;
  records: TraceRecord[];
  failure?: FailureInfo;
  /** Set by `shrink()`: the sizes before and after, and the runs it took. */
  shrink?: { from: { faults: number; workload: number }; to: { faults: number; workload: number }; runs: number };
}

/** The trace file of `sim`'s run so far. */
export declare function exportTrace(
  sim: Simulation,
  input: Partial<ProgramInput>,
  extra?: { seed?: number; failure?: unknown; options?: object },
): TraceFile;
/** The problems of a would-be trace file (`path: what`), empty when valid. */
export declare function validateTrace(value: unknown): string[];
/** Parses (JSON text or an object) and validates; TypeError listing the problems. */
export declare function parseTrace(text: string | unknown): TraceFile;
/** JSON with one record per line. */
export declare function stringifyTrace(trace: TraceFile): string;
/** One line for a record. */
export declare function formatRecord(record: TraceRecord | null | undefined): string;

// ---------------------------------------------------------------- diff

export interface IndexedRecord {
  /** The record's index in its whole trace. */
  index: number;
  record: TraceRecord;
}

export interface HostDivergence {
  host: string;
  /** The position in the host's own sequence of records. */
  position: number;
  a: IndexedRecord | null;
  b: IndexedRecord | null;
  context: { a: IndexedRecord[]; b: IndexedRecord[] };
}

export interface TraceDiff {
  identical: boolean;
  lengths: { a: number; b: number };
  /** The first index where the traces differ (records null past an end), with context. */
  first: { index: number; a: IndexedRecord | null; b: IndexedRecord | null; context: { a: IndexedRecord[]; b: IndexedRecord[] } } | null;
  /** Per host: the first divergence of its own records, or null. */
  hosts: Record<string, HostDivergence | null>;
  /** The host divergence earliest in virtual time. */
  time: HostDivergence | null;
}

/** Aligns two traces per host and finds the first divergences. */
export declare function diffTraces(a: TraceFile | TraceRecord[], b: TraceFile | TraceRecord[], options?: { context?: number }): TraceDiff;
/** A text report for a terminal. */
export declare function renderDiff(report: TraceDiff, options?: { labels?: [string, string] }): string;

// ---------------------------------------------------------------- replay

export interface ReplayReport {
  /** The first record that differs from the file's (null past an end), or null. */
  diverged: { index: number; expected: TraceRecord | null; actual: TraceRecord | null } | null;
  /** The first draw the file's decisions did not cover. */
  divergence: Divergence | null;
  failure: FailureInfo | null;
  expectedFailure: FailureInfo | null;
  /** The replay's own trace file. */
  trace: TraceFile;
}

/** Re-runs a program from a trace file (no seed needed) and compares the records. */
export declare function replay(traceFile: TraceFile | string, program: ProgramModule): Promise<ReplayReport>;
export declare function renderReplay(report: ReplayReport): string;

// ---------------------------------------------------------------- shrink

export interface ShrinkOptions {
  program: ProgramModule;
  /** The failing seed; candidates all run on it. */
  seed: number;
  /** The failing input (default: the seed's plan). */
  input?: ProgramInput;
  swarm?: boolean;
  families?: string[];
  /** Whether a candidate's error is the same failure (default: same `name`). */
  matches?: (error: unknown, original: unknown) => boolean;
  onRun?: (run: { phase: 'faults' | 'workload'; size: number; failed: boolean; runs: number }) => void;
}

/** Delta debugging over the faults, then the workload; the minimum re-verified twice. */
export declare function shrink(options: ShrinkOptions): Promise<TraceFile & { shrink: NonNullable<TraceFile['shrink']> }>;
/** A 1-minimal failing sub-list of `items` (which fails). */
export declare function ddmin<T>(items: T[], fails: (items: T[]) => Promise<boolean>): Promise<T[]>;

// ---------------------------------------------------------------- swarm plans

export declare const FAULT_FAMILIES: readonly FaultFamily[];
/** `random()` in [0, 1) from a seed and a salt (the tools' own generator). */
export declare function seededRandom(seed: number, salt?: string): () => number;
/** A random non-empty subset of `families`. */
export declare function pickFamilies(random: () => number, families?: readonly string[]): string[];
/** A fault schedule over `hosts` from `families`, sorted by time. */
export declare function planFaults(
  random: () => number,
  space: { hosts: string[]; horizon: number; families: readonly string[]; baseLoss?: number },
): ScheduledFault[];

// ---------------------------------------------------------------- linearizability

/** A recorded operation: `return` null (or absent) when it never returned. */
export interface Operation<I = unknown, O = unknown> {
  client?: string | number;
  op: string;
  input: I;
  output: O;
  call: number;
  return?: number | null;
}

/** A sequential specification. `step` gets `output: undefined` for a pending operation. */
export interface Model<S = unknown> {
  name?: string;
  init(): S;
  step(state: S, op: Operation): { ok: boolean; state: S };
  /** A string equal for equal states (default: canonical JSON). */
  key?(state: S): string;
  describe?(op: Operation): string;
}

export type LinearizabilityResult =
  | { ok: true; linearization: Operation[] }
  | { ok: false; counterexample: { prefix: Operation[]; state: unknown; unplaced: Operation[] } };

/** A register: read, write and (with `cas`) compare-and-set `[expected, next]`. */
export declare function registerModel(options?: { cas?: boolean; initial?: unknown }): Model;
/** Whether `history` is linearizable under `model` (default: a register). */
export declare function checkLinearizable(history: Operation[], model?: Model, options?: { maxSteps?: number }): LinearizabilityResult;
export declare function describeCounterexample(result: LinearizabilityResult, model?: Model): string;
