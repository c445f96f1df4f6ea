// The playground's `echo` scenario, as a program module of the simulation
// tools: a client sends a few messages to an echo server. A trace exported
// from the page replays with
//   pnpm exec evloop-sim replay evloop-echo-seed42.json packages/playground/scenarios/echo.mjs
import { drive, EchoServer, sender } from './common.js';

export const label = 'echo';
export const hosts = ['client', 'server'];
/** Simulation options but the seed. */
export const options = { latency: [0.005, 0.03] };

/** Adds the hosts. */
export function setup(sim) {
  sim.host('client', (loop) => {
    sender(loop, 'server', 7, { interval: 0.1, count: 6, message: (i) => `hello ${i}` });
  });
  sim.host('server', async (loop) => {
    const server = await loop.createServer(() => new EchoServer(), null, 7);
    await server.serveForever().catch(() => {});
  });
}

export default async function echo(sim, input) {
  setup(sim);
  await drive(sim, input);
}
