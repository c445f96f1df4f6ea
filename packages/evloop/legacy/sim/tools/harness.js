// Running a program module once: the one convention replay, shrink and sweep
// share. A program module exports
//   options   Simulation options but the seed (optional),
//   workload  (random) => ops, from a seeded random() in [0, 1) (optional),
//   nemesis   { hosts, horizon?, families? }: the hosts faults may touch, the
//             virtual seconds over which they start (default 5), the families
//             a swarm may pick (optional; without it sweep probes the hosts),
//   default   async (sim, input) => ...: sets up the hosts and drives the run;
//             throwing means the property failed.
// input = { workload, faults, families, until? }; the harness schedules `faults`
// (`{ at, ...fault }`) with sim.schedule before calling the program.
// Browser-safe.

import { Simulation } from '../simulation.js';
import { FAULT_FAMILIES, pickFamilies, planFaults, unknownFamilies } from './nemesis.js';
import { seededRandom } from './random.js';
import { exportTrace, normalizeInput } from './trace-file.js';

const DEFAULT_HORIZON = 5;

/** Checks a program module (or an object of the same shape) and returns its parts. */
export function loadProgram(mod) {
  if (mod === null || typeof mod !== 'object' || typeof mod.default !== 'function') {
    throw new TypeError('a program module must export a default async function (sim, input)');
  }
  const options = mod.options ?? {};
  if (options === null || typeof options !== 'object' || 'seed' in options || 'replay' in options) {
    throw new TypeError('a program module\'s `options` must be an object of Simulation options without seed or replay');
  }
  if (mod.workload !== undefined && typeof mod.workload !== 'function') {
    throw new TypeError('a program module\'s `workload` must be a function (random) => ops');
  }
  return { run: mod.default, options, workload: mod.workload, nemesis: mod.nemesis };
}

/** The Simulation options of a run: the program's, with buggify on when the swarm picked it. */
export function simOptions(program, families = []) {
  const options = { ...program.options };
  if (families.includes('buggify') && options.buggify === undefined) options.buggify = true;
  return options;
}

/**
 * Runs the program once. `seed`, or `replay` (decisions) with `options`
 * taken from a trace file. Resolves `{ trace, error, divergence }`: the trace
 * file of the run, what the program threw (null when the property held), and
 * `sim.divergence()` of a replay (null otherwise).
 */
export async function runProgram(program, { seed, replay, input, options }) {
  const p = loadProgram(program);
  const i = normalizeInput(input);
  const opts = options ?? simOptions(p, i.families);
  const sim = new Simulation(replay === undefined ? { ...opts, seed } : { ...opts, replay });
  try {
    for (const { at, ...fault } of i.faults) sim.schedule(at, fault);
    let error = null;
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
async function faultSpace(program, seed) {
  const n = program.nemesis ?? {};
  if (Array.isArray(n.hosts) && n.hosts.length > 0) return { hosts: n.hosts, horizon: n.horizon ?? DEFAULT_HORIZON };
  const sim = new Simulation({ ...program.options, seed });
  try {
    await program.run(sim, { workload: [], faults: [], families: [] }).catch(() => {});
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
export async function planInput(mod, seed, { swarm = false, families } = {}) {
  const program = loadProgram(mod);
  const workload = program.workload ? program.workload(seededRandom(seed, 'workload')) : [];
  if (!Array.isArray(workload)) throw new TypeError('a program\'s workload(random) must return an array');
  const pool = families ?? (swarm ? program.nemesis?.families ?? FAULT_FAMILIES : []);
  // Checked before the swarm picks: an unknown name left out by one seed's pick would fail only some seeds.
  const unknown = unknownFamilies(pool);
  if (unknown.length > 0) {
    throw new TypeError(`planInput(): unknown fault famil${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((f) => JSON.stringify(f)).join(', ')} (known: ${FAULT_FAMILIES.join(', ')})`);
  }
  const random = seededRandom(seed, 'nemesis');
  const chosen = swarm ? pickFamilies(random, pool) : [...pool];
  if (chosen.filter((f) => f !== 'buggify').length === 0) return { workload, faults: [], families: chosen };
  const { hosts, horizon } = await faultSpace(program, seed);
  const faults = planFaults(random, { hosts, horizon, families: chosen, baseLoss: program.options.loss ?? 0 });
  return { workload, faults, families: chosen };
}
