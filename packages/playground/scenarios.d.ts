// Types of scenarios.js (for the type-checked tests).
import type * as Sim from 'evloop/sim';
import type { Fault } from './faults.js';

export type SimModule = typeof Sim;

/** A scenario: a program module of the simulation tools (scenarios/<name>.mjs). */
export interface Scenario {
  label: string;
  hosts: string[];
  /** Simulation options but the seed. */
  options: object;
  setup(simulation: Sim.Simulation): void;
  /** Sets up the hosts and runs to `input.until.events` (else a few virtual seconds). */
  default(simulation: Sim.Simulation, input?: { until?: { events?: number } }): Promise<void>;
}

export declare const scenarios: Record<string, Scenario>;

export declare class Run {
  constructor(sim: SimModule, name: string, seed: number, faults?: ({ at: number } & Fault)[]);
  readonly name: string;
  readonly seed: number;
  readonly hosts: string[];
  readonly simulation: Sim.Simulation;
  now(): number;
  runFor(seconds: number): Promise<void>;
  step(): Promise<boolean>;
  isCrashed(name: string): boolean;
  trace(): Sim.TraceRecord[];
  close(): void;
}
