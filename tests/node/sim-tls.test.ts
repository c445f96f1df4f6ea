// TLS between simulated hosts, in Node (the same cases run in Chromium), and what only Node
// has: both entries loaded at once, each with its SSLContext.
import { describe, expect, inject, it } from 'vitest';
import * as evloop from 'evloop';
import * as sim from 'evloop/sim';
import { Recorder } from '../shared/sim-helpers.js';
import { simTlsCases } from '../shared/sim-tls.cases.js';

describe('TLS in the simulation, in Node', () => simTlsCases(sim, inject('simTlsCerts')));

describe('the two entries SSLContexts', () => {
  it('are one class, and each serves its own entry only', async () => {
    const nodeCtx = new evloop.SSLContext('client');
    const simCtx = new sim.SSLContext('client');
    expect(Object.getPrototypeOf(evloop.SSLContext)).toBe(Object.getPrototypeOf(sim.SSLContext));
    expect(nodeCtx.loadVerifyLocations).toBe(simCtx.loadVerifyLocations);
    const s = new sim.Simulation({ seed: 1 });
    const h = s.host('client');
    await expect(s.runUntilComplete(h.createConnection(() => new Recorder(), 'server', 443, { ssl: nodeCtx }))).rejects.toThrow(
      /^createConnection\(\): ssl must be an SSLContext of evloop\/sim/,
    );
    s.close();
    const lp = new evloop.SelectorEventLoop();
    await expect(lp.runUntilComplete(lp.createConnection(() => ({}), '127.0.0.1', 9, { ssl: simCtx }))).rejects.toThrow(TypeError);
    lp.close();
  });
});
