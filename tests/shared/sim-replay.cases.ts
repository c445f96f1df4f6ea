// The simulation's power tools (decisions and replay, scheduled faults,
// buggify, hostState, options), shared by the Node and the browser suites.
import { expect, it } from 'vitest';
import type * as Sim from 'evloop/sim';
import { echoServerHost, payload, Recorder, runUntil, type SimModule } from './sim-helpers.js';

/** A lossy echo run that draws from every kind of stream. */
async function lossyRun(sim: SimModule, options: Sim.SimulationOptions): Promise<Sim.Simulation> {
  const s = new sim.Simulation({ latency: [0.001, 0.01], loss: 0.3, buggify: true, ...options });
  echoServerHost(s, 'server', 7);
  const client = s.host('client');
  const rec = new Recorder();
  const [t] = await s.runUntilComplete(client.createConnection(() => rec, 'server', 7));
  const data = payload(50_000, 3);
  t.write(data);
  client.random();
  if (s.buggify('early-close', 0.5)) client.callLater(10, function lateClose() {});
  client.buggify('slow', 0.5);
  await runUntil(s, 60, () => rec.data.length === data.length);
  t.close();
  await s.runFor(2);
  return s;
}

export function simReplayCases(sim: SimModule): void {
  // ------------------------------------------------------------ decisions and replay

  it('records every decision by stream, and a replay with another seed reproduces the trace', async () => {
    const a = await lossyRun(sim, { seed: 11 });
    const d = a.decisions();
    expect(Object.keys(d)).toEqual(['buggify:early-close', 'buggify:slow', 'host:client', 'link:client>server', 'link:server>client']);
    for (const values of Object.values(d)) for (const x of values) expect(x >= 0 && x < 1).toBe(true);
    expect(a.stats().dropped.loss).toBeGreaterThan(0);
    expect(a.divergence()).toBeNull();
    const trace = JSON.stringify(a.trace());

    const other = await lossyRun(sim, { seed: 12 });
    expect(JSON.stringify(other.trace())).not.toBe(trace);

    // Through JSON (a trace file), without the seed at all.
    const replay = JSON.parse(JSON.stringify(d));
    const b = await lossyRun(sim, { replay });
    expect(JSON.stringify(b.trace())).toBe(trace);
    expect(b.decisions()).toEqual(d);
    expect(b.divergence()).toBeNull();
    for (const s of [a, other, b]) s.close();
  });

  it('reports where a replay ran out of its record: stream, index, event', async () => {
    const a = await lossyRun(sim, { seed: 11 });
    const d = a.decisions();
    const cut = Math.floor(d['link:client>server'].length / 2);
    d['link:client>server'].length = cut;
    const b = await lossyRun(sim, { seed: 999, replay: d });
    const div = b.divergence();
    expect(div).not.toBeNull();
    expect(div?.stream).toBe('link:client>server');
    expect(div?.index).toBe(cut);
    expect(div?.event).toBeGreaterThan(0);
    expect(div!.event).toBeLessThanOrEqual(b.events());
    // A stream with no record misses at its first draw.
    const c = await lossyRun(sim, { seed: 11, replay: { 'host:client': [0.5] } });
    const first = c.divergence();
    expect(first?.index).toBe(0);
    expect(first?.stream).not.toBe('host:client');
    for (const s of [a, b, c]) s.close();
  });

  // ------------------------------------------------------------ schedule

  it('schedule() applies faults at their time, before the rest of that time, as fault records', async () => {
    const s = new sim.Simulation({ seed: 1 });
    s.host('a');
    s.host('b');
    const a = s.getHost('a')!;
    a.callLater(1, function tick() {});
    s.schedule(2, { fault: 'skew', host: 'b', seconds: 5 });
    s.schedule(1, { fault: 'partition', a: ['a'], b: 'b', oneWay: true });
    s.schedule(1, { at: 1, fault: 'pause', host: 'b' });
    s.schedule(1.5, { fault: 'link', a: 'a', b: 'b', latency: [0.01, 0.02], loss: 0.1 });
    await s.runFor(0.5);
    expect(s.stats().faults.partition).toBe(0);
    await s.runFor(2);
    const records = s.trace().filter((r) => r.kind === 'fault' || r.kind === 'call');
    expect(records.map((r) => [r.t, r.fault ?? r.name])).toEqual([
      [1, 'partition'],
      [1, 'pause'],
      [1, 'tick'],
      [1.5, 'link'],
      [2, 'skew'],
    ]);
    expect(records[0]).toMatchObject({ host: '', a: 'a', b: 'b', one_way: true });
    expect(s.getHost('b')!.wallTime() - a.wallTime()).toBe(5);
    s.close();
  });

  it('a scheduled restart moves the host object to the new life and runs its program again', async () => {
    const s = new sim.Simulation({ seed: 2 });
    const { host, out } = echoServerHost(s, 'server', 7);
    s.schedule(0.5, { fault: 'crash', host: 'server' });
    s.schedule(1, { fault: 'restart', host: 'server' });
    await s.runFor(0.7);
    expect(host.isCrashed()).toBe(true);
    await s.runFor(1);
    expect(host.isCrashed()).toBe(false);
    expect(out.starts).toBe(2);
    let fired = false;
    host.callSoon(() => {
      fired = true;
    });
    await s.runFor(0.1);
    expect(fired).toBe(true);
    s.close();
  });

  it('schedule() rejects bad times and bad faults with errors naming the call and the argument', async () => {
    const s = new sim.Simulation();
    s.host('a');
    const bad = (at: unknown, fault: unknown) => () => s.schedule(at as number, fault as Sim.Fault);
    expect(bad('1', { fault: 'crash', host: 'a' })).toThrow(TypeError);
    expect(bad('1', { fault: 'crash', host: 'a' })).toThrow(/schedule\(\): at/);
    expect(bad(-1, { fault: 'crash', host: 'a' })).toThrow(sim.ValueError);
    expect(bad(Number.NaN, { fault: 'crash', host: 'a' })).toThrow(/schedule\(\): at/);
    for (const [fault, msg] of [
      [null, /schedule\(\): fault must be an object/],
      [{ fault: 'explode' }, /schedule\(\): fault\.fault must be one of/],
      [{ fault: 'crash' }, /schedule\(\): fault\.host must be a host name/],
      [{ fault: 'crash', host: 'a', hots: 'b' }, /unknown key 'hots'/],
      [{ fault: 'partition', a: ['a'], b: [1] }, /fault\.b must be a host name or an array/],
      [{ fault: 'heal', b: 'a' }, /fault\.b needs fault\.a/],
      [{ fault: 'link', a: 'a', b: 'b', loss: 2 }, /fault\.loss must be a probability/],
      [{ fault: 'link', a: 'a', b: 'b', latency: [2, 1] }, /fault\.latency/],
      [{ fault: 'partition', a: 'a', b: 'b', oneWay: 'yes' }, /fault\.oneWay must be a boolean/],
      [{ fault: 'skew', host: 'a', seconds: Infinity }, /fault\.seconds must be a finite number/],
    ] as const) {
      expect(bad(1, fault), JSON.stringify(fault)).toThrow(sim.ValueError);
      expect(bad(1, fault), JSON.stringify(fault)).toThrow(msg);
    }
    // Names are looked up when the fault applies: that step fails.
    s.schedule(1, { fault: 'crash', host: 'nobody' });
    await expect(s.runFor(2)).rejects.toThrow(/unknown host 'nobody'/);
    s.close();
  });

  // ------------------------------------------------------------ buggify

  it('buggify is false without a draw unless enabled, deterministic per seed when it is', async () => {
    const off = new sim.Simulation({ seed: 5 });
    const h = off.host('h');
    for (let i = 0; i < 20; i++) {
      expect(off.buggify('drop-reply', 1)).toBe(false);
      expect(h.buggify('drop-reply', 1)).toBe(false);
    }
    expect(off.decisions()).toEqual({});
    expect(off.trace()).toEqual([]);

    const draw = (opts: Sim.SimulationOptions) => {
      const s = new sim.Simulation(opts);
      const host = s.host('h');
      const hits = Array.from({ length: 40 }, (_, i) => (i % 2 ? host.buggify('q', 0.5) : s.buggify('p')));
      return { s, hits };
    };
    const one = draw({ seed: 5, buggify: true });
    const again = draw({ seed: 5, buggify: true });
    const other = draw({ seed: 6, buggify: true });
    expect(again.hits).toEqual(one.hits);
    expect(other.hits).not.toEqual(one.hits);
    expect(one.hits).toContain(true);
    expect(one.hits).toContain(false);
    const records = one.s.trace().filter((r) => r.kind === 'buggify');
    expect(records.length).toBe(one.hits.filter(Boolean).length);
    for (const r of records) expect(r.host === '' ? r.name === 'p' : r.host === 'h' && r.name === 'q').toBe(true);
    // Only the named points: 'p' draws exactly as before, 'q' never.
    const only = draw({ seed: 5, buggify: ['p'] });
    expect(only.hits).toEqual(one.hits.map((x, i) => i % 2 === 0 && x));
    expect(Object.keys(only.s.decisions())).toEqual(['buggify:p']);
    for (const s of [off, one.s, again.s, other.s, only.s]) s.close();
  });

  it('buggify inside a host callback is recorded on that host', async () => {
    const s = new sim.Simulation({ seed: 1, buggify: ['always'] });
    const hits: boolean[] = [];
    s.host('worker', async (loop) => {
      await loop.sleep(0.5);
      hits.push(s.buggify('always', 1));
    });
    await s.runFor(1);
    expect(hits).toEqual([true]);
    expect(s.trace().filter((r) => r.kind === 'buggify')).toEqual([{ t: 0.5, host: 'worker', kind: 'buggify', name: 'always' }]);
    s.close();
  });

  it('buggify and the new options reject bad arguments', () => {
    const s = new sim.Simulation({ buggify: true });
    const h = s.host('h');
    expect(() => s.buggify(1 as unknown as string)).toThrow(TypeError);
    expect(() => s.buggify(1 as unknown as string)).toThrow(/buggify\(\): name must be a string/);
    expect(() => s.buggify('')).toThrow(sim.ValueError);
    expect(() => s.buggify('x', 2)).toThrow(/buggify\(\): p must be a probability/);
    expect(() => h.buggify('x', '0.5' as unknown as number)).toThrow(/buggify\(\): p must be a number/);
    expect(() => new sim.Simulation({ buggify: 'yes' as unknown as boolean })).toThrow(/Simulation\(\): buggify must be/);
    expect(() => new sim.Simulation({ replay: [] as unknown as Sim.Decisions })).toThrow(/Simulation\(\): replay must be an object/);
    expect(() => new sim.Simulation({ replay: { 'host:a': 0.5 } as unknown as Sim.Decisions })).toThrow(TypeError);
    expect(() => new sim.Simulation({ replay: { 'host:a': [1] } })).toThrow(sim.ValueError);
    expect(() => new sim.Simulation({ replay: { 'host:a': [1] } })).toThrow(/Simulation\(\): replay stream 'host:a' value 0 must be in \[0, 1\)/);
    expect(() => s.hostState('nobody')).toThrow(/unknown host 'nobody'/);
    expect(() => s.hostState(3 as unknown as string)).toThrow(/hostState\(\): a host name must be a string/);
    s.close();
  });

  // ------------------------------------------------------------ hostState, options

  it('hostState shows the ready callbacks and the timers in run order', async () => {
    const s = new sim.Simulation();
    const h = s.host('h');
    h.callSoon(function first() {});
    h.callSoon(function dropped() {}).cancel();
    h.callSoon(function second() {});
    h.callLater(2, function later() {});
    h.callLater(1, function sooner() {});
    h.callLater(2, function laterToo() {});
    h.callLater(0.5, function never() {}).cancel();
    expect(s.hostState('h')).toEqual({
      ready: ['first', 'second'],
      timers: [
        { when: 1, label: 'sooner' },
        { when: 2, label: 'later' },
        { when: 2, label: 'laterToo' },
      ],
    });
    await s.step();
    expect(s.hostState('h').ready).toEqual([]);
    s.crash('h');
    expect(s.hostState('h')).toEqual({ ready: [], timers: [] });
    s.close();
  });

  it('options() is what the simulation was made with, but the seed and the replay', () => {
    const s = new sim.Simulation({ seed: 4, latency: 0.002, loss: 0.1, buggify: ['b', 'a'], replay: {}, microtaskTurns: 8 });
    const o = s.options();
    expect(o).toEqual({
      latency: [0.002, 0.002],
      loss: 0.1,
      connectTimeout: 10,
      streamTimeout: 30,
      trace: true,
      buggify: ['a', 'b'],
      microtaskTurns: 8,
    });
    // Plain JSON, and valid options again.
    const again = new sim.Simulation(JSON.parse(JSON.stringify(o)));
    expect(again.options()).toEqual(o);
    expect(new sim.Simulation().options()).toMatchObject({ latency: [0.001, 0.005], loss: 0, buggify: false });
    s.close();
    again.close();
  });
}
