// "Export trace" in Chromium gives, byte for byte, the file the page's Session exports in Node
// (tests/shared/playground-echo-seed42.json, checked against Node by
// tests/node/sim-tools-playground-replay.test.ts, which replays it with `evloop-sim replay ...
// packages/playground/scenarios/echo.mjs`): a trace exported from the browser re-runs in Node.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as tools from 'evloop/sim/tools';
import type { Playground } from '../../packages/playground/app.js';
import { MOVES, SCENARIO, SEED } from '../shared/playground-export.js';
import fixture from '../shared/playground-echo-seed42.json?raw';
import { usePlayground } from './playground-helpers.js';

const mounted = usePlayground();
afterEach(() => {
  vi.restoreAllMocks();
});

const button = (pg: Playground, name: string) => pg.container.querySelector(`button[name=${name}]`) as HTMLButtonElement;

/** Makes a move with the page's controls, as a user would. */
async function play(pg: Playground, move: (typeof MOVES)[number]) {
  if ('run' in move) return pg.runFor(move.run);
  if ('step' in move) button(pg, 'step').click();
  else if ('seek' in move) {
    const slider = pg.container.querySelector('input[name=cursor]') as HTMLInputElement;
    slider.value = String(move.seek);
    slider.dispatchEvent(new Event('input'));
  } else if (move.fault.fault === 'partition') button(pg, 'partition').click();
  else if (move.fault.fault === 'heal') button(pg, 'heal').click();
  else {
    const select = pg.container.querySelector('select[name=crashHost]') as HTMLSelectElement;
    select.value = move.fault.host!;
    select.dispatchEvent(new Event('change'));
    await pg.idle();
    expect(button(pg, 'crash').textContent).toBe(move.fault.fault === 'crash' ? 'Crash' : 'Restart');
    button(pg, 'crash').click();
  }
  return pg.idle();
}

describe('playground: Export trace', () => {
  it('downloads the very file Node exports for the same moves, which evloop-sim replays', async () => {
    const pg = await mounted(SCENARIO, SEED);
    for (const move of MOVES) await play(pg, move);

    // the download: the blob the Export button hands to the browser
    const blobs: Blob[] = [];
    const createObjectURL = URL.createObjectURL.bind(URL);
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b: Blob | MediaSource) => {
      blobs.push(b as Blob);
      return createObjectURL(b);
    });
    button(pg, 'export').click();
    expect(blobs.length).toBe(1);
    const text = await blobs[0].text();
    expect(text).toBe(fixture);
    expect(pg.exportTrace()).toBe(fixture);

    // what the file says about where the page stood
    const file = JSON.parse(text);
    expect(file.input.until).toEqual({ events: pg.session.events });
    expect(file.input.faults).toEqual(pg.session.faults());
    expect(file.records).toEqual(pg.session.simulation.trace());
  });

  it('replays in the browser too, with the scenario module the page runs', async () => {
    const program = await import('../../packages/playground/scenarios/echo.mjs');
    const report = await tools.replay(fixture, program);
    expect(report.diverged).toBeNull();
    expect(report.divergence).toBeNull();
  });
});
