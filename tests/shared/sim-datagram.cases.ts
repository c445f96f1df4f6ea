// Datagrams between simulated hosts (createDatagramEndpoint in evloop/sim),
// shared by the Node and the browser suites: delivered with a latency, lost,
// partitioned and crashed away but never re-sent, duplicated and reordered
// by link settings, traced like segments; options a simulation cannot
// honour are refused by name.
import { expect, it } from 'vitest';
import type * as Sim from 'evloop/sim';
import { bytes, runUntil, text, type SimModule } from './sim-helpers.js';

class Rec implements Sim.DatagramProtocol {
  transport: Sim.DatagramTransport | null = null;
  got: [string, Sim.SocketAddress | null][] = [];
  errors: Error[] = [];
  echo = false;

  connectionMade(t: Sim.DatagramTransport): void {
    this.transport = t;
  }

  datagramReceived(data: Uint8Array, addr: Sim.SocketAddress | null): void {
    this.got.push([text(data), addr]);
    if (this.echo) this.transport!.sendto(data, addr as Sim.InetAddress);
  }

  errorReceived(exc: Error): void {
    this.errors.push(exc);
  }
}

async function endpoint(
  s: Sim.Simulation,
  host: Sim.Host,
  rec: Rec,
  opts: Sim.DatagramEndpointOptions,
): Promise<Sim.DatagramTransport> {
  const [t] = await s.runUntilComplete(host.createDatagramEndpoint(() => rec, opts));
  return t;
}

type Record = { kind: string; msg?: string; cause?: string; duplicate?: boolean };

const datagramRecords = (s: Sim.Simulation, kind: string): Record[] =>
  (s.trace() as unknown as Record[]).filter((r) => r.kind === kind && r.msg === 'datagram');

export function datagramCases(sim: SimModule): void {
  it('echoes datagrams between hosts after a latency, traced as send and deliver', async () => {
    const s = new sim.Simulation({ seed: 1, latency: [0.01, 0.02] });
    const server = s.host('server');
    const client = s.host('client');
    const srv = Object.assign(new Rec(), { echo: true });
    const st = await endpoint(s, server, srv, { localAddr: ['0.0.0.0', 53] });
    expect(st.getExtraInfo('sockname')).toEqual({ address: 'server', port: 53, family: 'sim' });
    expect(st.getExtraInfo('socket').type).toBe(sim.SOCK_DGRAM);
    const cli = new Rec();
    const ct = await endpoint(s, client, cli, { remoteAddr: ['server', 53] });
    expect(ct.getExtraInfo('peername')).toEqual({ address: 'server', port: 53, family: 'sim' });
    const t0 = s.now();
    ct.sendto(bytes('query'));
    ct.sendto(new Uint8Array(0));
    await runUntil(s, 1, () => cli.got.length === 2);
    expect(s.now() - t0).toBeGreaterThanOrEqual(0.02);
    expect(cli.got).toEqual([
      ['query', { address: 'server', port: 53, family: 'sim' }],
      ['', { address: 'server', port: 53, family: 'sim' }],
    ]);
    expect((srv.got[0][1] as Sim.InetAddress).address).toBe('client');
    expect(datagramRecords(s, 'send')).toHaveLength(4);
    expect(datagramRecords(s, 'deliver')).toHaveLength(4);
    expect(() => ct.sendto(bytes('x'), { address: 'server', port: 54 })).toThrow("Invalid address: must be None or ('server', 53)");
    s.close();
  });

  it('loss, partitions and crashes drop datagrams, which are never re-sent', async () => {
    const s = new sim.Simulation({ seed: 2 });
    const server = s.host('server');
    const client = s.host('client');
    const srv = new Rec();
    await endpoint(s, server, srv, { localAddr: ['0.0.0.0', 9] });
    const ct = await endpoint(s, client, new Rec(), { family: sim.AF_INET });
    const dest: [string, number] = ['server', 9];
    s.setLink('client', 'server', { loss: 1, oneWay: true });
    ct.sendto(bytes('lost'), dest);
    await s.runFor(5);
    s.setLink('client', 'server', { loss: 0, oneWay: true });
    s.partition(['client'], ['server']);
    ct.sendto(bytes('partitioned'), dest);
    await s.runFor(5);
    s.heal();
    s.crash('server');
    ct.sendto(bytes('to a crashed host'), dest);
    await s.runFor(5);
    expect(s.stats().dropped).toEqual({ loss: 1, partition: 1, crash: 1 });
    expect(datagramRecords(s, 'drop').map((r) => r.cause)).toEqual(['loss', 'partition', 'crash']);
    expect(datagramRecords(s, 'send')).toHaveLength(3);
    expect(srv.got).toEqual([]);
    s.close();
  });

  it('a connected endpoint to a port nobody bound gets ConnectionRefusedError', async () => {
    const s = new sim.Simulation({ seed: 3 });
    s.host('server');
    const client = s.host('client');
    const cli = new Rec();
    const ct = await endpoint(s, client, cli, { remoteAddr: { address: 'server', port: 1234 } });
    ct.sendto(bytes('anyone?'));
    await runUntil(s, 1, () => cli.errors.length > 0);
    expect(cli.errors[0]).toBeInstanceOf(sim.ConnectionRefusedError);
    expect((cli.errors[0] as Sim.OSError).code).toBe('ECONNREFUSED');
    expect(ct.isClosing()).toBe(false);
    s.close();
  });

  it('links can duplicate and reorder datagrams', async () => {
    const s = new sim.Simulation({ seed: 4 });
    const server = s.host('server');
    const client = s.host('client');
    const srv = new Rec();
    await endpoint(s, server, srv, { localAddr: ['0.0.0.0', 9] });
    const ct = await endpoint(s, client, new Rec(), { remoteAddr: ['server', 9] });
    s.setLink('client', 'server', { duplicate: 1 });
    ct.sendto(bytes('twice'));
    await runUntil(s, 1, () => srv.got.length === 2);
    expect(datagramRecords(s, 'send').filter((r) => r.duplicate)).toHaveLength(1);
    s.setLink('client', 'server', { duplicate: 0, reorder: 1, latency: [0.001, 0.1] });
    srv.got.length = 0;
    for (let i = 0; i < 20; i++) ct.sendto(bytes(String(i)));
    await runUntil(s, 1, () => srv.got.length === 20);
    const order = srv.got.map(([d]) => Number(d));
    expect([...order].sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(order).not.toEqual([...Array(20).keys()]);
    expect(() => s.setLink('client', 'server', { reorder: 2 })).toThrow('reorder must be a probability in [0, 1], got 2');
    s.close();
  });

  it('refuses the options a simulation cannot honour, naming them', async () => {
    const s = new sim.Simulation({ seed: 5 });
    const h = s.host('h');
    const refused = (opts: Sim.DatagramEndpointOptions) => s.runUntilComplete(h.createDatagramEndpoint(() => new Rec(), opts));
    await expect(refused({ localAddr: ['0.0.0.0', 1], reusePort: true })).rejects.toThrow(
      'create_datagram_endpoint(): reuse_port is not supported by the simulated network',
    );
    await expect(refused({ localAddr: ['0.0.0.0', 1], allowBroadcast: true })).rejects.toThrow(
      'create_datagram_endpoint(): allow_broadcast is not supported by the simulated network',
    );
    await expect(refused({ family: sim.AF_INET6, localAddr: ['0.0.0.0', 1] })).rejects.toThrow('family=10 (only AF_INET)');
    await expect(refused({ family: sim.AF_UNIX, localAddr: '/x.sock' })).rejects.toMatchObject({ code: 'EAFNOSUPPORT' });
    await expect(refused({ sock: 3 })).rejects.toThrow('no file descriptors');
    await expect(refused({ remoteAddr: ['nowhere', 1] })).rejects.toMatchObject({ name: 'gaierror' });
    await expect(refused({})).rejects.toThrow('unexpected address family');
    s.close();
  });

  it('the same seed gives the same trace with lossy links', async () => {
    const scenario = async (s: Sim.Simulation): Promise<void> => {
      const srv = Object.assign(new Rec(), { echo: true });
      await endpoint(s, s.host('server'), srv, { localAddr: ['0.0.0.0', 9] });
      const ct = await endpoint(s, s.host('client'), new Rec(), { remoteAddr: ['server', 9] });
      s.setLink('client', 'server', { loss: 0.3, duplicate: 0.2, reorder: 0.5 });
      for (let i = 0; i < 30; i++) ct.sendto(bytes(`n${i}`));
      await s.runFor(2);
    };
    expect(await sim.Simulation.checkDeterminism(scenario, { seed: 9 })).toEqual({ identical: true });
  });
}
