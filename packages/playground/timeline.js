// Draws a simulation trace as an SVG timeline: one lane per host, virtual time on the x axis.
// `layout` is pure (trace -> shapes); `drawTimeline` turns the shapes into SVG elements.

const SVG = 'http://www.w3.org/2000/svg';

/** The identity of a message, the same on its send and on its deliver or drop. */
const messageKey = (from, to, r) => `${from}>${to}|${r.conn}|${r.msg}|${r.seq ?? ''}|${r.attempt ?? 0}`;

/**
 * Pairs the records of `trace` into marks: `calls` (callbacks), `arrows`
 * (send -> deliver), `drops` (send -> drop), `faults`, for the given hosts.
 */
export function layout(trace, hosts, { width = 960, laneHeight = 56, margin = 110, end } = {}) {
  const last = trace.length ? trace[trace.length - 1].t : 0;
  const span = Math.max(end ?? 0, last, 0.1);
  const plot = width - margin - 20;
  const x = (t) => margin + (t / span) * plot;
  const lane = new Map(hosts.map((h, i) => [h, i]));
  const y = (host) => 30 + (lane.get(host) ?? 0) * laneHeight + laneHeight / 2;
  const calls = [];
  const arrows = [];
  const drops = [];
  const faults = [];
  const pending = new Map();
  for (const r of trace) {
    if (r.kind === 'call' && lane.has(r.host)) {
      calls.push({ x: x(r.t), y: y(r.host), host: r.host, t: r.t, name: r.name ?? '' });
    } else if (r.kind === 'send') {
      const key = messageKey(r.host, r.to, r);
      const queue = pending.get(key) ?? [];
      queue.push(r);
      pending.set(key, queue);
    } else if (r.kind === 'deliver' || r.kind === 'drop') {
      const from = r.from;
      const send = pending.get(messageKey(from, r.host, r))?.shift();
      const t0 = send ? send.t : r.t;
      const shape = {
        x1: x(t0), y1: y(from), x2: x(r.t), y2: y(r.host),
        from, to: r.host, msg: r.msg, t: r.t, cause: r.cause,
      };
      (r.kind === 'deliver' ? arrows : drops).push(shape);
    } else if (r.kind === 'fault') {
      const involved = r.host ? [r.host] : [r.a, r.b].flat().filter((h) => lane.has(h));
      const rows = involved.length ? involved.map((h) => lane.get(h)) : hosts.map((_, i) => i);
      const top = Math.min(...rows);
      const bottom = Math.max(...rows);
      faults.push({
        x: x(r.t), y: 30 + top * laneHeight, height: (bottom - top + 1) * laneHeight,
        fault: r.fault, host: r.host, t: r.t,
      });
    }
  }
  const height = 30 + hosts.length * laneHeight + 24;
  const ticks = [];
  const stepT = niceStep(span / 8);
  for (let t = 0; t <= span + 1e-9; t += stepT) ticks.push({ t, x: x(t) });
  return { width, height, margin, laneHeight, span, hosts, calls, arrows, drops, faults, ticks };
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function title(parent, text) {
  el('title', {}, parent).textContent = text;
}

/** Replaces the contents of `svg` with the timeline of `model` (from `layout`). */
export function drawTimeline(svg, model) {
  svg.replaceChildren();
  svg.setAttribute('width', model.width);
  svg.setAttribute('height', model.height);
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

  model.hosts.forEach((host, i) => {
    const g = el('g', { class: 'lane', 'data-host': host }, svg);
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
      const dot = el('circle', { class: 'call', cx: c.x, cy: c.y, r: 3, fill: '#2e7d32' }, g);
      title(dot, `${c.t.toFixed(6)}s ${c.name}`);
    }
  });

  const faults = el('g', { class: 'faults' }, svg);
  for (const f of model.faults) {
    const g = el('g', { class: 'fault', 'data-fault': f.fault }, faults);
    el('rect', { x: f.x - 2, y: f.y, width: 4, height: f.height, fill: '#f5a623', opacity: 0.8 }, g);
    const label = el('text', { x: f.x + 4, y: f.y + 11, 'font-size': 10, fill: '#b36b00' }, g);
    label.textContent = f.fault;
    title(g, `${f.t.toFixed(6)}s ${f.fault}${f.host ? ` ${f.host}` : ''}`);
  }

  const messages = el('g', { class: 'messages' }, svg);
  for (const a of model.arrows) {
    const line = el('line', {
      class: 'arrow', x1: a.x1, y1: a.y1, x2: a.x2, y2: a.y2,
      stroke: '#3465a4', 'stroke-width': 1.2, 'marker-end': 'url(#arrowhead)',
    }, messages);
    title(line, `${a.msg} ${a.from} -> ${a.to} at ${a.t.toFixed(6)}s`);
  }
  for (const d of model.drops) {
    const g = el('g', { class: 'drop' }, messages);
    el('line', {
      x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2, stroke: '#cc0000', 'stroke-width': 1.2, 'stroke-dasharray': '4 2',
    }, g);
    el('path', { d: `M ${d.x2 - 4} ${d.y2 - 4} L ${d.x2 + 4} ${d.y2 + 4} M ${d.x2 - 4} ${d.y2 + 4} L ${d.x2 + 4} ${d.y2 - 4}`, stroke: '#cc0000', 'stroke-width': 2 }, g);
    title(g, `dropped (${d.cause}) ${d.msg} ${d.from} -> ${d.to} at ${d.t.toFixed(6)}s`);
  }
  return svg;
}
