// "evloop/sim" in Chromium (the browser entry: async init): the SimLoop and the Simulation.
import { describe, expect, it } from 'vitest';
import * as sim from 'evloop/sim';
import { datagramCases } from '../shared/sim-datagram.cases.js';
import { dnsCases } from '../shared/sim-dns.cases.js';
import { simLoopCases } from '../shared/sim-loop.cases.js';
import { simulationCases } from '../shared/sim-simulation.cases.js';
import { simProcessCases } from '../shared/sim-process.cases.js';
import { simSocketCases } from '../shared/sim-sockets.cases.js';

describe('evloop/sim in Chromium', () => {
  it('runs in Chromium', () => {
    expect(navigator.userAgent).toMatch(/Chrome/);
  });
  simLoopCases(sim);
});
describe('Simulation in Chromium', () => simulationCases(sim));
describe('subprocesses and pipes on simulated hosts in Chromium', () => simProcessCases(sim));
describe('raw sockets on simulated hosts in Chromium', () => simSocketCases(sim));
describe('Simulated datagrams in Chromium', () => datagramCases(sim));
describe('Name resolution and connection racing on simulated hosts in Chromium', () => dnsCases(sim));
