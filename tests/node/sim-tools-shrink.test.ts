// shrink: delta debugging over a failing seed's faults and workload reaches
// the known minimum of the sample programs.
import { describe, expect, it } from 'vitest';
import { ddmin, planInput, replay, shrink } from 'evloop/sim/tools';
import { loadSample } from './sim-tools-helpers.js';

describe('ddmin', () => {
  it('finds a 1-minimal failing sub-list, keeping the order, each candidate tried once', async () => {
    const tried = new Set<string>();
    const fails = async (xs: number[]) => {
      const key = xs.join(',');
      expect(tried.has(key)).toBe(false);
      tried.add(key);
      return xs.includes(3) && xs.includes(7);
    };
    expect(await ddmin([1, 2, 3, 4, 5, 6, 7, 8], fails)).toEqual([3, 7]);
    expect(await ddmin([1, 2, 3], async () => true)).toEqual([]);
    expect(await ddmin([], async () => true)).toEqual([]);
    expect(await ddmin([5, 6], async (xs) => xs.length === 2)).toEqual([5, 6]);
  });
});

describe('shrink', () => {
  it('reduces a stale read to one partition, one write and one read of the cut-off replica', async () => {
    const program = await loadSample('stale-register');
    const start = await planInput(program, 8, { families: ['partition'] });
    expect(start.faults.length).toBe(2);
    expect(start.workload.length).toBe(8);
    const trace = await shrink({ program, seed: 8, families: ['partition'] });
    expect(trace.shrink).toMatchObject({ from: { faults: 2, workload: 8 }, to: { faults: 1, workload: 2 } });
    const [fault] = trace.input.faults;
    expect(fault).toMatchObject({ fault: 'partition' });
    const [write, read] = trace.input.workload as { op: string; replica?: string }[];
    expect(write!.op).toBe('write');
    expect(read!.op).toBe('read');
    // The read goes to the replica the partition cut off from the primary.
    const sides = fault as { a: string[]; b: string[] };
    const cut = sides.a.includes('r1') ? sides.b : sides.a;
    expect(cut).toContain(read!.replica);
    expect(trace.failure?.name).toBe('NotLinearizable');
    // The result is a replayable trace file.
    expect((await replay(trace, program)).diverged).toBeNull();
  });

  it('keeps the failing property: a lease lock shrinks to the restart of the lock server', async () => {
    const program = await loadSample('lease-lock');
    const start = await planInput(program, 0, { swarm: true });
    const trace = await shrink({ program, seed: 0, swarm: true });
    expect(trace.shrink.from.faults).toBe(start.faults.length);
    expect(trace.input.faults.map((f) => f.fault)).toEqual(['restart']);
    expect(trace.failure?.name).toBe('MutualExclusionViolated');
  });

  it('refuses a seed that does not fail', async () => {
    const program = await loadSample('stale-register');
    await expect(shrink({ program, seed: 8 })).rejects.toThrow(/does not fail/);
  });
});
