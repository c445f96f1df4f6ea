// The simulation's power tools in Chromium: the same cases as in Node.
import { describe } from 'vitest';
import * as sim from 'evloop/sim';
import { simReplayCases } from '../shared/sim-replay.cases.js';

describe('Simulation power tools in Chromium', () => simReplayCases(sim));
