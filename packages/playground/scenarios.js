// The playground's scenarios and driver: no DOM here, so a test (or Node) can drive a run.
// `sim` is the "evloop/sim" module, passed in so the caller chooses the entry.
// Each scenario is a program module of the simulation tools (scenarios/<name>.mjs), the one
// definition the page runs and `evloop-sim replay` re-runs from an exported trace.
import * as echo from './scenarios/echo.mjs';
import * as leaderFollower from './scenarios/leader-follower.mjs';

/** name -> the scenario's module: { label, hosts, options, setup(simulation), default(sim, input) } */
export const scenarios = {
  echo,
  'leader-follower': leaderFollower,
};

/** One run of a scenario. */
export class Run {
  /**
   * @param sim the "evloop/sim" module
   * @param name a key of `scenarios`
   * @param seed the simulation's seed
   * @param faults `{ at, ...fault }` to schedule, before the hosts exist, as
   *   the tools' harness schedules a trace file's `input.faults`
   */
  constructor(sim, name, seed, faults = []) {
    const scenario = scenarios[name];
    if (!scenario) throw new Error(`unknown scenario ${name}`);
    this.name = name;
    this.seed = seed;
    this.hosts = scenario.hosts.slice();
    this.simulation = new sim.Simulation({ ...scenario.options, seed });
    try {
      for (const { at, ...fault } of faults) this.simulation.schedule(at, fault);
      scenario.setup(this.simulation);
    } catch (e) {
      this.simulation.close();
      throw e;
    }
  }
  now() {
    return this.simulation.now();
  }
  /** Runs `seconds` of virtual time. */
  runFor(seconds) {
    return this.simulation.runFor(seconds);
  }
  /** Runs one event; false when nothing was left. */
  step() {
    return this.simulation.step();
  }
  isCrashed(name) {
    return this.simulation.getHost(name)?.isCrashed() ?? false;
  }
  trace() {
    return this.simulation.trace();
  }
  close() {
    this.simulation.close();
  }
}
