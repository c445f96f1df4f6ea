// Trace files, replay and diff on the sample programs (tests/sim-programs).
import { describe, expect, it } from 'vitest';
import {
  diffTraces,
  exportTrace,
  parseTrace,
  planInput,
  renderDiff,
  renderReplay,
  replay,
  runProgram,
  stringifyTrace,
  validateTrace,
  type TraceFile,
} from 'evloop/sim/tools';
import * as sim from 'evloop/sim';
import { loadSample } from './sim-tools-helpers.js';

/** A failing run of stale-register: seed 8 with a partition plan (NotLinearizable). */
async function failingTrace(): Promise<TraceFile> {
  const program = await loadSample('stale-register');
  const { trace, error } = await runProgram(program, { seed: 8, input: await planInput(program, 8, { families: ['partition'] }) });
  expect((error as Error).name).toBe('NotLinearizable');
  return trace;
}

describe('trace files', () => {
  it('export what a replay needs: options, input, decisions, records, and the failure', async () => {
    const trace = await failingTrace();
    expect(trace.format).toBe('evloop-sim-trace');
    expect(trace.version).toBe(1);
    expect(trace.seed).toBe(8);
    expect(trace.options).toMatchObject({ latency: [0.001, 0.002] });
    expect(trace.options).not.toHaveProperty('seed');
    expect(trace.input.faults).toEqual([
      expect.objectContaining({ fault: 'partition' }),
      expect.objectContaining({ fault: 'heal' }),
    ]);
    expect(Object.keys(trace.decisions)).toContain('link:r1>r3');
    expect(Object.keys(trace.decisions).some((s) => s.startsWith('link:'))).toBe(true);
    expect(trace.records.filter((r) => r.kind === 'fault').map((r) => r.fault)).toEqual(['partition', 'heal']);
    expect(trace.failure?.name).toBe('NotLinearizable');
    expect(validateTrace(trace)).toEqual([]);
    // The text form round-trips exactly (decisions are f64s: JSON keeps them).
    expect(parseTrace(stringifyTrace(trace))).toEqual(trace);
  });

  it('exportTrace works on any simulation', async () => {
    const s = new sim.Simulation({ seed: 3 });
    s.host('h').callLater(1, function tick() {});
    await s.runFor(2);
    const trace = exportTrace(s, {}, { seed: 3 });
    s.close();
    expect(trace.input).toEqual({ workload: [], faults: [], families: [] });
    expect(trace.records).toEqual([{ t: 1, host: 'h', kind: 'call', name: 'tick' }]);
  });

  it('rejects what is not a trace file, naming the problems', () => {
    expect(() => parseTrace('{')).toThrow(/not a trace file/);
    expect(validateTrace({ format: 'other', version: 2, options: { seed: 1 }, input: {}, decisions: { x: [2] }, records: [{}] })).toEqual([
      "format: expected 'evloop-sim-trace', got \"other\"",
      'version: expected 1, got 2',
      'options: must not hold seed or replay',
      'input.workload: expected an array',
      'input.faults: expected an array',
      'input.families: expected an array',
      'decisions["x"]: expected numbers in [0, 1)',
      'records[0]: expected { t, host, kind, ... }',
    ]);
  });
});

describe('replay', () => {
  it('reproduces a failing run from its trace file, without the seed', async () => {
    const program = await loadSample('stale-register');
    const file = JSON.parse(stringifyTrace(await failingTrace())) as TraceFile;
    delete file.seed;
    const report = await replay(file, program);
    expect(report.diverged).toBeNull();
    expect(report.divergence).toBeNull();
    expect(report.failure).toEqual(file.failure);
    expect(report.trace.records.length).toBe(file.records.length);
    expect(renderReplay(report)).toContain('no divergence');
  });

  it('replays from the decisions, not from a seed: a run of another seed replays too', async () => {
    const program = await loadSample('stale-register');
    const { trace } = await runProgram(program, { seed: 12345, input: await planInput(program, 3) });
    const { seed: _seed, ...file } = trace;
    expect((await replay(file as TraceFile, program)).diverged).toBeNull();
  });

  it('reports the first divergent record when the program changed', async () => {
    const changed = await loadSample('stale-register-changed');
    const file = await failingTrace();
    const report = await replay(file, changed);
    const at = file.records.findIndex((r) => r.t > (changed.PLANTED_AT as number));
    expect(report.diverged).toEqual({
      index: at,
      expected: file.records[at],
      actual: { t: 0.1, host: 'probe', kind: 'call', name: 'planted' },
    });
    expect(renderReplay(report)).toContain(`diverged at record ${at}:`);
  });

  it('reports the first draw a truncated record could not serve', async () => {
    const program = await loadSample('stale-register');
    const file = await failingTrace();
    const stream = 'link:r1>r3';
    const kept = file.decisions[stream]!.length - 1;
    const cut = { ...file, decisions: { ...file.decisions, [stream]: file.decisions[stream]!.slice(0, kept) } };
    const report = await replay(cut, program);
    expect(report.divergence).toMatchObject({ stream, index: kept });
  });
});

describe('diffTraces', () => {
  it('finds nothing between a trace and itself', async () => {
    const trace = await failingTrace();
    const report = diffTraces(trace, JSON.parse(JSON.stringify(trace)) as TraceFile);
    expect(report.identical).toBe(true);
    expect(report.first).toBeNull();
    expect(Object.values(report.hosts).every((d) => d === null)).toBe(true);
    expect(renderDiff(report)).toBe(`identical: ${trace.records.length} records`);
  });

  it('two seeds: the first divergence is the first latency drawn, on every host', async () => {
    const program = await loadSample('stale-register');
    const input = await planInput(program, 1);
    const a = (await runProgram(program, { seed: 1, input })).trace;
    const b = (await runProgram(program, { seed: 2, input })).trace;
    const report = diffTraces(a, b, { context: 2 });
    expect(report.identical).toBe(false);
    // Everything up to the client's first SYN is the same: its delivery time is the first draw of link client>r1.
    expect(report.first?.index).toBe(18);
    expect(a.records.slice(0, 18)).toEqual(b.records.slice(0, 18));
    expect(report.first?.a?.record).toMatchObject({ host: 'r1', kind: 'deliver', from: 'client', msg: 'syn' });
    expect(report.first?.b?.record).toMatchObject({ host: 'r1', kind: 'deliver', from: 'client', msg: 'syn' });
    expect(report.first?.context.a.map((e) => e.index)).toEqual([16, 17, 18, 19, 20]);
    expect(report.time?.host).toBe('r1');
    expect(Object.keys(report.hosts)).toEqual(expect.arrayContaining(['client', 'r1', 'r2', 'r3']));
    expect(renderDiff(report)).toContain('first at record 18:');
  });

  it('one program changed: per host, only the new host differs', async () => {
    const program = await loadSample('stale-register');
    const changed = await loadSample('stale-register-changed');
    const input = await planInput(program, 8, { families: ['partition'] });
    const a = (await runProgram(program, { seed: 8, input })).trace;
    const b = (await runProgram(changed, { seed: 8, input })).trace;
    const report = diffTraces(a, b);
    const at = a.records.findIndex((r) => r.t > 0.1);
    expect(report.first?.index).toBe(at);
    expect(report.first?.b?.record).toEqual({ t: 0.1, host: 'probe', kind: 'call', name: 'planted' });
    // In the global order every later record moved by one; each old host's own sequence did not change.
    expect(report.hosts).toMatchObject({ client: null, r1: null, r2: null, r3: null, '': null });
    expect(report.hosts.probe).toMatchObject({ position: 0, a: null, b: { index: at } });
    expect(renderDiff(report, { labels: ['old', 'new'] })).toMatch(/probe: differs at its record 0/);
  });
});
