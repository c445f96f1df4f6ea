// One playground session, scripted: tests/node/sim-tools-playground-replay.test.ts runs it in
// Node with the page's Session (packages/playground/seek.js), and
// tests/browser/playground-export.browser.test.ts clicks it through the page in Chromium. Both
// export the run, and the file must be, byte for byte, the committed fixture below, which
// `evloop-sim replay` re-runs with the scenario's module. Regenerate the fixture with
//   EVLOOP_UPDATE_PLAYGROUND_EXPORT=1 pnpm exec vitest run --project node tests/node/sim-tools-playground-replay.test.ts
import type { Fault } from '../../packages/playground/faults.js';

export const SCENARIO = 'echo';
export const SEED = 42;
/** The fixture, next to this file. */
export const FIXTURE = 'playground-echo-seed42.json';

/** A user's move: Play for `run` virtual seconds, Step, seek to an event, or a fault button. */
export type Move = { run: number } | { step: true } | { seek: number } | { fault: Fault };

export const MOVES: Move[] = [
  { run: 0.2 },
  { fault: { fault: 'partition', a: ['client'], b: ['server'] } },
  { step: true },
  { step: true },
  { step: true },
  { fault: { fault: 'crash', host: 'server' } },
  { run: 0.3 },
  { fault: { fault: 'heal' } },
  { fault: { fault: 'restart', host: 'server' } },
  { run: 0.4 },
  // back before the heal: the crash of the client drops the heal and the restart
  { seek: 30 },
  { fault: { fault: 'crash', host: 'client' } },
  { run: 0.3 },
];
