// Comparing two traces: two seeds of one program, or one seed on two builds.
// Aligned per host, because a change on one host shifts the interleaving of
// every record after it in the global order while other hosts' own sequences
// may well stay the same. Browser-safe (the playground uses it).

import { formatRecord, recordKey } from './records.js';

const DEFAULT_CONTEXT = 3;

function recordsOf(trace, which) {
  if (Array.isArray(trace)) return trace;
  if (trace !== null && typeof trace === 'object' && Array.isArray(trace.records)) return trace.records;
  throw new TypeError(`diffTraces(): ${which} must be a trace file or an array of records`);
}

/** `{ index, record }` for entries[from, to) of a list of `{ index, record }`. */
function window(entries, at, context) {
  return entries.slice(Math.max(0, at - context), at + context + 1);
}

/** The first position where two lists of `{ index, record }` differ, or -1. */
function firstDifferent(a, b) {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (i >= a.length || i >= b.length || recordKey(a[i].record) !== recordKey(b[i].record)) return i;
  }
  return -1;
}

/** Records of each host, in order, with their global index. */
function byHost(records) {
  const hosts = new Map();
  records.forEach((record, index) => {
    const host = record?.host ?? '';
    if (!hosts.has(host)) hosts.set(host, []);
    hosts.get(host).push({ index, record });
  });
  return hosts;
}

function divergenceAt(a, b, position, context) {
  return {
    position,
    a: a[position] ?? null,
    b: b[position] ?? null,
    context: { a: window(a, position, context), b: window(b, position, context) },
  };
}

/**
 * Compares two traces (trace files or record arrays).
 * `first`: the first record, in the global order, where they differ (null when
 * identical), with `context` records either side in each. `hosts[name]`: the
 * first divergence of that host's own sequence of records (null when the host
 * did the same things in both), with positions in the host's sequence and the
 * records' global indices. `time`: the divergence that happens earliest in
 * virtual time among the hosts' (null when identical).
 */
export function diffTraces(a, b, options = {}) {
  const context = options.context ?? DEFAULT_CONTEXT;
  if (!Number.isInteger(context) || context < 0) throw new RangeError(`diffTraces(): context must be an integer >= 0, got ${context}`);
  const ra = recordsOf(a, 'a');
  const rb = recordsOf(b, 'b');
  const wrap = (records) => records.map((record, index) => ({ index, record }));
  const all = { a: wrap(ra), b: wrap(rb) };
  const at = firstDifferent(all.a, all.b);
  const first = at < 0 ? null : { index: at, ...divergenceAt(all.a, all.b, at, context) };
  if (first !== null) delete first.position;

  const ha = byHost(ra);
  const hb = byHost(rb);
  const names = [...ha.keys(), ...[...hb.keys()].filter((h) => !ha.has(h))];
  const hosts = {};
  let time = null;
  for (const name of names) {
    const la = ha.get(name) ?? [];
    const lb = hb.get(name) ?? [];
    const p = firstDifferent(la, lb);
    if (p < 0) {
      hosts[name] = null;
      continue;
    }
    const d = { host: name, ...divergenceAt(la, lb, p, context) };
    hosts[name] = d;
    const t = Math.min(d.a?.record.t ?? Infinity, d.b?.record.t ?? Infinity);
    const tBest = time === null ? Infinity : Math.min(time.a?.record.t ?? Infinity, time.b?.record.t ?? Infinity);
    if (time === null || t < tBest) time = d;
  }
  return { identical: first === null, lengths: { a: ra.length, b: rb.length }, first, hosts, time };
}

function side(label, entry) {
  return entry === null ? `${label}: (end of trace)` : `${label}[${entry.index}]: ${formatRecord(entry.record)}`;
}

function contextLines(label, entries, mark) {
  return entries.map((e) => `${e.index === mark ? '>' : ' '} ${label}[${e.index}] ${formatRecord(e.record)}`);
}

/** A text report of `diffTraces(a, b)` for a terminal. `labels` name the two traces (default a, b). */
export function renderDiff(report, options = {}) {
  const [la, lb] = options.labels ?? ['a', 'b'];
  const out = [];
  if (report.identical) {
    out.push(`identical: ${report.lengths.a} records`);
    return out.join('\n');
  }
  const f = report.first;
  out.push(`traces differ (${la}: ${report.lengths.a} records, ${lb}: ${report.lengths.b}); first at record ${f.index}:`);
  out.push(`  ${side(la, f.a)}`, `  ${side(lb, f.b)}`);
  out.push('', `context in ${la}:`, ...contextLines(la, f.context.a, f.index).map((l) => `  ${l}`));
  out.push(`context in ${lb}:`, ...contextLines(lb, f.context.b, f.index).map((l) => `  ${l}`));
  out.push('', 'per host:');
  for (const [host, d] of Object.entries(report.hosts)) {
    const name = host === '' ? '(network)' : host;
    if (d === null) {
      out.push(`  ${name}: same`);
      continue;
    }
    const star = report.time === d ? ' (earliest in virtual time)' : '';
    out.push(`  ${name}: differs at its record ${d.position}${star}`);
    out.push(`    ${side(la, d.a)}`, `    ${side(lb, d.b)}`);
  }
  return out.join('\n');
}
