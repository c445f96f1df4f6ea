// Comparing trace records. Browser-safe.
import type { TraceRecord } from '../index.js';

/**
 * The value as JSON with object keys sorted: two records are the same event
 * when these strings are equal, whatever order a file's writer put the keys in.
 * Numbers keep JSON's shortest round-trip form, so times compare exactly.
 */
export function recordKey(record: unknown): string {
  if (record === null || typeof record !== 'object') return JSON.stringify(record ?? null);
  const obj = record as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${recordKey(obj[k])}`).join(',')}}`;
}

/** The index of the first record where two lists differ, or -1 when they are equal. */
export function firstDifference(a: readonly TraceRecord[], b: readonly TraceRecord[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (i >= a.length || i >= b.length || recordKey(a[i]) !== recordKey(b[i])) return i;
  }
  return -1;
}

/** One line for a record: `t=0.0123 server deliver from=client conn=1 msg=data`. */
export function formatRecord(record: TraceRecord | null | undefined): string {
  if (record === null || record === undefined) return '(end of trace)';
  const { t, host, kind, ...rest } = record;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [`t=${t}`, host === '' ? '(network)' : host, kind, ...fields].join(' ');
}
