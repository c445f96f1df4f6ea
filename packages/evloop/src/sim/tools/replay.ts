// Replaying a trace file: the program runs again on the file's options with
// every random draw served from the file's decisions (no seed needed), the
// file's faults scheduled, and its records compared with the new ones. A
// change of the program or of the build shows as the first record that
// differs. Browser-safe.
import type { Divergence, TraceRecord } from '../index.js';
import { runProgram } from './harness.js';
import type { ProgramModule } from './program.js';
import { firstDifference, formatRecord } from './records.js';
import { describeFailure, failureLine, parseTrace, type FailureInfo, type TraceFile } from './trace-file.js';

export interface ReplayReport {
  /** The first record that differs from the file's (null past an end), or null. */
  diverged: { index: number; expected: TraceRecord | null; actual: TraceRecord | null } | null;
  /** The first draw the file's decisions did not cover. */
  divergence: Divergence | null;
  failure: FailureInfo | null;
  expectedFailure: FailureInfo | null;
  /** The replay's own trace file. */
  trace: TraceFile;
}

/**
 * Re-runs `program` (a program module) from `traceFile` (an object or its
 * JSON text). Resolves `{ diverged, divergence, failure, expectedFailure, trace }`:
 * `diverged` is null when every record is the same, else `{ index, expected,
 * actual }` (a record is null past the end of its trace); `divergence` is the
 * simulation's own report of the first draw the file could not serve
 * (`sim.divergence()`); `failure`/`expectedFailure` what the program threw in
 * the replay and in the file; `trace` the replay's trace file.
 */
export async function replay(traceFile: TraceFile | string, program: ProgramModule): Promise<ReplayReport> {
  const expected = parseTrace(traceFile);
  const run = await runProgram(program, { replay: expected.decisions, options: expected.options, input: expected.input });
  const at = firstDifference(expected.records, run.trace.records);
  const diverged = at < 0 ? null : { index: at, expected: expected.records[at] ?? null, actual: run.trace.records[at] ?? null };
  return {
    diverged,
    divergence: run.divergence,
    failure: describeFailure(run.error) ?? null,
    expectedFailure: expected.failure ?? null,
    trace: run.trace,
  };
}

/** A text report of `replay()` for a terminal. */
export function renderReplay(report: ReplayReport): string {
  const lines: string[] = [];
  const d = report.diverged;
  if (d === null) {
    lines.push(`no divergence: ${report.trace.records.length} records, the same as the file`);
  } else {
    lines.push(`diverged at record ${d.index}:`, `  expected: ${formatRecord(d.expected)}`, `  actual:   ${formatRecord(d.actual)}`);
  }
  const v = report.divergence;
  if (v) lines.push(`first draw the file could not serve: stream ${v.stream}, draw ${v.index}, at event ${v.event}`);
  const [now, before] = [failureLine(report.failure), failureLine(report.expectedFailure)];
  lines.push(`failure: ${now}${now === before ? ' (as in the file)' : ` (in the file: ${before})`}`);
  return lines.join('\n');
}
