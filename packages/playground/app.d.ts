// Types of app.js (for the type-checked tests).
import type { DiffReport, DiffSide } from './diff-view.js';
import type { Run, SimModule } from './scenarios.js';
import type { Session } from './seek.js';

/** The browser-safe tools of evloop/sim the page uses (by default, from the module itself). */
export interface PlaygroundTools {
  diffTraces(a: unknown, b: unknown): DiffReport;
  parseTrace(text: string | object): { records: import('evloop/sim').TraceRecord[] };
  exportTrace(sim: import('evloop/sim').Simulation, input: object, extra?: { seed?: number }): object;
  stringifyTrace(trace: object): string;
}

export interface Playground {
  readonly container: HTMLDivElement;
  readonly svg: SVGSVGElement;
  readonly inspector: HTMLElement;
  readonly diffResult: HTMLElement;
  readonly run: Run;
  readonly session: Session;
  /** The last diff shown, or null. */
  readonly diff: { a: DiffSide; b: DiffSide; report: DiffReport } | null;
  /** Resolves once the first run is drawn. */
  ready: Promise<void>;
  reset(name?: string, seed?: number): Promise<void>;
  play(): void;
  pause(): void;
  /** Seeks to event `k` (re-runs from the start when `k` is behind the cursor). */
  seek(k: number): Promise<void>;
  /** Resolves once the calls queued so far (slider moves, clicks) are done. */
  idle(): Promise<void>;
  back(): Promise<void>;
  forward(): Promise<void>;
  runFor(seconds: number): Promise<void>;
  step(): Promise<void>;
  partition(): Promise<void>;
  heal(): Promise<void>;
  toggleCrash(host?: string): Promise<void>;
  compareSeed(seed?: number): Promise<DiffReport>;
  compareTrace(file: string | object, label?: string): Promise<DiffReport>;
  /** The trace file (evloop-sim-trace format) of the run at the cursor. */
  traceFile(): object;
  /** Downloads the trace file; returns its text. */
  exportTrace(): string;
  destroy(): void;
}

export declare function mount(root: HTMLElement, sim: SimModule, tools?: Partial<PlaygroundTools> | object): Playground;
