// Helpers for the simulation tools' tests: the sample programs of
// tests/sim-programs, loaded by URL (plain .mjs modules, typed here).
import { fileURLToPath } from 'node:url';
import type { ProgramModule } from 'evloop/sim/tools';

/** The evloop-sim command's file, as the package builds it. */
export const cliBin = fileURLToPath(new URL('../../packages/evloop/dist/node/bin/evloop-sim.js', import.meta.url));

export const programsDir = new URL('../sim-programs/', import.meta.url);

export function programUrl(name: string): URL {
  return new URL(`${name}.mjs`, programsDir);
}

export async function loadSample(name: string): Promise<ProgramModule & Record<string, unknown>> {
  return (await import(programUrl(name).href)) as ProgramModule & Record<string, unknown>;
}
