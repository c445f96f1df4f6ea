// SimLoop behaviour, shared by the Node and the browser suites so both targets run the same body.
import { expect, it, vi } from 'vitest';
import type * as Sim from 'evloop/sim';

export function simLoopCases(sim: typeof Sim): void {
  it('exports the core version', () => {
    expect(sim.coreVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('jumps virtual time to the next timer instead of waiting', () => {
    const loop = new sim.SimLoop();
    const start = loop.time();
    let firedAt = -1;
    loop.callLater(3600, () => {
      firedAt = loop.time();
      loop.stop();
    });
    const realStart = performance.now();
    loop.runForever();
    expect(performance.now() - realStart).toBeLessThan(1000);
    expect(firedAt).toBe(start + 3600);
    expect(loop.time()).toBe(start + 3600);
    loop.close();
  });

  it('runs callSoon callbacks first in, first out', () => {
    const loop = new sim.SimLoop();
    const order: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) loop.callSoon(() => order.push(name));
    loop.callSoon(() => loop.stop());
    loop.runForever();
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(loop.isRunning()).toBe(false);
    loop.close();
    expect(loop.isClosed()).toBe(true);
  });

  it('keeps running after a callback throws', () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const loop = new sim.SimLoop();
      const order: string[] = [];
      loop.callSoon(() => {
        order.push('before');
        throw new Error('boom');
      });
      loop.callSoon(() => order.push('after'));
      loop.callLater(1, () => {
        order.push('timer');
        loop.stop();
      });
      loop.runForever();
      expect(order).toEqual(['before', 'after', 'timer']);
      expect(consoleError).toHaveBeenCalled();
      loop.close();
    } finally {
      consoleError.mockRestore();
    }
  });
}
