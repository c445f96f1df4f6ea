// The wasm SimLoop in Node ("evloop/sim" resolves to the Node entry: initSync from the file).
import { describe } from 'vitest';
import * as sim from 'evloop/sim';
import { simLoopCases } from '../shared/sim-loop.cases.js';

describe('evloop/sim in Node', () => simLoopCases(sim));
