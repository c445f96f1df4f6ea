// Shrinking a failing run: delta debugging over the fault schedule, then over
// the workload, each candidate run on the original seed, keeping only those
// that fail the same way; the minimum is run twice more and must give the same
// trace both times before it is returned as a replayable trace file.
// Browser-safe.
import { ddmin } from './ddmin.js';
import { planInput, runProgram, type ProgramRun } from './harness.js';
import type { ProgramInput, ProgramModule } from './program.js';
import { sameRecords, type TraceFile } from './trace-file.js';

export interface ShrinkOptions {
  program: ProgramModule;
  /** The failing seed; candidates all run on it. */
  seed: number;
  /** The failing input (default: the seed's plan). */
  input?: ProgramInput | undefined;
  swarm?: boolean;
  families?: string[] | undefined;
  /** Whether a candidate's error is the same failure (default: same `name`). */
  matches?: (error: unknown, original: unknown) => boolean;
  onRun?: (run: { phase: 'faults' | 'workload'; size: number; failed: boolean; runs: number }) => void;
}

/** The name of a thrown value, if it has one. */
const nameOf = (error: unknown): unknown => (error !== null && typeof error === 'object' ? (error as { name?: unknown }).name : undefined);

/** The default "same failure": the thrown error's name (an Error subclass per property). */
const sameName = (error: unknown, original: unknown): boolean => nameOf(error) === nameOf(original);

/**
 * `program` a program module, `seed` a failing seed. The starting input is
 * `input` (for instance a sweep failure's `trace.input`), else the seed's plan
 * (`swarm`/`families` as for sweep). `matches(error, original)` decides that a
 * candidate fails the same way (default: same error name). `onRun({ phase,
 * size, failed, runs })` is told of each run. Resolves the minimal run's trace
 * file, with `shrink: { from, to, runs }` (sizes of faults and workload).
 */
export async function shrink(options: ShrinkOptions): Promise<TraceFile & { shrink: NonNullable<TraceFile['shrink']> }> {
  const { program, seed, swarm = false, families, matches = sameName, onRun } = options ?? ({} as Partial<ShrinkOptions>);
  if (!Number.isSafeInteger(seed)) throw new TypeError(`shrink(): seed must be a safe integer, got ${seed}`);
  const start = options.input ?? (await planInput(program, seed, { swarm, families }));
  let runs = 0;
  const run = async (input: ProgramInput): Promise<ProgramRun> => {
    runs += 1;
    return runProgram(program, { seed, input });
  };
  const first = await run(start);
  if (first.error === null) throw new Error(`shrink(): seed ${seed} does not fail with this input: nothing to shrink`);
  const original = first.error;
  const failsWith = (phase: 'faults' | 'workload') => async (input: ProgramInput, size: number): Promise<boolean> => {
    const r = await run(input);
    const failed = r.error !== null && Boolean(matches(r.error, original));
    onRun?.({ phase, size, failed, runs });
    return failed;
  };

  const byFaults = failsWith('faults');
  const faults = await ddmin(start.faults, (f) => byFaults({ ...start, faults: f }, f.length));
  const byWorkload = failsWith('workload');
  const workload = await ddmin(start.workload, (w) => byWorkload({ ...start, faults, workload: w }, w.length));
  const minimal = { ...start, faults, workload };

  const a = await run(minimal);
  const b = await run(minimal);
  if (a.error === null || b.error === null || !matches(a.error, original) || !matches(b.error, original) || !sameRecords(a.trace, b.trace)) {
    throw new Error('shrink(): the minimal run did not fail the same way twice with the same trace: is the program deterministic?');
  }
  return {
    ...a.trace,
    shrink: {
      from: { faults: start.faults.length, workload: start.workload.length },
      to: { faults: faults.length, workload: workload.length },
      runs,
    },
  };
}
