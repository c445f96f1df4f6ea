// The golden trace in Chromium: the same seeds give the very traces (by SHA-256
// of JSON.stringify(sim.trace())) that Node computed into tests/shared/sim-golden.ts
// (tests/node/sim-golden.test.ts checks the file against Node on every run).
import { describe, expect, it } from 'vitest';
import * as sim from 'evloop/sim';
import { goldenScenario } from '../shared/sim-golden-scenario.js';
import { GOLDEN, GOLDEN_SEEDS } from '../shared/sim-golden.js';

describe('golden trace (Chromium)', () => {
  it('reproduces the traces Node computed, seed by seed', async () => {
    expect(GOLDEN.map((g) => g.seed)).toEqual(GOLDEN_SEEDS);
    for (const golden of GOLDEN) {
      expect(await goldenScenario(sim, golden.seed)).toEqual(golden);
    }
  });
});
