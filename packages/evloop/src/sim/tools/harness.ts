// Running a program module once (program.ts says what one is): the one
// convention replay, shrink and sweep share. input = { workload, faults,
// families, until? }; the harness schedules `faults` (`{ at, ...fault }`)
// with sim.schedule before calling the program. Browser-safe.
import type { Decisions, Divergence, SimulationOptions } from '../index.js';
import { Simulation } from '../simulation.js';
import { FAULT_FAMILIES, pickFamilies, planFaults, unknownFamilies } from './nemesis.js';
import { loadProgram, type ProgramInput, type ProgramModule, type ProgramParts } from './program.js';
import { seededRandom } from './random.js';
import { exportTrace, normalizeInput, type TraceFile } from './trace-file.js';

/** Virtual seconds over which faults start when a program's `nemesis` does not say. */
const DEFAULT_HORIZON = 5;

export interface ProgramRun {
  /** The run's trace file. */
  trace: TraceFile;
  /** What the program threw (null when its property held). */
  error: unknown;
  /** `sim.divergence()` of a replay; null otherwise. */
  divergence: Divergence | null;
}

/** The Simulation options of a run: the program's, with buggify on when the swarm picked it. */
export function simOptions(program: ProgramParts, families: readonly string[] = []): SimulationOptions {
  const options: SimulationOptions = { ...program.options };
  if (families.includes('buggify') && options.buggify === undefined) options.buggify = true;
  return options;
}

/**
 * Runs the program once. `seed`, or `replay` (decisions) with `options`
 * taken from a trace file. Resolves `{ trace, error, divergence }`: the trace
 * file of the run, what the program threw (null when the property held), and
 * `sim.divergence()` of a replay (null otherwise).
 */
export async function runProgram(
  program: ProgramModule,
  run: { seed?: number; replay?: Decisions; input?: Partial<ProgramInput>; options?: object },
): Promise<ProgramRun> {
  const { seed, replay, input, options } = run;
  const p = loadProgram(program);
  const i = normalizeInput(input);
  // A trace file's options are JSON the Simulation checks itself.
  const opts = (options as SimulationOptions | undefined) ?? simOptions(p, i.families);
  const sim = new Simulation(replay === undefined ? { ...opts, seed } : { ...opts, replay });
  try {
    for (const { at, ...fault } of i.faults) sim.schedule(at, fault);
    let error: unknown = null;
    try {
      await p.run(sim, i);
    } catch (e) {
      error = e ?? new Error(`the program threw ${String(e)}`);
    }
    const trace = exportTrace(sim, i, { seed, failure: error });
    const divergence = replay === undefined ? null : sim.divergence();
    return { trace, error, divergence };
  } finally {
    sim.close();
  }
}

/** The hosts and horizon of the fault space: the program's `nemesis`, or what a fault-free run shows. */
async function faultSpace(program: ProgramParts, seed: number): Promise<{ hosts: string[]; horizon: number }> {
  const n = program.nemesis ?? {};
  if (Array.isArray(n.hosts) && n.hosts.length > 0) return { hosts: n.hosts, horizon: n.horizon ?? DEFAULT_HORIZON };
  const sim = new Simulation({ ...program.options, seed });
  try {
    try {
      await program.run(sim, { workload: [], faults: [], families: [] });
    } catch {
      // A probe: the hosts it made count, whatever the property says.
    }
    return { hosts: sim.hosts.map((h) => h.name), horizon: n.horizon ?? (sim.now() > 0 ? sim.now() : DEFAULT_HORIZON) };
  } finally {
    sim.close();
  }
}

/**
 * The input of seed `seed`: the workload from `workload(seededRandom(seed))`
 * and, when fault families are in play, a fault plan from another stream of
 * the same seed. With `swarm`, a random non-empty subset of `families`
 * (default: the program's, else every family) is in play; without it, all of
 * `families` (default none).
 */
export async function planInput(
  mod: ProgramModule,
  seed: number,
  options: { swarm?: boolean; families?: string[] | undefined } = {},
): Promise<ProgramInput> {
  const { swarm = false, families } = options;
  const program = loadProgram(mod);
  const workload: unknown = program.workload ? program.workload(seededRandom(seed, 'workload')) : [];
  if (!Array.isArray(workload)) throw new TypeError("a program's workload(random) must return an array");
  const pool = families ?? (swarm ? (program.nemesis?.families ?? FAULT_FAMILIES) : []);
  // Checked before the swarm picks: an unknown name left out by one seed's pick would fail only some seeds.
  const unknown = unknownFamilies(pool);
  if (unknown.length > 0) {
    const noun = unknown.length === 1 ? 'family' : 'families';
    throw new TypeError(`planInput(): unknown fault ${noun} ${unknown.map((f) => JSON.stringify(f)).join(', ')} (known: ${FAULT_FAMILIES.join(', ')})`);
  }
  const random = seededRandom(seed, 'nemesis');
  const chosen = swarm ? pickFamilies(random, pool) : [...pool];
  if (chosen.filter((f) => f !== 'buggify').length === 0) return { workload, faults: [], families: chosen };
  const { hosts, horizon } = await faultSpace(program, seed);
  const faults = planFaults(random, { hosts, horizon, families: chosen, baseLoss: program.options.loss ?? 0 });
  return { workload, faults, families: chosen };
}
