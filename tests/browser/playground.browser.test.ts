// The playground (packages/playground) mounted in Chromium: scenarios drawn as an SVG timeline.
import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import * as sim from 'evloop/sim';
import type { Playground } from '../../packages/playground/app.js';
import { Run } from '../../packages/playground/scenarios.js';
import { usePlayground } from './playground-helpers.js';

const count = (pg: Playground, selector: string) => pg.svg.querySelectorAll(selector).length;

const mounted = usePlayground();

describe('playground in Chromium', () => {
  it('draws seed 42 of echo: lanes, arrows, calls, then a fault after a partition', async () => {
    await page.viewport(1000, 700);
    const pg = await mounted();
    await pg.reset('echo', 42);
    await pg.runFor(0.5);
    const lanes = [...pg.svg.querySelectorAll('g.lane')].map((g) => g.getAttribute('data-host'));
    expect(lanes).toEqual(['client', 'server']);
    expect(count(pg, 'circle.call')).toBeGreaterThan(5);
    expect(count(pg, '.arrow')).toBeGreaterThanOrEqual(10);
    expect(count(pg, 'g.lane circle.call')).toBe(count(pg, 'circle.call'));
    expect(count(pg, '.fault')).toBe(0);

    await pg.partition();
    await pg.runFor(0.3);
    expect(count(pg, '.fault')).toBe(1);
    expect(count(pg, '.drop')).toBeGreaterThan(0);
    await pg.heal();
    await pg.toggleCrash('server');
    expect(pg.run.isCrashed('server')).toBe(true);
    await pg.runFor(0.2);
    await pg.toggleCrash('server');
    await pg.runFor(1);
    expect(count(pg, '.fault')).toBe(4); // partition, heal, crash, restart
    const file = JSON.parse(pg.exportTrace());
    expect(file.format).toBe('evloop-sim-trace');
    expect(file.records).toEqual(pg.run.trace());
    expect(file.input.faults.map((f: { fault: string }) => f.fault)).toEqual(['partition', 'heal', 'crash', 'restart']);
    // the pictures in docs/simulation.md: back to just after the crash, then the diff with seed 7
    let k = pg.session.actions[2].event;
    do await pg.seek(++k);
    while (pg.session.simulation.hostState('client').timers.length === 0 && k < pg.session.horizon);
    await page.screenshot({ element: pg.container, path: '../../docs/simulation/playground.png' });
    await pg.compareSeed(7);
    await page.screenshot({ element: pg.diffResult.parentElement!, path: '../../docs/simulation/playground-diff.png' });
  });

  it('draws the same marks for the same seed', async () => {
    const pg = await mounted();
    const marks = async () => {
      await pg.reset('echo', 42);
      await pg.runFor(1.5);
      return [count(pg, 'circle.call'), count(pg, '.arrow'), count(pg, '.drop'), pg.run.trace().length];
    };
    const first = await marks();
    expect(first[0]).toBeGreaterThan(0);
    expect(await marks()).toEqual(first);
  });

  it('has three lanes for leader/follower and steps one event at a time', async () => {
    const pg = await mounted();
    await pg.reset('leader-follower', 7);
    expect([...pg.svg.querySelectorAll('g.lane')].map((g) => g.getAttribute('data-host'))).toEqual([
      'leader',
      'follower1',
      'follower2',
    ]);
    await pg.step();
    await pg.step();
    expect(pg.run.simulation.events()).toBe(2);
    await pg.runFor(1);
    expect(count(pg, '.arrow')).toBeGreaterThanOrEqual(20);
    await pg.partition();
    await pg.runFor(0.3);
    expect(count(pg, '.fault')).toBe(1);
  });

  it('runs a scenario without the page (the driver alone)', async () => {
    const run = new Run(sim, 'leader-follower', 1);
    await run.runFor(0.5);
    const hosts = new Set(run.trace().map((r) => r.host));
    expect([...hosts].sort()).toEqual(['follower1', 'follower2', 'leader']);
    run.close();
  });
});
