// asyncio's toolkit (issue 16) on a simulated host in Chromium, with the case bodies the Node
// suite runs (tests/shared/toolkit/). Browsers have no AsyncLocalStorage: the few cases that need
// the current task after its first step (`asyncContext: false`) are skipped here (docs/tasks.md).
import { describe } from 'vitest';
import * as sim from 'evloop/sim';
import { simEnv, simToolkitCases, toolkitCases } from '../shared/toolkit/index.js';

describe('toolkit on a simulated host in Chromium', () => toolkitCases(simEnv(sim, false), describe));
describe('toolkit under faults in a simulation in Chromium', () => simToolkitCases(sim, false));
