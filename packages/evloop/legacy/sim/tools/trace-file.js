// The trace file: what a run needs to be replayed without its seed (the
// options and every random decision), what it was given (the workload and the
// faults), and what happened (the records). JSON, so that a file exported in
// the browser re-runs in Node. Browser-safe.

import { recordKey } from './records.js';

export const TRACE_FORMAT = 'evloop-sim-trace';
export const TRACE_VERSION = 1;

/** A thrown value as the file keeps it: name and message (a stack would carry machine paths). */
export function describeFailure(error) {
  if (error === null || error === undefined) return undefined;
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: typeof error, message: String(error) };
}

/**
 * A failure (`describeFailure`'s shape) on one line, `none` without one: the
 * first line of the message, as a property's message may explain at length
 * and the trace file keeps all of it.
 */
export function failureLine(failure) {
  return failure ? `${failure.name}: ${failure.message.split('\n')[0]}` : 'none';
}

/**
 * `{ workload, faults, families, until? }` with defaults, as plain JSON.
 * `until` (`{ events }`) is kept when given: where a run driven step by step
 * stood when it was exported (the playground's), so its program stops there.
 */
export function normalizeInput(input) {
  const i = input ?? {};
  const out = {
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
export function exportTrace(sim, input, extra = {}) {
  const trace = {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    ...(extra.seed === undefined ? {} : { seed: extra.seed }),
    options: extra.options ?? sim.options(),
    input: normalizeInput(input),
    decisions: sim.decisions(),
    records: sim.trace(),
  };
  const failure = describeFailure(extra.failure);
  if (failure !== undefined) trace.failure = failure;
  return trace;
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The problems of a would-be trace file, as `path: what` strings (empty when valid). */
export function validateTrace(value) {
  const problems = [];
  const bad = (path, what) => problems.push(`${path}: ${what}`);
  if (!isPlainObject(value)) return ['trace: expected an object'];
  if (value.format !== TRACE_FORMAT) bad('format', `expected '${TRACE_FORMAT}', got ${JSON.stringify(value.format)}`);
  if (value.version !== TRACE_VERSION) bad('version', `expected ${TRACE_VERSION}, got ${JSON.stringify(value.version)}`);
  if (value.seed !== undefined && !Number.isSafeInteger(value.seed)) bad('seed', 'expected a safe integer');
  if (!isPlainObject(value.options)) bad('options', 'expected an object');
  else if ('seed' in value.options || 'replay' in value.options) bad('options', 'must not hold seed or replay');
  if (!isPlainObject(value.input)) bad('input', 'expected an object');
  else {
    for (const key of ['workload', 'faults', 'families']) {
      if (!Array.isArray(value.input[key])) bad(`input.${key}`, 'expected an array');
    }
    if (Array.isArray(value.input.faults)) {
      value.input.faults.forEach((f, i) => {
        if (!isPlainObject(f) || typeof f.fault !== 'string') bad(`input.faults[${i}]`, 'expected { at, fault, ... }');
        else if (typeof f.at !== 'number' || !(f.at >= 0)) bad(`input.faults[${i}].at`, 'expected a time >= 0');
      });
    }
    const until = value.input.until;
    if (until !== undefined && !(isPlainObject(until) && (until.events === undefined || (Number.isSafeInteger(until.events) && until.events >= 0)))) {
      bad('input.until', 'expected { events: an integer >= 0 }');
    }
  }
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
    value.records.forEach((r, i) => {
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

/** Parses (a string) and validates a trace file; throws a TypeError listing the problems. */
export function parseTrace(text) {
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
  return value;
}

/**
 * The file's text: the header fields on their own lines and one record per
 * line, so that text diffs of two files line up with the events.
 */
export function stringifyTrace(trace) {
  const lines = ['{'];
  const entries = Object.entries(trace).filter(([k]) => k !== 'records');
  for (const [key, value] of entries) lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)},`);
  const records = trace.records ?? [];
  lines.push(`  "records": [${records.length === 0 ? ']' : ''}`);
  records.forEach((r, i) => lines.push(`    ${JSON.stringify(r)}${i + 1 < records.length ? ',' : ''}`));
  if (records.length > 0) lines.push('  ]');
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Whether two trace files hold the same records. */
export function sameRecords(a, b) {
  if (a.records.length !== b.records.length) return false;
  return a.records.every((r, i) => recordKey(r) === recordKey(b.records[i]));
}
