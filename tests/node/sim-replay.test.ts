// The simulation's power tools in Node (decisions and replay, schedule,
// buggify, hostState, options), and buggify on a real loop.
import { describe, expect, it } from 'vitest';
import * as evloop from 'evloop';
import * as sim from 'evloop/sim';
import { simReplayCases } from '../shared/sim-replay.cases.js';

describe('Simulation power tools in Node', () => simReplayCases(sim));

describe('buggify on a real loop', () => {
  it('is always false, after checking its arguments', () => {
    const loop = new evloop.SelectorEventLoop();
    try {
      expect(loop.buggify('x', 1)).toBe(false);
      expect(loop.buggify('x')).toBe(false);
      expect(() => loop.buggify(1 as unknown as string, 1)).toThrow(TypeError);
      expect(() => loop.buggify('', 1)).toThrow(evloop.ValueError);
      expect(() => loop.buggify('x', 1.5)).toThrow(/buggify\(\): p must be a probability/);
    } finally {
      loop.close();
    }
  });

  it('is false on the loops the policy makes', () => {
    const loop = evloop.newEventLoop() as evloop.EventLoop;
    try {
      expect(loop.buggify('x', 1)).toBe(false);
    } finally {
      loop.close();
    }
  });
});
