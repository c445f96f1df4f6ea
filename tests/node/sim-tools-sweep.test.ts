// sweep: many seeds on worker threads, as a swarm; the planted bugs of the
// sample programs are found within a bounded number of seeds, and the answer
// does not depend on the number of workers.
import { describe, expect, it } from 'vitest';
import { FAULT_FAMILIES, pickFamilies, planFaults, planInput, replay, seededRandom, sweep } from 'evloop/sim/tools';
import * as sim from 'evloop/sim';
import { loadSample, programUrl } from './sim-tools-helpers.js';

describe('swarm plans', () => {
  it('are a function of the seed', async () => {
    const program = await loadSample('stale-register');
    expect(await planInput(program, 5, { swarm: true })).toEqual(await planInput(program, 5, { swarm: true }));
    expect(await planInput(program, 5, { swarm: true })).not.toEqual(await planInput(program, 6, { swarm: true }));
  });

  it('reject an unknown family for every seed, even one whose swarm pick would leave it out', async () => {
    const program = await loadSample('stale-register');
    for (let seed = 0; seed < 8; seed++) {
      await expect(planInput(program, seed, { swarm: true, families: ['loss', 'partiton'] })).rejects.toThrow(
        /planInput\(\): unknown fault family "partiton"/,
      );
    }
  });

  it('pick non-empty subsets of the families and pair each disruption with its end', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 50; seed++) {
      const random = seededRandom(seed, 'test');
      const families = pickFamilies(random);
      expect(families.length).toBeGreaterThan(0);
      seen.add(families.join(','));
      const faults = planFaults(random, { hosts: ['a', 'b', 'c'], horizon: 2, families });
      expect(faults.map((f) => f.at)).toEqual([...faults.map((f) => f.at)].sort((x, y) => x - y));
      // Disruptions start within 0.8 of the horizon; their ends come at most half a horizon later.
      for (const f of faults) expect(f.at).toBeLessThanOrEqual(2 * 1.3);
      const count = (name: string) => faults.filter((f) => f.fault === name).length;
      expect(count('partition')).toBe(count('heal'));
      expect(count('crash')).toBe(count('restart'));
      expect(count('pause')).toBe(count('resume'));
    }
    expect(seen.size).toBeGreaterThan(20);
    expect(FAULT_FAMILIES).toEqual(['loss', 'partition', 'crash', 'pause', 'skew', 'buggify']);
  });
});

describe('sweep', () => {
  it('finds the stale read within 64 seeds, the same answer on 1 or 2 workers, and its trace replays', async () => {
    const program = programUrl('stale-register');
    const two = await sweep({ program, seeds: 64, swarm: true, workers: 2, stopAfter: 2, progress: false });
    expect(two.failures.length).toBe(2);
    expect(two.runs).toBeLessThanOrEqual(64);
    const [first] = two.failures;
    expect(first!.error.name).toBe('NotLinearizable');
    expect(first!.trace.seed).toBe(first!.seed);
    expect(first!.families.length).toBeGreaterThan(0);
    expect(two.runs).toBe(two.failures[1]!.seed + 1);
    const one = await sweep({ program: program.href, seeds: two.runs, swarm: true, workers: 1, progress: false });
    expect(one.failures.map((f) => f.seed)).toEqual(two.failures.map((f) => f.seed));
    expect((await replay(first!.trace, await loadSample('stale-register'))).diverged).toBeNull();
  });

  it('finds nothing without faults (the bug needs one)', async () => {
    const result = await sweep({ program: programUrl('stale-register'), seeds: 24, workers: 2, progress: false });
    expect(result).toEqual({ runs: 24, failures: [] });
  });

  it('finds the lost lease with the crash family, and the double count behind a buggify point', async () => {
    const lock = await sweep({ program: programUrl('lease-lock'), seeds: 64, swarm: true, workers: 2, stopAfter: 1, progress: false });
    expect(lock.failures[0]).toMatchObject({ error: { name: 'MutualExclusionViolated' } });
    expect(lock.failures[0]!.families).toContain('crash');

    const counter = await sweep({ program: programUrl('buggify-counter'), seeds: 64, swarm: true, workers: 2, stopAfter: 1, progress: false });
    const found = counter.failures[0]!;
    expect(found.error.name).toBe('LostUpdate');
    expect(found.families).toContain('buggify');
    expect(found.trace.options).toMatchObject({ buggify: true });
    expect(found.trace.records.some((r) => r.kind === 'buggify' && r.host === 'counter' && r.name === 'drop-reply')).toBe(true);
    expect(Object.keys(found.trace.decisions)).toContain('buggify:drop-reply');
    // Without the fault point the program passes: the bug needs buggify.
    const plain = await sweep({ program: programUrl('buggify-counter'), seeds: 16, families: ['skew'], workers: 2, progress: false });
    expect(plain.failures).toEqual([]);
  });

  it('rejects a program that cannot load', async () => {
    await expect(sweep({ program: programUrl('no-such-program'), seeds: 2, workers: 1, progress: false })).rejects.toThrow();
  });
});

describe('sim.sweep', () => {
  it('is the same sweep, from "evloop/sim"', async () => {
    const program = programUrl('buggify-counter');
    const viaSim = await sim.sweep({ program, seeds: 16, swarm: true, workers: 2, stopAfter: 1, progress: false });
    expect(viaSim.failures.map((f) => [f.seed, f.families])).toEqual([[0, ['buggify', 'skew']]]);
    expect(sim.sweep).toBe(sweep);
  });
});
