// Raw sockets on a simulated host: socket(), the sock* methods, sendfile and
// connectAcceptedSocket throw (or reject with) NotImplementedError naming the
// call: the simulation's back end has no socket capability. Shared by the Node
// and the browser suites.
import { expect, it } from 'vitest';
import type { SimModule } from './sim-helpers.js';

export function simSocketCases(sim: SimModule): void {
  it('socket(), the sock* methods, sendfile and connectAcceptedSocket are NotImplementedError naming the call', async () => {
    expect(() => sim.socket()).toThrow(new sim.NotImplementedError('socket() is not supported on a simulated host'));
    const s = new sim.Simulation({ seed: 1 });
    const host = s.host('h');
    const buf = new Uint8Array(4);
    const calls: [string, () => PromiseLike<unknown>][] = [
      ['sockAccept', () => host.sockAccept(3)],
      ['sockConnect', () => host.sockConnect(3, ['h', 80])],
      ['sockRecv', () => host.sockRecv(3, 10)],
      ['sockRecvInto', () => host.sockRecvInto(3, buf)],
      ['sockRecvfrom', () => host.sockRecvfrom(3, 10)],
      ['sockRecvfromInto', () => host.sockRecvfromInto(3, buf)],
      ['sockSendall', () => host.sockSendall(3, buf)],
      ['sockSendto', () => host.sockSendto(3, buf, ['h', 80])],
      ['sockSendfile', () => host.sockSendfile(3, 4)],
      ['connectAcceptedSocket', () => host.connectAcceptedSocket(() => ({}), 3)],
    ];
    for (const [name, run] of calls) {
      const err = await Promise.resolve(run()).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(sim.NotImplementedError);
      expect((err as Error).message).toBe(`${name}() is not supported on a simulated host`);
    }
    // sendfile on a simulated transport, from a program on the host.
    const seen: unknown[] = [];
    s.host('server', async (h) => {
      await h.createServer(() => ({}), null, 80);
    });
    s.host('client', async (h) => {
      const [t] = await h.createConnection(() => ({}), 'server', 80);
      seen.push(await h.sendfile(t, 4).then(() => null, (e: unknown) => e));
      t.close();
    });
    await s.runFor(5);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(sim.NotImplementedError);
    expect((seen[0] as Error).message).toBe('sendfile() is not supported on a simulated host');
    s.close();
  });
}
