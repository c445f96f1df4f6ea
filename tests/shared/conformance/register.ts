// Registers every conformance case on one loop kind. A case that cannot
// apply to the kind is registered with it.skip and a name that says why.
import { it } from 'vitest';
import type { Capability, LoopKind } from './kit.js';
import { cancelCases } from './cancel.cases.js';
import { futureCases } from './futures.cases.js';
import { loopCases } from './loop.cases.js';
import { netCases } from './net.cases.js';
import { serverCases } from './server.cases.js';
import { streamCases } from './streams.cases.js';
import { timerCases } from './timers.cases.js';

/** One case: a name, what it needs beyond the common interface, and its body. */
export interface Case {
  name: string;
  needs?: Capability[];
  /** Real time a kind may need (ms; vitest's timeout). */
  timeoutMs?: number;
  run(kind: LoopKind): Promise<void>;
}

export const allCases = (): Case[] => [...loopCases, ...timerCases, ...futureCases, ...netCases, ...serverCases, ...streamCases, ...cancelCases];

export function registerConformance(kind: LoopKind): void {
  for (const c of allCases()) {
    if (kind.unavailable !== null) {
      it.skip(`${c.name} (skipped on ${kind.name}: ${kind.unavailable})`, () => {});
      continue;
    }
    const missing = (c.needs ?? []).find((cap) => kind.lacks[cap] !== undefined);
    if (missing !== undefined) {
      it.skip(`${c.name} (skipped on ${kind.name}: ${kind.lacks[missing]})`, () => {});
      continue;
    }
    it(c.name, () => c.run(kind), c.timeoutMs ?? 15_000);
  }
}
