// checkLinearizable: hand-written histories with known answers, and a
// history recorded by a sample program (tests/sim-programs/stale-register.mjs).
import { describe, expect, it } from 'vitest';
import { checkLinearizable, describeCounterexample, planInput, registerModel, runProgram, type Operation } from 'evloop/sim/tools';
import { loadSample } from './sim-tools-helpers.js';

const w = (client: string, value: unknown, call: number, ret: number | null): Operation => ({ client, op: 'write', input: value, output: null, call, return: ret });
const r = (client: string, value: unknown, call: number, ret: number | null): Operation => ({ client, op: 'read', input: null, output: value, call, return: ret });
const cas = (client: string, from: unknown, to: unknown, ok: boolean | undefined, call: number, ret: number | null): Operation => ({
  client, op: 'cas', input: [from, to], output: ok, call, return: ret,
});

describe('checkLinearizable with a register', () => {
  const good: [string, Operation[]][] = [
    ['empty history', []],
    ['sequential write then read', [w('a', 1, 0, 1), r('b', 1, 2, 3)]],
    ['a read of the initial value', [r('a', null, 0, 1)]],
    ['a read concurrent with a write sees the old value', [w('a', 1, 0, 10), r('b', null, 1, 2)]],
    ['a read concurrent with a write sees the new value', [w('a', 1, 0, 10), r('b', 1, 1, 2)]],
    ['old then new while the write runs', [w('a', 1, 0, 10), r('b', null, 1, 2), r('b', 1, 3, 4)]],
    ['concurrent writes in either order', [w('a', 1, 0, 5), w('b', 2, 0, 5), r('c', 1, 6, 7)]],
    ['a pending write may have happened', [w('a', 1, 0, null), r('b', 1, 5, 6)]],
    ['a pending write may not have happened', [w('a', 1, 0, null), r('b', null, 5, 6)]],
    ['touching intervals count as concurrent', [w('a', 1, 0, 2), r('b', null, 2, 3)]],
  ];
  for (const [name, history] of good) {
    it(`accepts: ${name}`, () => {
      const result = checkLinearizable(history);
      expect(result.ok).toBe(true);
      // Every completed operation is placed (a pending one may be left out).
      if (result.ok) for (const op of history.filter((o) => o.return !== null)) expect(result.linearization).toContain(op);
    });
  }

  const bad: [string, Operation[]][] = [
    ['a stale read after the write returned', [w('a', 1, 0, 1), r('b', null, 2, 3)]],
    ['new then old while the write runs', [w('a', 1, 0, 10), r('b', 1, 1, 2), r('b', null, 3, 4)]],
    ['a value nobody wrote', [w('a', 1, 0, 1), r('b', 7, 2, 3)]],
    ['two readers see the writes in opposite orders', [
      w('a', 1, 0, 10), w('b', 2, 0, 10),
      r('c', 1, 11, 12), r('c', 2, 13, 14), r('c', 1, 15, 16),
    ]],
    ['a pending write seen, then unseen', [w('a', 1, 0, null), r('b', 1, 5, 6), r('b', null, 7, 8)]],
  ];
  for (const [name, history] of bad) {
    it(`rejects: ${name}`, () => {
      const result = checkLinearizable(history);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.counterexample.unplaced.length).toBeGreaterThan(0);
    });
  }

  it('returns a linearization that explains every output', () => {
    const result = checkLinearizable([r('c', 2, 1, 2), w('a', 1, 0, 10), w('b', 2, 0, 10)]);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.linearization.map((op) => `${op.op}:${String(op.input ?? op.output)}`)).toEqual(['write:1', 'write:2', 'read:2']);
  });

  it('describes a counterexample: the prefix it explained and the operation it could not place', () => {
    const result = checkLinearizable([w('a', 1, 0, 1), r('b', null, 2, 3)]);
    const text = describeCounterexample(result);
    expect(text).toContain('not linearizable');
    expect(text).toContain('a: write(1) [0, 1]');
    expect(text).toContain('b: read() -> null [2, 3]');
  });

  it('checks compare-and-set', () => {
    const model = registerModel({ cas: true, initial: 0 });
    expect(checkLinearizable([cas('a', 0, 1, true, 0, 1), cas('b', 0, 2, false, 2, 3), r('c', 1, 4, 5)], model).ok).toBe(true);
    expect(checkLinearizable([cas('a', 0, 1, true, 0, 1), cas('b', 0, 2, true, 2, 3)], model).ok).toBe(false);
    // Two concurrent CAS from 0 cannot both succeed.
    expect(checkLinearizable([cas('a', 0, 1, true, 0, 5), cas('b', 0, 2, true, 0, 5)], model).ok).toBe(false);
    expect(checkLinearizable([cas('a', 0, 1, undefined, 0, null), r('c', 1, 6, 7)], model).ok).toBe(true);
    expect(() => checkLinearizable([cas('a', 0, 1, true, 0, 1)])).not.toThrow();
    expect(checkLinearizable([cas('a', 0, 1, true, 0, 1)]).ok).toBe(false);
  });

  it('handles a long concurrent history quickly (the cache prunes equal states)', () => {
    const history: Operation[] = [];
    for (let i = 0; i < 12; i++) history.push(w(`w${i}`, i % 3, 0, 100));
    history.push(r('r', 2, 101, 102));
    const result = checkLinearizable(history);
    expect(result.ok).toBe(true);
    history.push(r('r', 5, 103, 104));
    expect(checkLinearizable(history).ok).toBe(false);
  });

  it('rejects malformed histories with a TypeError', () => {
    expect(() => checkLinearizable('x' as never)).toThrow(TypeError);
    expect(() => checkLinearizable([{ op: 'read', input: null, output: 1, call: 5, return: 1 }])).toThrow(/return must be a time >= call/);
    expect(() => checkLinearizable([{ op: 'frob', input: null, output: 1, call: 0, return: 1 }])).toThrow(/unknown operation/);
  });
});

describe('checkLinearizable on a recorded history', () => {
  it('accepts stale-register without faults and rejects it under a partition', async () => {
    const program = await loadSample('stale-register');
    const clean = await runProgram(program, { seed: 8, input: await planInput(program, 8) });
    expect(clean.error).toBeNull();
    const okHistory = program.lastHistory as Operation[];
    expect(okHistory.length).toBe(8);
    expect(checkLinearizable(okHistory).ok).toBe(true);

    const faulty = await runProgram(program, { seed: 8, input: await planInput(program, 8, { families: ['partition'] }) });
    expect((faulty.error as Error).name).toBe('NotLinearizable');
    const badHistory = program.lastHistory as Operation[];
    const result = checkLinearizable(badHistory);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      // The stale read: a replica cut off from the primary returns a value older than the last completed write.
      const stale = result.counterexample.unplaced[0]!;
      expect(stale.op).toBe('read');
    }
  });
});
