// "evloop/sim" in Node (the Node entry: initSync from the file): the SimLoop and the Simulation.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as evloop from 'evloop';
import * as sim from 'evloop/sim';
import { datagramCases } from '../shared/sim-datagram.cases.js';
import { dnsCases } from '../shared/sim-dns.cases.js';
import { simLoopCases } from '../shared/sim-loop.cases.js';
import { simulationCases } from '../shared/sim-simulation.cases.js';
import { simProcessCases } from '../shared/sim-process.cases.js';
import { simSocketCases } from '../shared/sim-sockets.cases.js';

describe('evloop/sim in Node', () => simLoopCases(sim));
describe('Simulation in Node', () => simulationCases(sim));
describe('subprocesses and pipes on simulated hosts in Node', () => simProcessCases(sim));
describe('raw sockets on simulated hosts in Node', () => simSocketCases(sim));
describe('Simulated datagrams in Node', () => datagramCases(sim));
describe('Name resolution and connection racing on simulated hosts in Node', () => dnsCases(sim));

describe('evloop/sim and evloop share their error classes', () => {
  it('re-exports the very classes of the Node package', () => {
    for (const name of ['RuntimeError', 'ValueError', 'CancelledError', 'ConnectionResetError', 'ConnectionRefusedError', 'TimeoutError', 'gaierror', 'OSError'] as const) {
      expect(sim[name]).toBe(evloop[name]);
    }
  });
});

describe('the "try it" demo', () => {
  it('runs examples/demo.mjs: SimLoop and a two-host Simulation', () => {
    const demo = fileURLToPath(new URL('../../examples/demo.mjs', import.meta.url));
    const out = execFileSync(process.execPath, [demo], { encoding: 'utf8', timeout: 60_000 });
    expect(out).toContain('callLater(3600): an hour later');
    expect(out).toContain("client got 'hello' back");
    expect(out).toContain('client lost the connection: ConnectionResetError: [Errno 104] Connection reset by peer');
  });
});
