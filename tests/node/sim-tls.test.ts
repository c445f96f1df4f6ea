// TLS between simulated hosts, in Node (the same cases run in Chromium).
import { describe, inject } from 'vitest';
import * as sim from 'evloop/sim';
import { simTlsCases } from '../shared/sim-tls.cases.js';

describe('TLS in the simulation, in Node', () => simTlsCases(sim, inject('simTlsCerts')));
