// Replaying a trace file: the program runs again on the file's options with
// every random draw served from the file's decisions (no seed needed), the
// file's faults scheduled, and its records compared with the new ones. A
// change of the program or of the build shows as the first record that
// differs. Browser-safe.

import { runProgram } from './harness.js';
import { firstDifference, formatRecord } from './records.js';
import { describeFailure, failureLine, parseTrace } from './trace-file.js';

/**
 * Re-runs `program` (a program module) from `traceFile` (an object or its
 * JSON text). Resolves `{ diverged, divergence, failure, expectedFailure, trace }`:
 * `diverged` is null when every record is the same, else `{ index, expected,
 * actual }` (a record is null past the end of its trace); `divergence` is the
 * simulation's own report of the first draw the file could not serve
 * (`sim.divergence()`); `failure`/`expectedFailure` what the program threw in
 * the replay and in the file; `trace` the replay's trace file.
 */
export async function replay(traceFile, program) {
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
export function renderReplay(report) {
  const lines = [];
  if (report.diverged === null) {
    lines.push(`no divergence: ${report.trace.records.length} records, the same as the file`);
  } else {
    const d = report.diverged;
    lines.push(`diverged at record ${d.index}:`, `  expected: ${formatRecord(d.expected)}`, `  actual:   ${formatRecord(d.actual)}`);
  }
  if (report.divergence) {
    const v = report.divergence;
    lines.push(`first draw the file could not serve: stream ${v.stream}, draw ${v.index}, at event ${v.event}`);
  }
  const [now, before] = [failureLine(report.failure), failureLine(report.expectedFailure)];
  lines.push(`failure: ${now}${now === before ? ' (as in the file)' : ` (in the file: ${before})`}`);
  return lines.join('\n');
}
