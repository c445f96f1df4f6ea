// The wasm SimLoop in Chromium ("evloop/sim" resolves to the browser entry: async init).
import { describe, expect, it } from 'vitest';
import * as sim from 'evloop/sim';
import { simLoopCases } from '../shared/sim-loop.cases.js';

describe('evloop/sim in Chromium', () => {
  it('runs in Chromium', () => {
    expect(navigator.userAgent).toMatch(/Chrome/);
  });
  simLoopCases(sim);
});
