// Comparing two traces: two seeds of one program, or one seed on two builds.
// Aligned per host, because a change on one host shifts the interleaving of
// every record after it in the global order while other hosts' own sequences
// may well stay the same. Browser-safe (the playground uses it).
import type { TraceRecord } from '../index.js';
import { formatRecord, recordKey } from './records.js';
import type { TraceFile } from './trace-file.js';

const DEFAULT_CONTEXT = 3;

export interface IndexedRecord {
  /** The record's index in its whole trace. */
  index: number;
  record: TraceRecord;
}

export interface HostDivergence {
  host: string;
  /** The position in the host's own sequence of records. */
  position: number;
  a: IndexedRecord | null;
  b: IndexedRecord | null;
  context: { a: IndexedRecord[]; b: IndexedRecord[] };
}

export interface TraceDiff {
  identical: boolean;
  lengths: { a: number; b: number };
  /** The first index where the traces differ (records null past an end), with context. */
  first: { index: number; a: IndexedRecord | null; b: IndexedRecord | null; context: { a: IndexedRecord[]; b: IndexedRecord[] } } | null;
  /** Per host: the first divergence of its own records, or null. */
  hosts: Record<string, HostDivergence | null>;
  /** The host divergence earliest in virtual time. */
  time: HostDivergence | null;
}

function recordsOf(trace: unknown, which: string): TraceRecord[] {
  if (Array.isArray(trace)) return trace as TraceRecord[];
  if (trace !== null && typeof trace === 'object' && Array.isArray((trace as { records?: unknown }).records)) {
    return (trace as TraceFile).records;
  }
  throw new TypeError(`diffTraces(): ${which} must be a trace file or an array of records`);
}

/** The entries within `context` of position `at`. */
function window(entries: IndexedRecord[], at: number, context: number): IndexedRecord[] {
  return entries.slice(Math.max(0, at - context), at + context + 1);
}

/** The first position where two lists of `{ index, record }` differ, or -1. */
function firstDifferent(a: IndexedRecord[], b: IndexedRecord[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (i >= a.length || i >= b.length || recordKey(a[i]?.record) !== recordKey(b[i]?.record)) return i;
  }
  return -1;
}

/** Records of each host, in order, with their global index. */
function byHost(records: TraceRecord[]): Map<string, IndexedRecord[]> {
  const hosts = new Map<string, IndexedRecord[]>();
  records.forEach((record, index) => {
    const host = record?.host ?? '';
    let list = hosts.get(host);
    if (list === undefined) hosts.set(host, (list = []));
    list.push({ index, record });
  });
  return hosts;
}

function divergenceAt(a: IndexedRecord[], b: IndexedRecord[], position: number, context: number): Omit<HostDivergence, 'host'> {
  return {
    position,
    a: a[position] ?? null,
    b: b[position] ?? null,
    context: { a: window(a, position, context), b: window(b, position, context) },
  };
}

/** The earlier of a divergence's two records' times (Infinity when both sides ended). */
const timeOf = (d: HostDivergence): number => Math.min(d.a?.record.t ?? Infinity, d.b?.record.t ?? Infinity);

/**
 * Compares two traces (trace files or record arrays).
 * `first`: the first record, in the global order, where they differ (null when
 * identical), with `context` records either side in each. `hosts[name]`: the
 * first divergence of that host's own sequence of records (null when the host
 * did the same things in both), with positions in the host's sequence and the
 * records' global indices. `time`: the divergence that happens earliest in
 * virtual time among the hosts' (null when identical).
 */
export function diffTraces(a: TraceFile | TraceRecord[], b: TraceFile | TraceRecord[], options: { context?: number | undefined } = {}): TraceDiff {
  const context = options.context ?? DEFAULT_CONTEXT;
  if (!Number.isInteger(context) || context < 0) throw new RangeError(`diffTraces(): context must be an integer >= 0, got ${context}`);
  const ra = recordsOf(a, 'a');
  const rb = recordsOf(b, 'b');
  const wrap = (records: TraceRecord[]): IndexedRecord[] => records.map((record, index) => ({ index, record }));
  const all = { a: wrap(ra), b: wrap(rb) };
  const at = firstDifferent(all.a, all.b);
  let first: TraceDiff['first'] = null;
  if (at >= 0) {
    const { a: ea, b: eb, context: around } = divergenceAt(all.a, all.b, at, context);
    first = { index: at, a: ea, b: eb, context: around };
  }

  const ha = byHost(ra);
  const hb = byHost(rb);
  const names = [...ha.keys(), ...[...hb.keys()].filter((h) => !ha.has(h))];
  const hosts: Record<string, HostDivergence | null> = {};
  let time: HostDivergence | null = null;
  for (const name of names) {
    const la = ha.get(name) ?? [];
    const lb = hb.get(name) ?? [];
    const p = firstDifferent(la, lb);
    if (p < 0) {
      hosts[name] = null;
      continue;
    }
    const d: HostDivergence = { host: name, ...divergenceAt(la, lb, p, context) };
    hosts[name] = d;
    if (time === null || timeOf(d) < timeOf(time)) time = d;
  }
  return { identical: first === null, lengths: { a: ra.length, b: rb.length }, first, hosts, time };
}

function side(label: string, entry: IndexedRecord | null): string {
  return entry === null ? `${label}: (end of trace)` : `${label}[${entry.index}]: ${formatRecord(entry.record)}`;
}

function contextLines(label: string, entries: IndexedRecord[], mark: number): string[] {
  return entries.map((e) => `${e.index === mark ? '>' : ' '} ${label}[${e.index}] ${formatRecord(e.record)}`);
}

/** A text report of `diffTraces(a, b)` for a terminal. `labels` name the two traces (default a, b). */
export function renderDiff(report: TraceDiff, options: { labels?: [string, string] } = {}): string {
  const [la, lb] = options.labels ?? ['a', 'b'];
  const f = report.first;
  if (report.identical || f === null) return `identical: ${report.lengths.a} records`;
  const out: string[] = [];
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
