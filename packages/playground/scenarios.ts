// The playground's scenarios and driver: no DOM here, so a test (or Node) can drive a run.
// `sim` is the "evloop/sim" module, passed in so the caller chooses the entry.
// Each scenario is a program module of the simulation tools (scenarios/<name>.mjs: plain
// JavaScript, so that `evloop-sim replay` loads the very module the page runs).
import type * as Sim from 'evloop/sim';
import type { ProgramInput } from 'evloop/sim/tools';
import { asSimFault, type TimedFault } from './faults.js';
import * as echo from './scenarios/echo.mjs';
import * as leaderFollower from './scenarios/leader-follower.mjs';

export type SimModule = typeof Sim;

/** A scenario: a program module of the simulation tools (scenarios/<name>.mjs). */
export interface Scenario {
  label: string;
  hosts: string[];
  /** Simulation options but the seed. */
  options: Omit<Sim.SimulationOptions, 'seed' | 'replay'>;
  setup(simulation: Sim.Simulation): void;
  /** Sets up the hosts and runs to `input.until.events` (else a few virtual seconds). */
  default(simulation: Sim.Simulation, input?: Partial<ProgramInput>): Promise<void>;
}

/** name -> the scenario's module */
export const scenarios: Record<string, Scenario> = {
  echo,
  'leader-follower': leaderFollower,
};

/** One run of a scenario. */
export class Run {
  readonly name: string;
  readonly seed: number;
  readonly hosts: string[];
  readonly simulation: Sim.Simulation;

  /**
   * `sim`: the "evloop/sim" module; `name`: a key of `scenarios`; `faults`:
   * `{ at, ...fault }` to schedule, before the hosts exist, as the tools'
   * harness schedules a trace file's `input.faults`.
   */
  constructor(sim: SimModule, name: string, seed: number, faults: TimedFault[] = []) {
    const scenario = Object.hasOwn(scenarios, name) ? scenarios[name] : undefined;
    if (!scenario) throw new Error(`unknown scenario ${name}`);
    this.name = name;
    this.seed = seed;
    this.hosts = scenario.hosts.slice();
    this.simulation = new sim.Simulation({ ...scenario.options, seed });
    try {
      for (const { at, ...fault } of faults) this.simulation.schedule(at, asSimFault(fault));
      scenario.setup(this.simulation);
    } catch (e) {
      this.simulation.close();
      throw e;
    }
  }
  now(): number {
    return this.simulation.now();
  }
  /** Runs `seconds` of virtual time. */
  runFor(seconds: number): Promise<void> {
    return this.simulation.runFor(seconds);
  }
  /** Runs one event; false when nothing was left. */
  step(): Promise<boolean> {
    return this.simulation.step();
  }
  isCrashed(name: string): boolean {
    return this.simulation.getHost(name)?.isCrashed() ?? false;
  }
  trace(): Sim.TraceRecord[] {
    return this.simulation.trace();
  }
  close(): void {
    this.simulation.close();
  }
}
