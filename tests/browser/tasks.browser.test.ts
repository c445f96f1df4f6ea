// asyncio's task semantics on a simulated host in Chromium, where there is no async context: the
// same case bodies as Node's, with the fallback's expectations (docs/tasks.md, "Browsers").
import { describe } from 'vitest';
import * as sim from 'evloop/sim';
import { type Loop, type TaskEnv, type TaskLib, taskSemanticsCases } from '../shared/tasks-semantics.cases.js';

const env: TaskEnv = {
  lib: sim as unknown as TaskLib,
  asyncContext: false,
  async run<T>(main: (loop: Loop) => Promise<T>): Promise<T> {
    const s = new sim.Simulation({ seed: 3 });
    const host = s.host('main');
    try {
      return await s.runUntilComplete(host.createTask(() => main(host as unknown as Loop)));
    } finally {
      s.close();
    }
  },
};

describe('tasks on a simulated host in Chromium', () => taskSemanticsCases(env));
