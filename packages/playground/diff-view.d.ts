// Types of diff-view.js (for the type-checked tests).
import type { TraceRecord } from 'evloop/sim';

/** One side of a diff: `{ index, record }` of a record, or null past the end of its trace. */
export interface DiffEntry {
  index: number;
  record: TraceRecord;
}

/** What the playground reads of a `diffTraces` report (evloop/sim's tools). */
export interface DiffReport {
  identical: boolean;
  lengths: { a: number; b: number };
  first: null | { index: number; a: DiffEntry | null; b: DiffEntry | null };
  hosts: Record<string, null | { host: string; position: number; a: DiffEntry | null; b: DiffEntry | null }>;
  time: unknown;
}

export interface DiffSide {
  label: string;
  records: TraceRecord[];
}

export declare function diffHosts(hosts: string[], a: TraceRecord[], b: TraceRecord[]): string[];
export declare function describeDiff(report: DiffReport, labels: [string, string]): string;
export declare function renderDiff(
  root: HTMLElement,
  view: { a: DiffSide; b: DiffSide; hosts: string[]; report: DiffReport; width?: number },
): HTMLElement;
