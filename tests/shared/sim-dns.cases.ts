// Name resolution and connection racing on simulated hosts (evloop/sim),
// shared by the Node and the browser suites: getaddrinfo/getnameinfo over
// the simulation's host names after a drawn virtual delay, traced; and
// createConnection's address options honoured (one address per host) or
// refused by name.
import { expect, it } from 'vitest';
import type * as Sim from 'evloop/sim';
import { Echo, type SimModule } from './sim-helpers.js';

type Resolve = { kind: string; host: string; call?: string; query?: string; found?: number; error?: string };

const resolves = (s: Sim.Simulation): Resolve[] => (s.trace() as unknown as Resolve[]).filter((r) => r.kind === 'resolve');

export function dnsCases(sim: SimModule): void {
  it('getaddrinfo resolves host names after a drawn virtual delay, traced as "resolve"', async () => {
    const s = new sim.Simulation({ seed: 21 });
    s.host('server');
    const client = s.host('client');
    const infos = await s.runUntilComplete(client.getaddrinfo('server', 8080));
    expect(infos).toEqual([
      [sim.AF_INET, sim.SOCK_STREAM, sim.IPPROTO_TCP, '', { address: 'server', port: 8080, family: 'sim' }],
      [sim.AF_INET, sim.SOCK_DGRAM, sim.IPPROTO_UDP, '', { address: 'server', port: 8080, family: 'sim' }],
    ]);
    expect(s.now()).toBeGreaterThanOrEqual(0.001);
    expect(s.now()).toBeLessThanOrEqual(0.05);
    expect(resolves(s)).toEqual([expect.objectContaining({ host: 'client', call: 'getaddrinfo', query: 'server:8080', found: 2 })]);
    // localhost is the host itself; the stream type only when asked.
    const own = await s.runUntilComplete(client.getaddrinfo('localhost', null, { type: sim.SOCK_STREAM }));
    expect(own).toEqual([[sim.AF_INET, sim.SOCK_STREAM, sim.IPPROTO_TCP, '', { address: 'client', port: 0, family: 'sim' }]]);
    s.close();
  });

  it('an unknown name, a service name and IPv6 reject with gaierror naming getaddrinfo', async () => {
    const s = new sim.Simulation({ seed: 22 });
    const client = s.host('client');
    const fail = (p: PromiseLike<unknown>): Promise<unknown> => s.runUntilComplete(p as Sim.Future<unknown>).then(() => null, (e: unknown) => e);
    expect(await fail(client.getaddrinfo('nowhere', 80))).toMatchObject({
      name: 'gaierror',
      errno: -2,
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
      message: '[Errno -2] Name or service not known',
    });
    expect(await fail(client.getaddrinfo('client', 'http'))).toMatchObject({ name: 'gaierror', errno: -8 });
    expect(await fail(client.getaddrinfo('client', 80, { family: sim.AF_INET6 }))).toMatchObject({ name: 'gaierror', errno: -9 });
    expect(resolves(s).map((r) => r.error)).toEqual(['ENOTFOUND', 'EAI_SERVICE', 'EAI_ADDRFAMILY']);
    expect(await fail(client.getnameinfo(['nowhere', 80]))).toBeInstanceOf(sim.gaierror);
    s.close();
  });

  it('getnameinfo names a host by its address', async () => {
    const s = new sim.Simulation({ seed: 23 });
    s.host('server');
    const client = s.host('client');
    expect(await s.runUntilComplete(client.getnameinfo({ address: 'server', port: 80 }))).toEqual(['server', '80']);
    s.close();
  });

  it('the same seed gives the same lookups, byte for byte', async () => {
    const setup = async (s: Sim.Simulation): Promise<void> => {
      s.host('server');
      const client = s.host('client');
      for (const name of ['server', 'client', 'nowhere']) {
        await s.runUntilComplete(client.getaddrinfo(name, 1)).catch(() => null);
      }
    };
    expect(await sim.Simulation.checkDeterminism(setup, { seed: 24 })).toEqual({ identical: true });
  });

  it('createConnection honours the racing options with one address per host and refuses the rest', async () => {
    const s = new sim.Simulation({ seed: 25 });
    const server = s.host('server');
    const client = s.host('client');
    await s.runUntilComplete(server.createServer(() => new Echo(), null, 80));
    const [t] = await s.runUntilComplete(
      client.createConnection(() => ({}), 'server', 80, { happyEyeballsDelay: 0.25, interleave: 1, localAddr: ['client', 0] }),
    );
    expect(t.getExtraInfo('peername')).toEqual({ address: 'server', port: 80, family: 'sim' });
    t.close();
    const fail = (opts: Sim.ConnectionOptions, port = 80): Promise<unknown> =>
      s.runUntilComplete(client.createConnection(() => ({}), 'server', port, opts)).then(() => null, (e: unknown) => e);
    const group = await fail({ allErrors: true }, 81);
    expect(group).toBeInstanceOf(AggregateError);
    expect((group as AggregateError).errors).toEqual([expect.objectContaining({ name: 'ConnectionRefusedError', message: "[Errno 111] Connect call failed ('server', 81)" })]);
    expect(await fail({ localAddr: ['server', 0] })).toMatchObject({ name: 'OSError', code: 'EADDRNOTAVAIL' });
    expect(await fail({ localAddr: ['client', 5000] })).toMatchObject({ name: 'ValueError' });
    expect(await fail({ family: sim.AF_INET6 })).toMatchObject({ name: 'gaierror', errno: -9 });
    expect(await fail({ proto: sim.IPPROTO_UDP })).toMatchObject({ code: 'EPROTONOSUPPORT' });
    s.close();
  });
}
