// The conformance suite (tests/shared/conformance) in Chromium: the case
// bodies on hosts of a Simulation from the browser entry of evloop/sim.
import { describe } from 'vitest';
import * as sim from 'evloop/sim';
import { registerConformance } from '../shared/conformance/register.js';
import { simKind } from '../shared/conformance/sim-kind.js';

const kind = simKind(sim, 1);
describe(`${kind.name} in Chromium`, () => registerConformance(kind));
