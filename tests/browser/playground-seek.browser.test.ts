// Step back and seek in the playground (packages/playground/seek.js), in Chromium: a run
// re-created from (scenario, seed, the user's faults) is the run the user watched, at every event.
import { describe, expect, it } from 'vitest';
import * as sim from 'evloop/sim';
import type { Playground } from '../../packages/playground/app.js';
import { Run } from '../../packages/playground/scenarios.js';
import { Session } from '../../packages/playground/seek.js';
import { usePlayground } from './playground-helpers.js';

const mounted = usePlayground();

/** What must match at an event: the whole trace so far and every host's queues. */
function snapshot(pg: Playground) {
  const s = pg.session;
  return {
    events: s.events,
    trace: JSON.stringify(s.simulation.trace()),
    states: JSON.stringify(s.hosts.map((h) => s.simulation.hostState(h))),
  };
}

describe('playground: seek', () => {
  it('seeking back to k gives the trace and host state of a fresh run stepped to k', async () => {
    const pg = await mounted('leader-follower', 7);
    await pg.runFor(0.35);
    const N = pg.session.events;
    const full = pg.session.simulation.trace();
    expect(N).toBeGreaterThan(40);

    for (const k of [N - 1, Math.floor(N / 2), 17, 1, 0]) {
      await pg.seek(k);
      expect(pg.session.events).toBe(k);
      const fresh = new Run(sim, 'leader-follower', 7);
      for (let i = 0; i < k; i++) expect(await fresh.step()).toBe(true);
      const got = snapshot(pg);
      expect(got.trace).toBe(JSON.stringify(fresh.trace()));
      expect(got.states).toBe(JSON.stringify(fresh.hosts.map((h) => fresh.simulation.hostState(h))));
      // and a prefix of the run watched first
      expect(JSON.parse(got.trace)).toEqual(full.slice(0, JSON.parse(got.trace).length));
      fresh.close();
    }
    // the slider still spans the run watched
    expect(pg.session.horizon).toBe(N);
  });

  it('with faults: seeking back to where the user stood gives what the user saw', async () => {
    const pg = await mounted('echo', 42);
    const seen: ReturnType<typeof snapshot>[] = [];
    await pg.runFor(0.2);
    await pg.partition();
    // a clicked fault is an event of the run: seeking there applies it
    seen.push(snapshot(pg));
    await pg.step();
    seen.push(snapshot(pg));
    for (let i = 0; i < 4; i++) await pg.step();
    await pg.toggleCrash('server');
    seen.push(snapshot(pg));
    await pg.runFor(0.15);
    await pg.heal();
    await pg.toggleCrash('server');
    seen.push(snapshot(pg));
    await pg.runFor(0.5);
    seen.push(snapshot(pg));
    expect(pg.session.actions.map((a) => a.fault.fault)).toEqual(['partition', 'crash', 'heal', 'restart']);

    // back, in any order; forward from each
    for (const i of [3, 0, 2, 1, 4]) {
      await pg.seek(seen[i].events);
      expect(snapshot(pg)).toEqual(seen[i]);
    }
    for (const i of [0, 1, 2, 3, 4]) {
      await pg.seek(seen[i].events);
      expect(snapshot(pg)).toEqual(seen[i]);
    }
    // the inspector lists the snapshot's faults, those ahead of the cursor greyed
    await pg.seek(seen[1].events);
    const listed = (c: string) => [...pg.inspector.querySelectorAll(`ul.actions li.${c}`)].map((li) => li.textContent);
    expect(listed('applied')).toEqual([`event ${seen[0].events} · 0.200000s · partition client | server`]);
    expect(listed('ahead').map((t) => t!.split(' · ')[2])).toEqual(['crash server', 'heal', 'restart server']);
  });

  it('back then forward matches, with the buttons and the slider', async () => {
    const pg = await mounted('echo', 42);
    await pg.runFor(0.3);
    await pg.partition();
    await pg.runFor(0.2);
    const end = snapshot(pg);
    const button = (name: string) => pg.container.querySelector(`button[name=${name}]`) as HTMLButtonElement;
    const slider = pg.container.querySelector('input[name=cursor]') as HTMLInputElement;
    expect(Number(slider.max)).toBe(end.events);
    expect(Number(slider.value)).toBe(end.events);

    button('back').click();
    await pg.idle();
    expect(pg.session.events).toBe(end.events - 1);
    const before = snapshot(pg);
    button('back').click();
    button('forward').click();
    await pg.idle();
    expect(snapshot(pg)).toEqual(before);
    button('forward').click();
    await pg.idle();
    expect(snapshot(pg)).toEqual(end);

    // a burst of slider moves ends at the last one
    for (const k of [30, 5, 12]) {
      slider.value = String(k);
      slider.dispatchEvent(new Event('input'));
    }
    await pg.idle();
    expect(pg.session.events).toBe(12);
    expect(Number(slider.value)).toBe(12);
    const stepped = new Session(sim, 'echo', 42, pg.session.actions);
    await stepped.seek(12);
    expect(JSON.stringify(pg.session.records)).toBe(JSON.stringify(stepped.records));
    stepped.close();
    slider.value = slider.max;
    slider.dispatchEvent(new Event('input'));
    await pg.idle();
    expect(snapshot(pg)).toEqual(end);
  });

  it('playing from a seek back re-applies the recorded faults where they were', async () => {
    const pg = await mounted('leader-follower', 3);
    await pg.runFor(0.3);
    await pg.partition();
    await pg.runFor(0.25);
    await pg.toggleCrash('follower2');
    await pg.runFor(0.2);
    await pg.heal();
    await pg.toggleCrash('follower2');
    await pg.runFor(0.5);
    const end = snapshot(pg);
    const t = pg.session.now();

    await pg.seek(0);
    expect(pg.session.simulation.trace()).toEqual([]);
    // Play runs in frames of runFor; any split of the time must give the same run
    for (const dt of [0.07, 0.2, 0.01, 0.33, 0.09]) await pg.runFor(dt);
    await pg.runFor(t - pg.session.now());
    expect(snapshot(pg)).toEqual(end);
    expect(pg.session.actions.length).toBe(4);
  });

  it('a new fault after seeking back drops the recorded future', async () => {
    const pg = await mounted('echo', 42);
    await pg.runFor(0.2);
    await pg.partition();
    await pg.runFor(0.3);
    await pg.seek(10);
    await pg.toggleCrash('server');
    // the clicked fault is an event of its own, the next one here
    expect(pg.session.actions.map((a) => [a.event, a.fault.fault])).toEqual([[11, 'crash']]);
    expect(pg.session.horizon).toBe(11);
    expect(pg.run.isCrashed('server')).toBe(true);
    await pg.runFor(0.3);
    expect(pg.session.simulation.trace().filter((r) => r.kind === 'fault').map((r) => r.fault)).toEqual(['crash']);
  });
});
