// Signals and executors on simulated hosts, in Chromium: the same cases as in Node.
import { describe } from 'vitest';
import * as sim from 'evloop/sim';
import { simSignalExecutorCases } from '../shared/sim-signals-executor.cases.js';

describe('simulated signals and executors in Chromium', () => simSignalExecutorCases(sim));
