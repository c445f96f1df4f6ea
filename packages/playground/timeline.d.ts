// Types of timeline.js (for the type-checked tests).
import type { TraceRecord } from 'evloop/sim';

export interface TimelineModel {
  width: number;
  height: number;
  margin: number;
  laneHeight: number;
  span: number;
  hosts: string[];
  /** Each shape keeps `index`, the position of its record in the trace. */
  calls: { x: number; y: number; host: string; t: number; name: string; index: number }[];
  arrows: { x1: number; y1: number; x2: number; y2: number; from: string; to: string; msg: string; t: number; index: number; sendIndex: number }[];
  drops: { x1: number; y1: number; x2: number; y2: number; from: string; to: string; msg: string; t: number; cause: string; index: number; sendIndex: number }[];
  faults: { x: number; y: number; height: number; fault: string; host: string; t: number; index: number }[];
  /** Sends not yet delivered or dropped. */
  inflight: { x1: number; y1: number; x2: number; y2: number; from: string; to: string; msg: string; t: number; index: number }[];
  /** Where each record sits (for the highlight rings), by trace index. */
  records: { x: number; y: number; index: number }[];
  ticks: { t: number; x: number }[];
  /** x of `now`, when given. */
  cursor?: number;
}

export declare function layout(
  trace: TraceRecord[],
  hosts: string[],
  options?: { width?: number; laneHeight?: number; margin?: number; end?: number; now?: number },
): TimelineModel;

export declare function drawTimeline(
  svg: SVGSVGElement,
  model: TimelineModel,
  options?: { highlight?: Iterable<number>; highlightClass?: string; ghost?: TimelineModel },
): SVGSVGElement;
