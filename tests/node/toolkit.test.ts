// asyncio's toolkit (issue 16) on a Node loop and on a simulated host, one set of case bodies
// (tests/shared/toolkit/).
import { describe, expect, it } from 'vitest';
import * as evloop from 'evloop';
import * as sim from 'evloop/sim';
import { simEnv, simToolkitCases, toolkitCases } from '../shared/toolkit/index.js';
import type { Env, Lib, Loop } from '../shared/toolkit/env.js';

const nodeEnv: Env = {
  lib: evloop as unknown as Lib,
  asyncContext: true,
  run: <T>(main: (loop: Loop) => Promise<T>) => evloop.run(async (loop) => main(loop as unknown as Loop)),
};

describe('toolkit on a Node loop', () => toolkitCases(nodeEnv, describe));
describe('toolkit on a simulated host', () => toolkitCases(simEnv(sim, true), describe));
describe('toolkit under faults in a simulation', () => simToolkitCases(sim, true));

describe('one toolkit for both entries', () => {
  it('"evloop" and "evloop/sim" export the very same classes and functions', () => {
    for (const name of ['sleep', 'waitFor', 'timeout', 'gather', 'TaskGroup', 'Queue', 'Lock', 'Barrier', 'QueueShutDown', 'ExceptionGroup'] as const) {
      expect(sim[name]).toBe((evloop as unknown as Lib)[name]);
    }
  });
});
