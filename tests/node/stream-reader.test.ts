// A constructible StreamReader (issue 16) on Node loops and on a simulated host under Node: the
// shared cases (tests/shared/stream-reader.cases.ts).
import { describe } from 'vitest';
import * as evloop from 'evloop';
import * as sim from 'evloop/sim';
import { type Loop, type ReaderEnv, type ReaderLib, streamReaderCases } from '../shared/stream-reader.cases.js';
import { LOOPS, makeLoop } from './loop-helpers.js';

function nodeEnv(selector: string): ReaderEnv {
  return {
    lib: evloop as unknown as ReaderLib,
    async run<T>(main: (loop: Loop) => Promise<T>): Promise<T> {
      const loop = makeLoop(selector as never);
      try {
        return await loop.runUntilComplete(loop.createTask(() => main(loop as unknown as Loop)));
      } finally {
        loop.close();
      }
    },
  };
}

function simEnv(): ReaderEnv {
  return {
    lib: sim as unknown as ReaderLib,
    async run<T>(main: (loop: Loop) => Promise<T>): Promise<T> {
      const s = new sim.Simulation({ seed: 5 });
      const host = s.host('main');
      try {
        return await s.runUntilComplete(host.createTask(() => main(host)));
      } finally {
        s.close();
      }
    },
  };
}

for (const selector of LOOPS) {
  describe(`StreamReader on loop ${selector}`, () => streamReaderCases(nodeEnv(selector)));
}
describe('StreamReader on a simulated host', () => streamReaderCases(simEnv()));
