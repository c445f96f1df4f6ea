// TLS between simulated hosts, in Chromium: the same cases as in Node, with the certificates
// the globalSetup made in Node (provide/inject).
import { describe, inject } from 'vitest';
import * as sim from 'evloop/sim';
import { simTlsCases } from '../shared/sim-tls.cases.js';

describe('TLS in the simulation, in Chromium', () => simTlsCases(sim, inject('simTlsCerts')));
