// The trace file: what a run needs to be replayed without its seed (the
// options and every random decision), what it was given (the workload and the
// faults), and what happened (the records). JSON, so that a file exported in
// the browser re-runs in Node. Browser-safe.
import type { Decisions, Simulation, SimulationOptionsJson, TraceRecord } from '../index.js';
import type { ProgramInput } from './program.js';
import { recordKey } from './records.js';

export const TRACE_FORMAT = 'evloop-sim-trace';
export const TRACE_VERSION = 1;

/** What a program threw, as a trace file keeps it. */
export interface FailureInfo {
  name: string;
  message: string;
}

/** A run, replayable without its seed. */
export interface TraceFile {
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  /** Informational: a replay does not use it. */
  seed?: number;
  options: SimulationOptionsJson | Record<string, unknown>;
  input: ProgramInput;
  decisions: Decisions;
  records: TraceRecord[];
  failure?: FailureInfo;
  /** Set by `shrink()`: the sizes before and after, and the runs it took. */
  shrink?: { from: { faults: number; workload: number }; to: { faults: number; workload: number }; runs: number };
}

/** A thrown value as the file keeps it: name and message (a stack would carry machine paths). */
export function describeFailure(error: unknown): FailureInfo | undefined {
  if (error === null || error === undefined) return undefined;
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: typeof error, message: String(error) };
}

/**
 * A failure (`describeFailure`'s shape) on one line, `none` without one: the
 * first line of the message, as a property's message may explain at length
 * and the trace file keeps all of it.
 */
export function failureLine(failure: FailureInfo | null | undefined): string {
  return failure ? `${failure.name}: ${failure.message.split('\n')[0]}` : 'none';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * `{ workload, faults, families, until? }` with defaults, as plain JSON.
 * `until` (`{ events }`) is kept when given: where a run driven step by step
 * stood when it was exported (the playground's), so its program stops there.
 */
export function normalizeInput(input: Partial<ProgramInput> | null | undefined): ProgramInput {
  const i = input ?? {};
  const out: ProgramInput = {
    workload: Array.isArray(i.workload) ? i.workload : [],
    faults: Array.isArray(i.faults) ? i.faults : [],
    families: Array.isArray(i.families) ? i.families : [],
  };
  if (isPlainObject(i.until)) out.until = i.until;
  return out;
}

/**
 * The trace file of a finished (or failed) run of `sim`, given `input`.
 * `extra.seed` is informational (a replay ignores it); `extra.failure` is the
 * value the program threw, if any; `extra.options` overrides `sim.options()`.
 */
export function exportTrace(
  sim: Simulation,
  input: Partial<ProgramInput>,
  extra: { seed?: number | undefined; failure?: unknown; options?: object | undefined } = {},
): TraceFile {
  const trace: TraceFile = {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    ...(extra.seed === undefined ? {} : { seed: extra.seed }),
    options: (extra.options as Record<string, unknown> | undefined) ?? sim.options(),
    input: normalizeInput(input),
    decisions: sim.decisions(),
    records: sim.trace(),
  };
  const failure = describeFailure(extra.failure);
  if (failure !== undefined) trace.failure = failure;
  return trace;
}

/** The problems of `input`, a would-be trace file's, reported with `bad`. */
function validateInput(input: Record<string, unknown>, bad: (path: string, what: string) => void): void {
  for (const key of ['workload', 'faults', 'families']) {
    if (!Array.isArray(input[key])) bad(`input.${key}`, 'expected an array');
  }
  const faults = input.faults;
  if (Array.isArray(faults)) {
    faults.forEach((f: unknown, i) => {
      if (!isPlainObject(f) || typeof f.fault !== 'string') bad(`input.faults[${i}]`, 'expected { at, fault, ... }');
      else if (typeof f.at !== 'number' || !(f.at >= 0)) bad(`input.faults[${i}].at`, 'expected a time >= 0');
    });
  }
  const until = input.until;
  if (until !== undefined && !(isPlainObject(until) && (until.events === undefined || (Number.isSafeInteger(until.events) && (until.events as number) >= 0)))) {
    bad('input.until', 'expected { events: an integer >= 0 }');
  }
}

/** The problems of a would-be trace file, as `path: what` strings (empty when valid). */
export function validateTrace(value: unknown): string[] {
  const problems: string[] = [];
  const bad = (path: string, what: string): void => {
    problems.push(`${path}: ${what}`);
  };
  if (!isPlainObject(value)) return ['trace: expected an object'];
  if (value.format !== TRACE_FORMAT) bad('format', `expected '${TRACE_FORMAT}', got ${JSON.stringify(value.format)}`);
  if (value.version !== TRACE_VERSION) bad('version', `expected ${TRACE_VERSION}, got ${JSON.stringify(value.version)}`);
  if (value.seed !== undefined && !Number.isSafeInteger(value.seed)) bad('seed', 'expected a safe integer');
  if (!isPlainObject(value.options)) bad('options', 'expected an object');
  else if ('seed' in value.options || 'replay' in value.options) bad('options', 'must not hold seed or replay');
  if (!isPlainObject(value.input)) bad('input', 'expected an object');
  else validateInput(value.input, bad);
  if (!isPlainObject(value.decisions)) bad('decisions', 'expected an object of streams');
  else {
    for (const [stream, draws] of Object.entries(value.decisions)) {
      if (!Array.isArray(draws) || !draws.every((x) => typeof x === 'number' && x >= 0 && x < 1)) {
        bad(`decisions[${JSON.stringify(stream)}]`, 'expected numbers in [0, 1)');
      }
    }
  }
  if (!Array.isArray(value.records)) bad('records', 'expected an array');
  else {
    value.records.forEach((r: unknown, i) => {
      if (!isPlainObject(r) || typeof r.t !== 'number' || typeof r.host !== 'string' || typeof r.kind !== 'string') {
        if (problems.length < 20) bad(`records[${i}]`, 'expected { t, host, kind, ... }');
      }
    });
  }
  if (value.failure !== undefined && (!isPlainObject(value.failure) || typeof value.failure.message !== 'string')) {
    bad('failure', 'expected { name, message }');
  }
  return problems;
}

/** Parses (JSON text, or an object as it is) and validates a trace file; throws a TypeError listing the problems. */
export function parseTrace(text: unknown): TraceFile {
  let value = text;
  if (typeof text === 'string') {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new TypeError(`not a trace file: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const problems = validateTrace(value);
  if (problems.length > 0) throw new TypeError(`not a valid trace file:\n  ${problems.join('\n  ')}`);
  return value as TraceFile;
}

/**
 * The file's text: the header fields on their own lines and one record per
 * line, so that text diffs of two files line up with the events.
 */
export function stringifyTrace(trace: TraceFile): string {
  const lines = ['{'];
  const entries = Object.entries(trace).filter(([k]) => k !== 'records');
  for (const [key, value] of entries) lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)},`);
  const records: unknown[] = trace.records ?? [];
  lines.push(`  "records": [${records.length === 0 ? ']' : ''}`);
  records.forEach((r, i) => lines.push(`    ${JSON.stringify(r)}${i + 1 < records.length ? ',' : ''}`));
  if (records.length > 0) lines.push('  ]');
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Whether two trace files hold the same records. */
export function sameRecords(a: TraceFile, b: TraceFile): boolean {
  if (a.records.length !== b.records.length) return false;
  return a.records.every((r, i) => recordKey(r) === recordKey(b.records[i]));
}
