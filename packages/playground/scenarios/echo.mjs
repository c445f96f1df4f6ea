// The playground's `echo` scenario, as a program module of the simulation
// tools: a client sends a few messages to an echo server. A trace exported
// from the page replays with
//   pnpm exec evloop-sim replay evloop-echo-seed42.json packages/playground/scenarios/echo.mjs
/** @import { Simulation } from 'evloop/sim' */
/** @import { ProgramInput } from 'evloop/sim/tools' */
import { drive, EchoServer, sender } from './common.mjs';

export const label = 'echo';
/** @type {string[]} */
export const hosts = ['client', 'server'];
/** Simulation options but the seed. @type {{ latency: [number, number] }} */
export const options = { latency: [0.005, 0.03] };

/**
 * Adds the hosts.
 * @param {Simulation} sim
 */
export function setup(sim) {
  sim.host('client', (loop) => {
    sender(loop, 'server', 7, { interval: 0.1, count: 6, message: (i) => `hello ${i}` });
  });
  sim.host('server', async (loop) => {
    const server = await loop.createServer(() => new EchoServer(), null, 7);
    await server.serveForever().catch(() => {});
  });
}

/**
 * Adds the hosts and runs to `input.until.events` (else a few virtual seconds).
 * @param {Simulation} sim
 * @param {Partial<ProgramInput>} [input]
 */
export default async function echo(sim, input) {
  setup(sim);
  await drive(sim, input);
}
