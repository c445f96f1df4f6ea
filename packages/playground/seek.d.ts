// Types of seek.js (for the type-checked tests).
import type { Simulation, TraceRecord } from 'evloop/sim';
import type { Fault } from './faults.js';
import type { Run, SimModule } from './scenarios.js';

/** A user's fault: it ran at virtual time `t` as event number `event` (scheduled there with `sim.schedule`). */
export interface Action {
  event: number;
  t: number;
  fault: Fault;
}

export interface HostState {
  ready: string[];
  timers: { when: number; label: string }[];
}

export declare function exactDuration(now: number, t: number): number;

export declare class Session {
  constructor(sim: SimModule, name: string, seed: number, actions?: Action[]);
  readonly sim: SimModule;
  readonly name: string;
  readonly seed: number;
  readonly actions: Action[];
  readonly applied: number;
  readonly horizon: number;
  readonly horizonTime: number;
  /** The trace of the furthest run with these actions, once a seek went back; else null. */
  readonly ahead: TraceRecord[] | null;
  readonly run: Run;
  readonly hosts: string[];
  readonly records: TraceRecord[];
  readonly marks: Map<number, number>;
  readonly simulation: Simulation;
  readonly events: number;
  now(): number;
  seek(k: number): Promise<number>;
  step(): Promise<boolean>;
  runFor(seconds: number): Promise<void>;
  /** Schedules `fault` just after now and runs to it; drops the recorded faults ahead. */
  apply(fault: Fault): Promise<void>;
  selectedRecords(): number[];
  hostStates(): Record<string, HostState> | null;
  faults(): ({ at: number } & Fault)[];
  /** The trace file's input: the faults applied so far and the event count at the cursor. */
  input(): { faults: ({ at: number } & Fault)[]; until: { events: number } };
  /** The trace file of the run at the cursor (`tools.exportTrace`): what Export downloads and `evloop-sim replay` re-runs. */
  traceFile<T = object>(tools: { exportTrace(sim: Simulation, input: never, extra?: { seed?: number }): T }): T;
  close(): void;
}

export declare function traceByTime(
  sim: SimModule,
  name: string,
  seed: number,
  actions: Action[],
  until: number,
): Promise<TraceRecord[]>;
