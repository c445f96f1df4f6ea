// The inspector panel: at the selected event, the records that event added and each host's
// ready queue and timer heap (`sim.hostState`). Pure rendering: the data comes from seek.ts.
import type { HostState, TraceRecord } from 'evloop/sim';
import { item } from './dom.js';
import { describeFault } from './faults.js';
import type { Action } from './seek.js';

/**
 * A trace record on one line, "0.100000 client call name=tick": times to the
 * microsecond, so that the panel's lines align (the tools' formatRecord keeps every digit).
 */
export function formatRecord(r: TraceRecord | null | undefined): string {
  if (!r) return '(none)';
  const rest = Object.entries(r)
    .filter(([k]) => k !== 't' && k !== 'host' && k !== 'kind')
    .map(([k, v]: [string, unknown]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`)
    .join(' ');
  return `${r.t.toFixed(6)} ${r.host || '-'} ${r.kind}${rest ? ` ${rest}` : ''}`;
}

/** What the inspector shows for one event. */
export interface InspectorView {
  event: number;
  horizon: number;
  now: number;
  hosts: string[];
  /** `{ [host]: { ready, timers } }`, or null (an evloop/sim without `hostState`). */
  states: Record<string, HostState> | null;
  records: TraceRecord[];
  /** The indices of the event's records in `records`. */
  selected: number[];
  /** The session's clicked faults, the first `applied` of them already applied. */
  actions?: Action[];
  applied?: number;
}

/** Fills `root` for one event. */
export function renderInspector(root: HTMLElement, view: InspectorView): HTMLElement {
  const { event, horizon, now, hosts, states, records, selected, actions = [], applied = 0 } = view;
  root.replaceChildren();
  item(root, 'h2', `event ${event} of ${horizon} · t = ${now.toFixed(6)}s`, { class: 'where' });
  if (actions.length) {
    // The snapshot a seek re-runs from: the clicked faults, those still ahead greyed.
    const list = item(root, 'ul', '', { class: 'actions' });
    actions.forEach((a, i) => {
      const text = `event ${a.event} · ${a.t.toFixed(6)}s · ${describeFault(a.fault)}`;
      item(list, 'li', text, { class: i < applied ? 'applied' : 'ahead' });
    });
  }

  const list = item(root, 'ol', '', { class: 'records', start: selected[0] ?? 0 });
  if (!selected.length) item(list, 'li', event === 0 ? 'not started' : 'this event left no trace record', { class: 'empty' });
  for (const i of selected) item(list, 'li', formatRecord(records[i]), { 'data-index': i });

  if (!states) {
    item(root, 'p', 'this build of evloop/sim has no sim.hostState(): no queues to show', { class: 'missing' });
    return root;
  }
  const table = item(root, 'table', '', { class: 'hosts' });
  const head = item(table, 'tr', '');
  for (const h of ['host', 'ready queue (run order)', 'timer heap (when, label)']) item(head, 'th', h);
  for (const host of hosts) {
    const state = states[host] ?? { ready: [], timers: [] };
    const row = item(table, 'tr', '', { 'data-host': host });
    item(row, 'th', host);
    const ready = item(item(row, 'td', ''), 'ol', '', { class: 'ready' });
    for (const label of state.ready) item(ready, 'li', label);
    if (!state.ready.length) item(ready, 'li', 'empty', { class: 'empty' });
    const timers = item(item(row, 'td', ''), 'ol', '', { class: 'timers' });
    for (const { when, label } of state.timers) {
      const li = item(timers, 'li', `${when.toFixed(6)} ${label}`, { 'data-when': when });
      li.title = `in ${(when - now).toFixed(6)}s`;
    }
    if (!state.timers.length) item(timers, 'li', 'empty', { class: 'empty' });
  }
  return root;
}
