// Draws a simulation trace as an SVG timeline: one lane per host, virtual time on the x axis.
// `layout` is pure (trace -> shapes); `drawTimeline` turns the shapes into SVG elements.
// Every shape keeps the index of its trace record (`index`), so the inspector can highlight
// the records of the selected event and the diff view the first divergence.
import type { TraceRecord } from 'evloop/sim';

const SVG = 'http://www.w3.org/2000/svg';

/** A message from `from` to `to`: a delivery (an arrow), or a drop with its `cause`. */
export interface MessageShape {
  x1: number; y1: number; x2: number; y2: number;
  from: string; to: string; msg: string; t: number; index: number;
  /** The index of the message's send record (-1 when the trace does not hold it). */
  sendIndex: number;
}

export interface DropShape extends MessageShape {
  cause: string;
}

export interface TimelineModel {
  width: number;
  height: number;
  margin: number;
  laneHeight: number;
  span: number;
  hosts: string[];
  /** Each shape keeps `index`, the position of its record in the trace. */
  calls: { x: number; y: number; host: string; t: number; name: string; index: number }[];
  arrows: MessageShape[];
  drops: DropShape[];
  faults: { x: number; y: number; height: number; fault: string; host: string; t: number; index: number }[];
  /** Sends not yet delivered or dropped. */
  inflight: { x1: number; y1: number; x2: number; y2: number; from: string; to: string; msg: string; t: number; index: number }[];
  /** Where each record sits (for the highlight rings), by trace index. */
  records: { x: number; y: number; index: number }[];
  ticks: { t: number; x: number }[];
  /** x of `now`, when given. */
  cursor?: number;
}

export interface LayoutOptions {
  width?: number;
  laneHeight?: number;
  margin?: number;
  /** Only widens the axis: the playground keeps it at the furthest time reached, so seeking back does not rescale. */
  end?: number;
  /** Where the cursor line and the in-flight messages end. */
  now?: number;
}

/** A record's field as text (records hold strings, numbers, and arrays of host names). */
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** A field naming hosts (a name, or an array of names) as an array. */
const names = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

/** The identity of a message, the same on its send and on its deliver or drop. */
const messageKey = (from: string, to: string, r: TraceRecord): string => `${from}>${to}|${r.conn}|${r.msg}|${r.seq ?? ''}|${r.attempt ?? 0}`;

/**
 * Pairs the records of `trace` into marks: `calls` (callbacks), `arrows`
 * (send -> deliver), `drops` (send -> drop), `faults`, for the given hosts.
 */
export function layout(trace: TraceRecord[], hosts: string[], options: LayoutOptions = {}): TimelineModel {
  const { width = 960, laneHeight = 56, margin = 110, end, now } = options;
  const last = trace.length ? (trace[trace.length - 1] as TraceRecord).t : 0;
  const span = Math.max(end ?? 0, now ?? 0, last, 0.1);
  const plot = width - margin - 20;
  const x = (t: number): number => margin + (t / span) * plot;
  const lane = new Map(hosts.map((h, i) => [h, i]));
  const y = (host: string): number => 30 + (lane.get(host) ?? 0) * laneHeight + laneHeight / 2;
  const calls: TimelineModel['calls'] = [];
  const arrows: MessageShape[] = [];
  const drops: DropShape[] = [];
  const faults: TimelineModel['faults'] = [];
  const pending = new Map<string, { r: TraceRecord; index: number }[]>();
  const records: TimelineModel['records'] = [];
  trace.forEach((r, index) => {
    const record = { x: x(r.t), y: y(r.host), index };
    records.push(record);
    if (r.kind === 'call' && lane.has(r.host)) {
      calls.push({ x: x(r.t), y: y(r.host), host: r.host, t: r.t, name: r.name ?? '', index });
    } else if (r.kind === 'send') {
      const key = messageKey(r.host, str(r.to), r);
      const queue = pending.get(key) ?? [];
      queue.push({ r, index });
      pending.set(key, queue);
    } else if (r.kind === 'deliver' || r.kind === 'drop') {
      const from = str(r.from);
      const send = pending.get(messageKey(from, r.host, r))?.shift();
      const t0 = send ? send.r.t : r.t;
      const shape: DropShape = {
        x1: x(t0), y1: y(from), x2: x(r.t), y2: y(r.host),
        from, to: r.host, msg: str(r.msg), t: r.t, cause: str(r.cause), index, sendIndex: send ? send.index : -1,
      };
      (r.kind === 'deliver' ? arrows : drops).push(shape);
    } else if (r.kind === 'fault') {
      const involved = r.host ? [r.host] : [...names(r.a), ...names(r.b)].filter((h) => lane.has(h));
      // A host without a lane has no row: as before, its fault then spans nothing drawable.
      const rows = involved.length ? involved.map((h) => lane.get(h) ?? Number.NaN) : hosts.map((_, i) => i);
      const top = Math.min(...rows);
      const bottom = Math.max(...rows);
      faults.push({
        x: x(r.t), y: 30 + top * laneHeight, height: (bottom - top + 1) * laneHeight,
        fault: str(r.fault), host: r.host, t: r.t, index,
      });
      record.y = 30 + top * laneHeight + 6;
    }
  });
  // Messages still on the wire: dashed, from the send to the receiver's lane at `now`.
  const inflight: TimelineModel['inflight'] = [];
  for (const queue of pending.values()) {
    for (const { r, index } of queue) {
      const to = str(r.to);
      if (!lane.has(to)) continue;
      inflight.push({
        x1: x(r.t), y1: y(r.host), x2: x(Math.max(now ?? last, r.t)), y2: y(to), from: r.host, to, msg: str(r.msg), t: r.t, index,
      });
    }
  }
  inflight.sort((a, b) => a.index - b.index);
  const height = 30 + hosts.length * laneHeight + 24;
  const ticks: TimelineModel['ticks'] = [];
  const stepT = niceStep(span / 8);
  for (let t = 0; t <= span + 1e-9; t += stepT) ticks.push({ t, x: x(t) });
  const model: TimelineModel = { width, height, margin, laneHeight, span, hosts, calls, arrows, drops, faults, inflight, records, ticks };
  if (now !== undefined) model.cursor = x(now);
  return model;
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function el(name: string, attrs: Record<string, string | number>, parent?: Element | null): SVGElement {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function title(parent: Element, text: string): void {
  el('title', {}, parent).textContent = text;
}

/**
 * Replaces the contents of `svg` with the timeline of `model` (from `layout`).
 * `highlight`: indices of trace records to ring (`circle.selected[data-index]`), with
 * `highlightClass` on them (the inspector's selected event; the diff view's divergence).
 * `ghost`: another model on the same axis drawn faded underneath (the recorded future after a
 * seek back: it is what stepping forward will draw again).
 */
export function drawTimeline(
  svg: SVGSVGElement,
  model: TimelineModel,
  options: { highlight?: Iterable<number>; highlightClass?: string; ghost?: TimelineModel | undefined } = {},
): SVGSVGElement {
  const { highlight = [], highlightClass = 'selected', ghost } = options;
  svg.replaceChildren();
  svg.setAttribute('width', String(model.width));
  svg.setAttribute('height', String(model.height));
  svg.setAttribute('viewBox', `0 0 ${model.width} ${model.height}`);
  const defs = el('defs', {}, svg);
  const marker = el('marker', {
    id: 'arrowhead', viewBox: '0 0 10 10', refX: 9, refY: 5,
    markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse',
  }, defs);
  el('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#3465a4' }, marker);

  const axis = el('g', { class: 'axis' }, svg);
  const bottom = 30 + model.hosts.length * model.laneHeight;
  for (const tick of model.ticks) {
    el('line', { x1: tick.x, y1: 24, x2: tick.x, y2: bottom, stroke: '#eee' }, axis);
    const label = el('text', { x: tick.x, y: bottom + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#555' }, axis);
    label.textContent = `${+tick.t.toFixed(3)}s`;
  }

  const lanes = el('g', { class: 'lanes' }, svg);
  const faded = ghost ? el('g', { class: 'ghost', opacity: 0.22 }, svg) : null;
  if (ghost) {
    for (const c of ghost.calls) el('circle', { cx: c.x, cy: c.y, r: 3, fill: '#2e7d32' }, faded);
    for (const f of ghost.faults) el('rect', { x: f.x - 2, y: f.y, width: 4, height: f.height, fill: '#f5a623' }, faded);
    for (const a of ghost.arrows) el('line', { x1: a.x1, y1: a.y1, x2: a.x2, y2: a.y2, stroke: '#3465a4' }, faded);
    for (const d of ghost.drops) el('line', { x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2, stroke: '#cc0000', 'stroke-dasharray': '4 2' }, faded);
  }

  model.hosts.forEach((host, i) => {
    const g = el('g', { class: 'lane', 'data-host': host }, lanes);
    const yMid = 30 + i * model.laneHeight + model.laneHeight / 2;
    el('rect', {
      x: 0, y: 30 + i * model.laneHeight, width: model.width, height: model.laneHeight,
      fill: i % 2 ? '#fafafa' : '#f3f5f8',
    }, g);
    el('line', { x1: model.margin, y1: yMid, x2: model.width - 20, y2: yMid, stroke: '#bbb' }, g);
    const label = el('text', { x: 8, y: yMid + 4, 'font-size': 13, 'font-family': 'monospace' }, g);
    label.textContent = host;
    for (const c of model.calls) {
      if (c.host !== host) continue;
      const dot = el('circle', { class: 'call', cx: c.x, cy: c.y, r: 3, fill: '#2e7d32', 'data-index': c.index }, g);
      title(dot, `${c.t.toFixed(6)}s ${c.name}`);
    }
  });

  const faults = el('g', { class: 'faults' }, svg);
  for (const f of model.faults) {
    const g = el('g', { class: 'fault', 'data-fault': f.fault, 'data-index': f.index }, faults);
    el('rect', { x: f.x - 2, y: f.y, width: 4, height: f.height, fill: '#f5a623', opacity: 0.8 }, g);
    const label = el('text', { x: f.x + 4, y: f.y + 11, 'font-size': 10, fill: '#b36b00' }, g);
    label.textContent = f.fault;
    title(g, `${f.t.toFixed(6)}s ${f.fault}${f.host ? ` ${f.host}` : ''}`);
  }

  const messages = el('g', { class: 'messages' }, svg);
  for (const a of model.arrows) {
    const line = el('line', {
      class: 'arrow', x1: a.x1, y1: a.y1, x2: a.x2, y2: a.y2,
      stroke: '#3465a4', 'stroke-width': 1.2, 'marker-end': 'url(#arrowhead)', 'data-index': a.index,
    }, messages);
    title(line, `${a.msg} ${a.from} -> ${a.to} at ${a.t.toFixed(6)}s`);
  }
  for (const d of model.drops) {
    const g = el('g', { class: 'drop', 'data-index': d.index }, messages);
    el('line', {
      x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2, stroke: '#cc0000', 'stroke-width': 1.2, 'stroke-dasharray': '4 2',
    }, g);
    el('path', { d: `M ${d.x2 - 4} ${d.y2 - 4} L ${d.x2 + 4} ${d.y2 + 4} M ${d.x2 - 4} ${d.y2 + 4} L ${d.x2 + 4} ${d.y2 - 4}`, stroke: '#cc0000', 'stroke-width': 2 }, g);
    title(g, `dropped (${d.cause}) ${d.msg} ${d.from} -> ${d.to} at ${d.t.toFixed(6)}s`);
  }
  for (const m of model.inflight) {
    const line = el('line', {
      class: 'inflight', x1: m.x1, y1: m.y1, x2: m.x2, y2: m.y2,
      stroke: '#8aa4c8', 'stroke-width': 1, 'stroke-dasharray': '2 3', 'data-index': m.index,
    }, messages);
    title(line, `${m.msg} ${m.from} -> ${m.to} on the wire since ${m.t.toFixed(6)}s`);
  }

  if (model.cursor !== undefined) {
    el('line', { class: 'cursor', x1: model.cursor, y1: 24, x2: model.cursor, y2: bottom, stroke: '#7b1fa2', 'stroke-width': 1 }, svg);
  }
  // Rings last, so they sit above every mark; a record drawn by no shape (connect, accept, an
  // in-flight send) still gets its ring on its host's lane.
  const rings = el('g', { class: highlightClass }, svg);
  const color = highlightClass === 'divergence' ? '#d0021b' : '#7b1fa2';
  for (const i of highlight) {
    const r = model.records[i];
    if (!r) continue;
    el('circle', {
      class: highlightClass, cx: r.x, cy: r.y, r: 7, fill: 'none', stroke: color, 'stroke-width': 2.5, 'data-index': i,
    }, rings);
  }
  return svg;
}
