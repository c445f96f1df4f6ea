// A run of the playground, exported, replays with `evloop-sim`: the page's Session
// (packages/playground/seek.js) driven in Node through the moves of
// tests/shared/playground-export.ts, exported the way "Export trace" does, is byte for byte the
// committed fixture (which the browser test gets by clicking the page), and
// `evloop-sim replay <file> packages/playground/scenarios/echo.mjs` re-runs it: exit 0; a file
// that no longer matches the run: exit 1 with the first divergent record.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as sim from 'evloop/sim';
import * as tools from 'evloop/sim/tools';
import { Session } from '../../packages/playground/seek.js';
import { FIXTURE, MOVES, SCENARIO, SEED } from '../shared/playground-export.js';
import { cliBin } from './sim-tools-helpers.js';

const root = resolve(import.meta.dirname, '../..');
const bin = cliBin;
const scenario = (name: string) => join(root, `packages/playground/scenarios/${name}.mjs`);
const fixture = join(root, 'tests/shared', FIXTURE);
const work = mkdtempSync(join(tmpdir(), 'evloop-playground-replay-'));
const update = process.env.EVLOOP_UPDATE_PLAYGROUND_EXPORT === '1';

afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The moves on a Session, as the page's buttons make them; the exported text. */
async function exported(): Promise<{ text: string; session: Session }> {
  const session = new Session(sim, SCENARIO, SEED);
  for (const move of MOVES) {
    if ('run' in move) await session.runFor(move.run);
    else if ('step' in move) await session.step();
    else if ('seek' in move) await session.seek(move.seek);
    else await session.apply(move.fault);
  }
  return { text: tools.stringifyTrace(session.traceFile(tools)), session };
}

describe('a playground export replays with evloop-sim', () => {
  it('the Session in Node exports the committed fixture, byte for byte', async () => {
    const { text, session } = await exported();
    try {
      const file = JSON.parse(text);
      expect(file.input.until).toEqual({ events: session.events });
      // the crash of the client dropped the heal and the restart clicked after it
      expect(file.input.faults.map((f: { fault: string; host?: string }) => [f.fault, f.host])).toEqual([
        ['partition', undefined],
        ['crash', 'server'],
        ['crash', 'client'],
      ]);
      expect(file.records).toEqual(session.simulation.trace());
      if (update) writeFileSync(fixture, text);
      expect(text).toBe(readFileSync(fixture, 'utf8'));
    } finally {
      session.close();
    }
  });

  it('replay <export> scenarios/echo.mjs: exit 0, no divergence', () => {
    const r = cli('replay', fixture, scenario('echo'));
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^no divergence: \d+ records, the same as the file/);
    expect(r.code).toBe(0);
  });

  it('a file that no longer matches its run: exit 1 at the first divergent record', () => {
    const file = JSON.parse(readFileSync(fixture, 'utf8'));
    // without the crash of the server, the run differs where that crash was
    const at = file.records.findIndex((r: { kind: string; fault?: string; host: string }) => r.kind === 'fault' && r.fault === 'crash');
    expect(at).toBeGreaterThan(0);
    file.input.faults = file.input.faults.filter((f: { fault: string; host?: string }) => !(f.fault === 'crash' && f.host === 'server'));
    const changed = join(work, 'changed.json');
    writeFileSync(changed, tools.stringifyTrace(file));
    const r = cli('replay', changed, scenario('echo'));
    expect(r.code).toBe(1);
    expect(r.out).toContain(`diverged at record ${at}:`);
    expect(r.out).toMatch(/ {2}expected: t=[\d.]+ server fault fault=crash\n/);

    // the other scenario's module does not make this run either
    const other = cli('replay', fixture, scenario('leader-follower'));
    expect(other.code).toBe(1);
    expect(other.out).toContain('diverged at record 0:');
  });

  it('the file replays in-process too, and stops where the page stood', async () => {
    const file = JSON.parse(readFileSync(fixture, 'utf8'));
    const program = await import('../../packages/playground/scenarios/echo.mjs');
    const report = await tools.replay(file, program);
    expect(report.diverged).toBeNull();
    expect(report.divergence).toBeNull();
    expect(report.trace.records.length).toBe(file.records.length);
    expect(report.trace.input.until).toEqual(file.input.until);
  });
});
