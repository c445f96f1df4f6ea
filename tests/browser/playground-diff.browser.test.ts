// The playground's trace diff view (packages/playground/diff-view.js) in Chromium: two runs on
// the same lanes, the first divergence (as evloop/sim's diffTraces reports it) ringed and told.
import { describe, expect, it } from 'vitest';
import * as sim from 'evloop/sim';
import * as tools from 'evloop/sim/tools';
import type { Playground } from '../../packages/playground/app.js';
import { Run } from '../../packages/playground/scenarios.js';
import { usePlayground } from './playground-helpers.js';

const mounted = usePlayground();

const ring = (pg: Playground, side: 'a' | 'b') =>
  [...pg.diffResult.querySelectorAll(`svg.diff-${side} circle.divergence`)].map((c) => Number(c.getAttribute('data-index')));

/** Seed `seed` of `name` run alone for `seconds` (no page, no faults). */
async function trace(name: string, seed: number, seconds: number) {
  const run = new Run(sim, name, seed);
  await run.runFor(seconds);
  const records = run.trace();
  run.close();
  return records;
}

describe('playground: trace diff', () => {
  it('finds the first divergence between seeds 1 and 2 of leader/follower, where diffTraces does', async () => {
    const pg = await mounted('leader-follower', 1);
    await pg.runFor(0.5);
    const report = await pg.compareSeed(2);

    const expected = tools.diffTraces(await trace('leader-follower', 1, 0.5), await trace('leader-follower', 2, 0.5));
    expect(expected.identical).toBe(false);
    expect(report.identical).toBe(false);
    expect(report.first?.index).toBe(expected.first?.index);
    const index = expected.first!.index;

    // ringed at that record in both timelines, lanes in the same order
    expect(ring(pg, 'a')).toEqual([index]);
    expect(ring(pg, 'b')).toEqual([index]);
    const lanes = (side: string) =>
      [...pg.diffResult.querySelectorAll(`svg.diff-${side} g.lane`)].map((g) => g.getAttribute('data-host'));
    expect(lanes('a')).toEqual(['leader', 'follower1', 'follower2']);
    expect(lanes('b')).toEqual(lanes('a'));

    // told in words, with both records
    const summary = pg.diffResult.querySelector('.summary')!.textContent!;
    expect(summary).toContain(`first divergence at record ${index}`);
    expect(summary).toContain(`t = ${expected.first!.a!.record.t.toFixed(6)}s`);
    expect(summary).toContain('leader-follower seed 1 has');
    expect(summary).toContain('leader-follower seed 2 has');
    // per host: each host that differs names its first differing record
    for (const [host, d] of Object.entries(expected.hosts)) {
      const row = pg.diffResult.querySelector(`table.per-host tr[data-host="${host}"]`)!;
      expect(row.className).toBe(d ? 'differs' : 'same');
      if (d?.a) expect(row.textContent).toContain(`[${d.a.index}]`);
    }
  });

  it('reports no divergence for the same seed twice, faults included', async () => {
    const pg = await mounted('echo', 3);
    await pg.runFor(0.25);
    await pg.partition();
    await pg.step();
    await pg.step();
    await pg.heal();
    await pg.runFor(0.4);
    const report = await pg.compareSeed(3);
    expect(report.identical).toBe(true);
    expect(report.lengths.a).toBe(pg.session.records.length);
    expect(pg.diffResult.querySelectorAll('circle.divergence').length).toBe(0);
    expect(pg.diffResult.querySelector('.summary')!.textContent).toContain('no divergence');
    expect(pg.diffResult.querySelectorAll('table.per-host tr.differs').length).toBe(0);
  });

  it('compares with an imported trace file (the format Export trace writes)', async () => {
    const pg = await mounted('echo', 2);
    await pg.runFor(0.6);
    const exported = pg.exportTrace();
    const seed2 = pg.session.simulation.trace();

    await pg.reset('echo', 1);
    await pg.runFor(0.6);
    const report = await pg.compareTrace(exported, 'seed2.json');
    const expected = tools.diffTraces(pg.session.records, seed2);
    expect(report.identical).toBe(false);
    expect(report.first?.index).toBe(expected.first?.index);
    expect(ring(pg, 'b')).toEqual([expected.first!.index]);
    expect(pg.diffResult.querySelector('h3.side-b')!.textContent).toBe('seed2.json');

    // the same file against itself: identical
    await pg.reset('echo', 2);
    await pg.runFor(0.6);
    expect((await pg.compareTrace(exported)).identical).toBe(true);

    // not a trace file: the error is shown, nothing is compared
    await expect(pg.compareTrace('{"format":"something else"}')).rejects.toThrow(/not a valid trace file/);
    expect(pg.diffResult.querySelector('.error')!.textContent).toContain('format');
  });
});
