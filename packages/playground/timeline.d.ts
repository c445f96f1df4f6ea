// Types of timeline.js (for the type-checked tests).
import type { TraceRecord } from 'evloop/sim';

export interface TimelineModel {
  width: number;
  height: number;
  margin: number;
  laneHeight: number;
  span: number;
  hosts: string[];
  calls: { x: number; y: number; host: string; t: number; name: string }[];
  arrows: { x1: number; y1: number; x2: number; y2: number; from: string; to: string; msg: string; t: number }[];
  drops: { x1: number; y1: number; x2: number; y2: number; from: string; to: string; msg: string; t: number; cause: string }[];
  faults: { x: number; y: number; height: number; fault: string; host: string; t: number }[];
  ticks: { t: number; x: number }[];
}

export declare function layout(
  trace: TraceRecord[],
  hosts: string[],
  options?: { width?: number; laneHeight?: number; margin?: number; end?: number },
): TimelineModel;

export declare function drawTimeline(svg: SVGSVGElement, model: TimelineModel): SVGSVGElement;
