// Signals and executors on simulated hosts, shared by the Node and the browser suites:
// `sim.signal(name, sig)` is a traced fault delivered to the host's handler as a loop callback,
// and runInExecutor's work completes after a virtual delay drawn from the host's executor stream.
import { expect, it } from 'vitest';
import type * as Sim from 'evloop/sim';
import type { SimModule } from './sim-helpers.js';

/** A host whose handler records (time, tag) for SIGTERM. */
function handlerHost(s: Sim.Simulation, seen: [number, string][]): Sim.Host {
  return s.host('h', (loop) => {
    loop.addSignalHandler('SIGTERM', (tag: string) => void seen.push([loop.time(), tag]), 'term');
  });
}

/** Three executor jobs on one host: their results and completion times, and the trace. */
async function executorRun(sim: SimModule, seed: number): Promise<{ done: [number, unknown][]; trace: string; decisions: Sim.Decisions }> {
  const s = new sim.Simulation({ seed });
  const h = s.host('h');
  const done: [number, unknown][] = [];
  // On a simulated host the function runs on the host itself, when its delay has passed.
  const futs = [1, 2, 3].map((n) =>
    h.runInExecutor(null, (x: number) => {
      done.push([h.time(), x]);
      return x * 10;
    }, n),
  );
  const results: unknown[] = [];
  for (const f of futs) results.push(await s.runUntilComplete(f));
  expect(results).toEqual([10, 20, 30]);
  return { done, trace: JSON.stringify(s.trace()), decisions: s.decisions() };
}

export function simSignalExecutorCases(sim: SimModule): void {
  it('sim.signal() is a traced fault that runs the host handler as a loop callback', async () => {
    const s = new sim.Simulation({ seed: 1 });
    const seen: [number, string][] = [];
    const h = handlerHost(s, seen);
    await s.runFor(1);
    s.signal('h', sim.SIGTERM);
    expect(seen).toEqual([]);
    await s.runFor(1);
    expect(seen).toEqual([[1, 'term']]);
    const faults = s.trace().filter((r) => r.kind === 'fault');
    expect(faults).toEqual([expect.objectContaining({ host: 'h', fault: 'signal', sig: 15, handled: true })]);
    expect(s.stats().faults.signal).toBe(1);

    // Without a handler the signal passes (traced, counted), and nothing runs.
    expect(h.removeSignalHandler('SIGTERM')).toBe(true);
    s.signal('h', 'SIGTERM');
    await s.runFor(1);
    expect(seen).toHaveLength(1);
    expect(s.trace().filter((r) => r.kind === 'fault').at(-1)).toMatchObject({ fault: 'signal', handled: false });
    expect(s.stats().faults.signal).toBe(2);

    expect(() => s.signal('nobody', 'SIGTERM')).toThrow(sim.ValueError);
    expect(() => s.signal('h', 'SIGNOPE')).toThrow(/unknown signal name 'SIGNOPE'/);
    expect(() => s.signal('h', 999)).toThrow(new sim.ValueError('invalid signal number 999'));
    expect(() => h.addSignalHandler(9, () => {})).toThrow(new sim.RuntimeError('sig 9 cannot be caught'));
  });

  it('schedule() applies a signal at its time; a restarted host starts without handlers', async () => {
    const s = new sim.Simulation({ seed: 2 });
    const seen: [number, string][] = [];
    handlerHost(s, seen);
    s.schedule(2, { fault: 'signal', host: 'h', sig: 'SIGTERM' });
    await s.runFor(3);
    expect(seen).toEqual([[2, 'term']]);
    s.crash('h');
    const h = s.restart('h');
    // The program ran again and added its handler in the new life.
    await s.runFor(1);
    expect(h.isClosed()).toBe(false);
    s.signal('h', 'SIGTERM');
    await s.runFor(1);
    expect(seen.map(([, tag]) => tag)).toEqual(['term', 'term']);
    expect(() => s.schedule(5, { fault: 'signal', host: 'h', sig: 'SIGNOPE' })).toThrow(sim.ValueError);
  });

  it('runInExecutor completes after a drawn virtual delay, identically on replay', async () => {
    const a = await executorRun(sim, 7);
    expect(a.done.map(([, v]) => v).sort()).toEqual([1, 2, 3]);
    for (const [t] of a.done) expect(t > 0 && t < 0.06).toBe(true);
    expect(Object.keys(a.decisions)).toEqual(['executor:h']);
    expect(a.decisions['executor:h']).toHaveLength(3);
    const again = await executorRun(sim, 7);
    expect(again).toEqual(a);
    const other = await executorRun(sim, 8);
    expect(other.done).not.toEqual(a.done);
  });

  it("runInExecutor's errors and cancellation; what a simulated host refuses", async () => {
    const s = new sim.Simulation({ seed: 3 });
    const h = s.host('h');
    const failing = h.runInExecutor(null, () => {
      throw new RangeError('bad');
    });
    await expect(s.runUntilComplete(failing)).rejects.toThrow(new RangeError('bad'));
    const cancelled = h.runInExecutor(null, () => 1);
    cancelled.cancel();
    await s.runFor(1);
    expect(cancelled.cancelled()).toBe(true);
    expect(() => h.runInExecutor({} as never, () => 1)).toThrow(sim.NotImplementedError);
    expect(() => h.setDefaultExecutor({} as never)).toThrow(sim.NotImplementedError);
    expect(() => h.runInExecutor(null, sim.workerFunction('file:///x.js', 'f'))).toThrow(/loads no worker modules/);
    await s.runUntilComplete(h.shutdownDefaultExecutor());
    expect(() => h.runInExecutor(null, () => 1)).toThrow(new sim.RuntimeError('Executor shutdown has been called'));
  });
}
