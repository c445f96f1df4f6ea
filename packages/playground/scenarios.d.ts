// Types of scenarios.js (for the type-checked tests).
import type * as Sim from 'evloop/sim';

export type SimModule = typeof Sim;

export interface Scenario {
  label: string;
  hosts: string[];
  setup(simulation: Sim.Simulation): void;
}

export declare const scenarios: Record<string, Scenario>;

export declare class Run {
  constructor(sim: SimModule, name: string, seed: number);
  readonly name: string;
  readonly seed: number;
  readonly hosts: string[];
  readonly simulation: Sim.Simulation;
  partitioned: boolean;
  now(): number;
  runFor(seconds: number): Promise<void>;
  step(): Promise<boolean>;
  partition(): void;
  heal(): void;
  isCrashed(name: string): boolean;
  toggleCrash(name: string): boolean;
  trace(): Sim.TraceRecord[];
  close(): void;
}
