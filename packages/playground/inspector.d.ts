// Types of inspector.js (for the type-checked tests).
import type { TraceRecord } from 'evloop/sim';
import type { Action, HostState } from './seek.js';

export declare function formatRecord(r: TraceRecord | null | undefined): string;

export declare function renderInspector(
  root: HTMLElement,
  view: {
    event: number;
    horizon: number;
    now: number;
    hosts: string[];
    states: Record<string, HostState> | null;
    records: TraceRecord[];
    selected: number[];
    actions?: Action[];
    applied?: number;
  },
): HTMLElement;
