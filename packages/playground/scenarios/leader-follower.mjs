// The playground's `leader/follower` scenario, as a program module of the
// simulation tools: a leader sends heartbeats to two followers, which answer.
// A trace exported from the page replays with
//   pnpm exec evloop-sim replay evloop-leader-follower-seed42.json packages/playground/scenarios/leader-follower.mjs
/** @import { Simulation } from 'evloop/sim' */
/** @import { ProgramInput } from 'evloop/sim/tools' */
import { drive, Follower, sender } from './common.mjs';

export const label = 'leader/follower';
/** @type {string[]} */
export const hosts = ['leader', 'follower1', 'follower2'];
/** Simulation options but the seed. @type {{ latency: [number, number] }} */
export const options = { latency: [0.005, 0.03] };

/**
 * Adds the hosts.
 * @param {Simulation} sim
 */
export function setup(sim) {
  sim.host('leader', (loop) => {
    for (const f of ['follower1', 'follower2']) {
      sender(loop, f, 9, { interval: 0.1, count: 1000, message: (i) => `heartbeat ${i}` });
    }
  });
  for (const f of ['follower1', 'follower2']) {
    sim.host(f, async (loop) => {
      const server = await loop.createServer(() => new Follower(), null, 9);
      await server.serveForever().catch(() => {});
    });
  }
}

/**
 * Adds the hosts and runs to `input.until.events` (else a few virtual seconds).
 * @param {Simulation} sim
 * @param {Partial<ProgramInput>} [input]
 */
export default async function leaderFollower(sim, input) {
  setup(sim);
  await drive(sim, input);
}
