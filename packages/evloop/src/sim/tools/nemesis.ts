// The swarm's fault plans: from a seeded generator, a schedule of faults over
// a program's hosts, drawn from the chosen fault families. Each family comes
// as a disruption and its end (partition then heal, crash then restart, ...),
// so that shrinking can drop the end and keep the disruption, or drop both.
// Browser-safe.
import type { FaultFamily, ScheduledFault } from './program.js';
import { pick, randomInt } from './random.js';

/** Every family a plan can draw from. `buggify` schedules nothing: it turns the program's fault points on. */
export const FAULT_FAMILIES: readonly FaultFamily[] = Object.freeze(['loss', 'partition', 'crash', 'pause', 'skew', 'buggify'] as const);

/** The names in `families` that are no fault family (empty when all are). */
export function unknownFamilies(families: readonly string[]): string[] {
  return families.filter((f) => !(FAULT_FAMILIES as readonly string[]).includes(f));
}

/** Faults of each chosen family in a plan: 1 to this many. */
const MAX_PER_FAMILY = 2;

/** Times are rounded to microseconds, so that plans read well in a trace file. */
const round = (t: number): number => Math.round(t * 1e6) / 1e6;

/**
 * A random non-empty subset of `families`, in their given order (swarm
 * testing: each run leaves some families out, so that faults that mask
 * each other get tried apart).
 */
export function pickFamilies(random: () => number, families: readonly string[] = FAULT_FAMILIES): string[] {
  if (families.length === 0) return [];
  for (;;) {
    const chosen = families.filter(() => random() < 0.5);
    if (chosen.length > 0) return chosen;
  }
}

/** A non-empty proper subset of `hosts` and the rest. */
function split(random: () => number, hosts: string[]): [string[], string[]] {
  for (;;) {
    const a = hosts.filter(() => random() < 0.5);
    if (a.length > 0 && a.length < hosts.length) return [a, hosts.filter((h) => !a.includes(h))];
  }
}

function twoHosts(random: () => number, hosts: string[]): [string, string] {
  const a = pick(random, hosts);
  const b = pick(random, hosts.filter((h) => h !== a));
  return [a, b];
}

/**
 * Plans faults: `{ at, fault, ... }` (the shape `sim.schedule` takes, plus
 * `at`), sorted by time. `hosts`: the hosts faults may touch; `horizon`: the
 * virtual seconds over which they start; `baseLoss`: the loss a lossy link
 * returns to.
 */
export function planFaults(
  random: () => number,
  space: { hosts: string[]; horizon: number; families: readonly string[]; baseLoss?: number },
): ScheduledFault[] {
  const { hosts, horizon, families, baseLoss = 0 } = space;
  if (!Array.isArray(hosts) || hosts.length === 0) throw new TypeError('planFaults(): hosts must be a non-empty array of names');
  if (!(horizon > 0)) throw new RangeError(`planFaults(): horizon must be > 0, got ${horizon}`);
  const faults: ScheduledFault[] = [];
  const window = (): [number, number] => {
    const start = random() * horizon * 0.8;
    return [round(start), round(start + horizon * (0.05 + random() * 0.45))];
  };
  for (const family of families) {
    const count = randomInt(random, 1, MAX_PER_FAMILY);
    for (let i = 0; i < count; i++) {
      const [start, end] = window();
      switch (family) {
        case 'loss': {
          if (hosts.length < 2) break;
          const [a, b] = twoHosts(random, hosts);
          faults.push({ at: start, fault: 'link', a, b, loss: round(0.2 + random() * 0.5) });
          faults.push({ at: end, fault: 'link', a, b, loss: baseLoss });
          break;
        }
        case 'partition': {
          if (hosts.length < 2) break;
          const [a, b] = split(random, hosts);
          faults.push({ at: start, fault: 'partition', a, b });
          faults.push({ at: end, fault: 'heal', a, b });
          break;
        }
        case 'crash': {
          const host = pick(random, hosts);
          faults.push({ at: start, fault: 'crash', host });
          faults.push({ at: end, fault: 'restart', host });
          break;
        }
        case 'pause': {
          const host = pick(random, hosts);
          faults.push({ at: start, fault: 'pause', host });
          faults.push({ at: end, fault: 'resume', host });
          break;
        }
        case 'skew': {
          const host = pick(random, hosts);
          faults.push({ at: start, fault: 'skew', host, seconds: round((random() - 0.5) * 10) });
          break;
        }
        case 'buggify':
          break;
        default:
          throw new TypeError(`planFaults(): unknown fault family ${JSON.stringify(family)}`);
      }
    }
  }
  // Stable: equal times keep the order of planning, which is the seed's.
  return faults
    .map((f, i): [ScheduledFault, number] => [f, i])
    .sort((x, y) => x[0].at - y[0].at || x[1] - y[1])
    .map(([f]) => f);
}
