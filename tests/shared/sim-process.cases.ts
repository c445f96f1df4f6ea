// Subprocesses and pipes on a simulated host: every call rejects with
// NotImplementedError naming it. Shared by the Node and the browser suites.
import { expect, it } from 'vitest';
import type { SimModule } from './sim-helpers.js';

export function simProcessCases(sim: SimModule): void {
  it('subprocesses and pipes on a simulated host reject with NotImplementedError naming the call', async () => {
    const s = new sim.Simulation({ seed: 1 });
    const host = s.host('h');
    const factory = () => ({});
    const calls: [string, () => Promise<unknown>][] = [
      ['subprocessExec', () => host.subprocessExec(factory, 'sh', ['-c', 'true'])],
      ['subprocessShell', () => host.subprocessShell(factory, 'true')],
      ['connectReadPipe', () => host.connectReadPipe(factory, 0)],
      ['connectWritePipe', () => host.connectWritePipe(factory, { fileno: () => 1 })],
    ];
    for (const [name, run] of calls) {
      const err = await run().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(sim.NotImplementedError);
      expect((err as Error).message).toBe(`${name}() is not supported on a simulated host`);
    }
    // The package functions, from a program on the host (its running loop).
    const seen: unknown[] = [];
    s.host('p', async () => {
      seen.push(await sim.createSubprocessExec('true').then(() => null, (e: unknown) => e));
      seen.push(await sim.createSubprocessShell('true', { stdout: sim.PIPE }).then(() => null, (e: unknown) => e));
    });
    await s.runFor(1);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBeInstanceOf(sim.NotImplementedError);
    expect((seen[0] as Error).message).toBe('createSubprocessExec() is not supported on a simulated host');
    expect((seen[1] as Error).message).toBe('createSubprocessShell() is not supported on a simulated host');
    s.close();
  });
}
