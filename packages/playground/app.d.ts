// Types of app.js (for the type-checked tests).
import type { Run, SimModule } from './scenarios.js';

export interface Playground {
  readonly container: HTMLDivElement;
  readonly svg: SVGSVGElement;
  readonly run: Run;
  /** Resolves once the first run is drawn. */
  ready: Promise<void>;
  reset(name?: string, seed?: number): Promise<void>;
  play(): void;
  pause(): void;
  runFor(seconds: number): Promise<void>;
  step(): Promise<void>;
  partition(): Promise<void>;
  heal(): Promise<void>;
  toggleCrash(host?: string): Promise<void>;
  /** Downloads the trace as JSON; returns the JSON. */
  exportTrace(): string;
  destroy(): void;
}

export declare function mount(root: HTMLElement, sim: SimModule): Playground;
