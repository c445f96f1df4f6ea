// The trace diff view: two runs (the current one and another seed, or an imported trace file)
// drawn as two timelines with the same lanes and time axis, the first divergence ringed in
// both, and the report of `diffTraces` (evloop/sim's tools) in words. The comparison itself is
// the tools' `diffTraces`; nothing here decides what differs.
import type { TraceRecord } from 'evloop/sim';
import type { TraceDiff } from 'evloop/sim/tools';
import { item } from './dom.js';
import { formatRecord } from './inspector.js';
import { drawTimeline, layout } from './timeline.js';

const SVG = 'http://www.w3.org/2000/svg';

/** What the playground reads of a `diffTraces` report (evloop/sim's tools). */
export type DiffReport = TraceDiff;

/** One side of a diff: `{ index, record }` of a record, or null past the end of its trace. */
export type DiffEntry = NonNullable<NonNullable<TraceDiff['first']>['a']>;

export interface DiffSide {
  label: string;
  records: TraceRecord[];
}

/** The lanes: `hosts` first (the page's order), then any other host the traces name. */
export function diffHosts(hosts: string[], a: TraceRecord[], b: TraceRecord[]): string[] {
  const all = [...hosts];
  for (const r of [...a, ...b]) if (r.host && !all.includes(r.host)) all.push(r.host);
  return all;
}

/** The sentence the page shows for a `diffTraces` report. */
export function describeDiff(report: DiffReport, labels: [string, string]): string {
  const [la, lb] = labels;
  const f = report.first;
  if (report.identical || f === null) return `no divergence: ${la} and ${lb} have the same ${report.lengths.a} records`;
  const at = f.a?.record ?? f.b?.record;
  const host = at?.host ? ` on ${at.host}` : '';
  const t = at ? ` at t = ${at.t.toFixed(6)}s` : '';
  return `first divergence at record ${f.index}${host}${t}: ${la} has ${formatRecord(f.a?.record)}; ${lb} has ${formatRecord(f.b?.record)}`;
}

/**
 * Fills `root` with the diff of `a` and `b` (`{ label, records }`):
 * `report` is `diffTraces(a.records, b.records)`.
 */
export function renderDiff(
  root: HTMLElement,
  view: { a: DiffSide; b: DiffSide; hosts: string[]; report: DiffReport; width?: number },
): HTMLElement {
  const { a, b, hosts, report, width = 960 } = view;
  root.replaceChildren();
  const labels: [string, string] = [a.label, b.label];
  item(root, 'p', describeDiff(report, labels), { class: report.identical ? 'summary same' : 'summary differs' });

  const lanes = diffHosts(hosts, a.records, b.records);
  const end = Math.max(a.records.at(-1)?.t ?? 0, b.records.at(-1)?.t ?? 0);
  for (const [side, run] of [['a', a], ['b', b]] as const) {
    item(root, 'h3', run.label, { class: `side-${side}` });
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', `timeline diff-${side}`);
    root.appendChild(svg);
    const model = layout(run.records, lanes, { width, end, laneHeight: 40 });
    const entry = report.first?.[side];
    drawTimeline(svg, model, { highlight: entry ? [entry.index] : [], highlightClass: 'divergence' });
  }

  // Per host: each host's own sequence of records, aligned (what diffTraces compares).
  const table = item(root, 'table', '', { class: 'per-host' });
  const head = item(table, 'tr', '');
  for (const h of ['host', 'its records', labels[0], labels[1]]) item(head, 'th', h);
  for (const [host, d] of Object.entries(report.hosts)) {
    const row = item(table, 'tr', '', { 'data-host': host, class: d ? 'differs' : 'same' });
    item(row, 'th', host || '(network)');
    if (!d) {
      item(row, 'td', 'same', { colspan: 3 });
      continue;
    }
    item(row, 'td', `differ from #${d.position}${report.time === d ? ' (earliest in time)' : ''}`);
    item(row, 'td', d.a ? `[${d.a.index}] ${formatRecord(d.a.record)}` : '(ends)');
    item(row, 'td', d.b ? `[${d.b.index}] ${formatRecord(d.b.record)}` : '(ends)');
  }
  return root;
}
