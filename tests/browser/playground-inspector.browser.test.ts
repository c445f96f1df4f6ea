// The playground's inspector (packages/playground/inspector.js) in Chromium: each host's ready
// queue and timer heap at the selected event, and that event's records ringed on the timeline.
import { describe, expect, it } from 'vitest';
import type { Playground } from '../../packages/playground/app.js';
import { usePlayground } from './playground-helpers.js';

const mounted = usePlayground();

const texts = (root: Element, selector: string) => [...root.querySelectorAll(selector)].map((e) => e.textContent);
const row = (pg: Playground, host: string) => pg.inspector.querySelector(`tr[data-host="${host}"]`) as HTMLElement;

describe('playground: inspector', () => {
  it('shows the ready queues and timers of echo seed 42 at known events', async () => {
    const pg = await mounted('echo', 42);

    // event 1: the client's program ran (its task is ready, its tick timer set); the server's is next
    await pg.seek(1);
    expect(texts(row(pg, 'client'), 'ol.ready li:not(.empty)')).toEqual(['Task.__step']);
    expect(texts(row(pg, 'client'), 'ol.timers li:not(.empty)')).toEqual(['0.100000 tick']);
    expect(texts(row(pg, 'server'), 'ol.ready li:not(.empty)')).toEqual(['program']);
    expect(texts(row(pg, 'server'), 'ol.timers li:not(.empty)')).toEqual([]);

    // event 12: the synack reached the client, whose connection callbacks are queued
    await pg.seek(12);
    expect(pg.inspector.querySelector('h2')?.textContent).toContain('event 12 of 12');
    expect(texts(row(pg, 'client'), 'ol.ready li:not(.empty)')).toEqual([
      'Protocol.connection_made',
      'Transport._add_reader',
      'set_result_unless_cancelled',
    ]);
    expect(texts(row(pg, 'client'), 'ol.timers li:not(.empty)')).toEqual(['0.100000 tick']);
    expect(texts(row(pg, 'server'), 'ol.ready li:not(.empty)')).toEqual([]);

    // the event's record: listed, and ringed on the timeline
    const selected = pg.session.selectedRecords();
    expect(selected.length).toBe(1);
    const record = pg.session.records[selected[0]];
    expect([record.host, record.kind, record.name]).toEqual(['client', 'call', 'Task.__step']);
    expect(texts(pg.inspector, 'ol.records li')).toEqual([`0.040087 client call name=Task.__step`]);
    const rings = [...pg.svg.querySelectorAll('circle.selected')].map((c) => Number(c.getAttribute('data-index')));
    expect(rings).toEqual(selected);
    expect(pg.svg.querySelector(`circle.call[data-index="${selected[0]}"]`)).not.toBeNull();

    // event 20: the second tick fired (sent a message) and set the third
    await pg.seek(20);
    expect(texts(row(pg, 'client'), 'ol.timers li:not(.empty)')).toEqual(['0.300000 tick']);
    expect(texts(pg.inspector, 'ol.records li')).toEqual([
      '0.200000 client call name=tick',
      '0.200000 client send to=server conn=1 msg=data seq=1 bytes=7',
    ]);

    // the panel is sim.hostState, for every event of a short run
    for (let k = 0; k <= 25; k++) {
      await pg.seek(k);
      for (const host of pg.session.hosts) {
        const state = pg.session.simulation.hostState(host);
        expect(texts(row(pg, host), 'ol.ready li:not(.empty)')).toEqual(state.ready);
        expect(texts(row(pg, host), 'ol.timers li:not(.empty)')).toEqual(
          state.timers.map((t) => `${t.when.toFixed(6)} ${t.label}`),
        );
      }
    }
  });
});
