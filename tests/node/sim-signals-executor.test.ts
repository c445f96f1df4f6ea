// Signals and executors on simulated hosts, in Node (the same cases run in Chromium).
import { describe } from 'vitest';
import * as sim from 'evloop/sim';
import { simSignalExecutorCases } from '../shared/sim-signals-executor.cases.js';

describe('simulated signals and executors in Node', () => simSignalExecutorCases(sim));
