// The conformance suite (tests/shared/conformance) in Node: the same case
// bodies on SelectorEventLoop over epoll, poll and select, on the io_uring
// ProactorEventLoop, and on hosts of a Simulation (evloop/sim).
// EVLOOP_CONF_SEED=<n> picks the simulation's seed (it is in the test names).
import { describe } from 'vitest';
import { registerConformance } from '../shared/conformance/register.js';
import { conformanceKinds } from './conformance-kinds.js';

for (const kind of conformanceKinds()) {
  describe(kind.name, () => registerConformance(kind));
}
