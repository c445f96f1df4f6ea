// A constructible StreamReader (issue 16) on a simulated host in Chromium: the shared cases
// (tests/shared/stream-reader.cases.ts) the Node suite runs.
import { describe } from 'vitest';
import * as sim from 'evloop/sim';
import { type Loop, type ReaderEnv, type ReaderLib, streamReaderCases } from '../shared/stream-reader.cases.js';

const env: ReaderEnv = {
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

describe('StreamReader on a simulated host in Chromium', () => streamReaderCases(env));
