// Simulation behaviour (API.md, "TypeScript, subpath evloop/sim"), shared by
// the Node and the browser suites so both targets run the same bodies.
import { expect, it, vi } from 'vitest';
import type * as Sim from 'evloop/sim';
import { bytes, echoServerHost, payload, Recorder, runUntil, text, type SimModule } from './sim-helpers.js';

/** A small scenario driven from outside: two hosts, a protocol echo, some timers. */
async function pingPong(sim: SimModule, s: Sim.Simulation): Promise<void> {
  echoServerHost(s, 'server', 7);
  const client = s.host('client', async (loop) => {
    for (let i = 0; i < 3; i++) {
      await loop.sleep(0.01 * (i + 1));
      loop.callSoon(function tick() {});
    }
  });
  const rec = new Recorder();
  const [t] = await s.runUntilComplete(client.createConnection(() => rec, 'server', 7));
  for (let i = 0; i < 5; i++) t.write(bytes(`ping ${i};`));
  await runUntil(s, 5, () => rec.text.length === 35);
  t.close();
  await s.runFor(1);
  void sim;
}

export function simulationCases(sim: SimModule): void {
  // ------------------------------------------------------------ determinism

  it('gives the same trace, byte for byte, for the same seed, and another for another seed', async () => {
    const run = async (seed: number) => {
      const s = new sim.Simulation({ seed, latency: [0.001, 0.05] });
      await pingPong(sim, s);
      const json = JSON.stringify(s.trace());
      s.close();
      return json;
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a.length).toBeGreaterThan(100);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('checkDeterminism reports identical runs, and the first divergence of different ones', async () => {
    const same = await sim.Simulation.checkDeterminism((s) => pingPong(sim, s), { seed: 3 });
    expect(same).toEqual({ identical: true });
    let run = 0;
    const differ = await sim.Simulation.checkDeterminism(async (s) => {
      run += 1;
      const h = s.host('h');
      h.callLater(run, function late() {});
      await s.runFor(5);
    }, { seed: 3 });
    expect(differ.identical).toBe(false);
    expect(differ.firstDivergence?.index).toBe(0);
    expect(differ.firstDivergence?.a).toEqual({ t: 1, host: 'h', kind: 'call', name: 'late' });
    expect(differ.firstDivergence?.b).toEqual({ t: 2, host: 'h', kind: 'call', name: 'late' });
  });

  it('makes async/await inside programs deterministic: continuations run before the next event', async () => {
    const order = async (seed: number) => {
      const s = new sim.Simulation({ seed });
      const seen: string[] = [];
      for (const name of ['a', 'b', 'c']) {
        s.host(name, async (loop) => {
          for (let i = 0; i < 3; i++) {
            const f = loop.createFuture<number>();
            loop.callLater(loop.random() * 0.01, () => f.setResult(i));
            const v = await f;
            // a continuation that runs a few turns later still sees the same virtual time
            await Promise.resolve();
            await null;
            seen.push(`${name}${v}@${loop.time()}:${sim.getRunningLoop().name}`);
          }
        });
      }
      await s.runFor(1);
      s.close();
      return seen;
    };
    const first = await order(11);
    expect(first).toHaveLength(9);
    for (const entry of first) {
      const [who, at] = entry.split(':');
      expect(at).toBe(who[0]); // the running loop is the host whose step released the continuation
    }
    expect(await order(11)).toEqual(first);
  });

  it('runs a deep chain of continuations before the next event; microtaskTurns bounds the wait', async () => {
    const order = async (microtaskTurns?: number) => {
      const s = new sim.Simulation({ microtaskTurns });
      const seen: string[] = [];
      const nested = async (depth: number): Promise<number> => (depth === 0 ? 0 : 1 + (await nested(depth - 1)));
      s.host('a', async (loop) => {
        await loop.sleep(1);
        await nested(10); // about 20 microtask turns without touching the simulation
        loop.callSoon(() => seen.push(`a@${loop.time()}`));
      });
      const b = s.host('b');
      b.callAt(1, () => seen.push(`b@${b.time()}`));
      await s.runFor(2);
      await s.runFor(1);
      s.close();
      return seen;
    };
    // a's continuation schedules its callback at t=1, before b's timer (same time, a was created first)
    expect(await order()).toEqual(['a@1', 'b@1']);
    // with a single idle turn the driver moves on first (deterministic still, but late)
    // (a's callSoon then comes after the simulation closed: reported, not thrown)
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect((await order(1))[0]).toBe('b@1');
    } finally {
      quiet.mockRestore();
    }
  });

  it('by default lets every continuation run before the next event, however deep the chain', async () => {
    // 2,000 nested awaits (thousands of microtask turns) and chains through plain promises:
    // each host's callback still comes before the other's timer due at the same time.
    const s = new sim.Simulation();
    const seen: string[] = [];
    const nested = async (depth: number): Promise<number> => (depth === 0 ? 0 : 1 + (await nested(depth - 1)));
    const thenChain = (n: number): Promise<number> => {
      let p = Promise.resolve(0);
      for (let i = 0; i < n; i++) p = p.then((v) => v + 1);
      return p;
    };
    s.host('a', async (loop) => {
      for (let round = 1; round <= 3; round++) {
        await loop.sleep(1);
        expect(await nested(2000)).toBe(2000);
        expect(await thenChain(500)).toBe(500);
        loop.callSoon(() => seen.push(`a@${loop.time()}`));
      }
    });
    const b = s.host('b');
    for (let t = 1; t <= 3; t++) b.callAt(t, () => seen.push(`b@${b.time()}`));
    await s.runFor(4);
    expect(seen).toEqual(['a@1', 'b@1', 'a@2', 'b@2', 'a@3', 'b@3']);
    // The same with step() and runUntilComplete().
    const s2 = new sim.Simulation();
    const seen2: string[] = [];
    s2.host('a', async (loop) => {
      await loop.sleep(1);
      await nested(3000);
      loop.callSoon(() => seen2.push('a'));
    });
    const b2 = s2.host('b');
    b2.callAt(1, () => seen2.push('b'));
    while (seen2.length < 2 && (await s2.step()));
    expect(seen2).toEqual(['a', 'b']);
    const f = b2.createFuture<string>();
    b2.callAt(2, () => void nested(1000).then(() => f.setResult('deep')));
    expect(await s2.runUntilComplete(f)).toBe('deep');
    expect(s2.options()).not.toHaveProperty('microtaskTurns');
    s.close();
    s2.close();
  });

  // ------------------------------------------------------------ virtual time

  it('runs a one-hour callLater at once, in virtual time', async () => {
    const s = new sim.Simulation();
    const h = s.host('h');
    let firedAt = -1;
    h.callLater(3600, () => {
      firedAt = h.time();
    });
    const started = performance.now();
    expect(await s.step()).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(firedAt).toBe(3600);
    expect(s.now()).toBe(3600);
    expect(await s.step()).toBe(false);
    await s.runUntilComplete(h.sleep(3600));
    expect(s.now()).toBe(7200);
    await s.runFor(10);
    expect(s.now()).toBe(7210);
    s.close();
  });

  it('starts programs at time 0 on the first step, and a host added later at once', async () => {
    const s = new sim.Simulation();
    const starts: Array<[string, number]> = [];
    s.host('early', async (loop) => {
      starts.push(['early', loop.time()]);
    });
    expect(starts).toEqual([]);
    await s.runFor(2);
    s.host('late', async (loop) => {
      starts.push(['late', loop.time()]);
    });
    await s.step();
    expect(starts).toEqual([['early', 0], ['late', 2]]);
    expect(s.trace().filter((r) => r.name === 'program').map((r) => [r.host, r.t])).toEqual([['early', 0], ['late', 2]]);
    s.close();
  });

  it('runUntilComplete returns the result, rejects with the error, and fails when nothing is left', async () => {
    const s = new sim.Simulation();
    const h = s.host('h');
    const f = h.createFuture<string>();
    h.callLater(5, () => f.setResult('done'));
    expect(await s.runUntilComplete(f)).toBe('done');
    const g = h.createFuture();
    h.callLater(1, () => g.setException(new sim.ValueError('bad')));
    await expect(s.runUntilComplete(g)).rejects.toThrow(sim.ValueError);
    await expect(s.runUntilComplete(h.createFuture())).rejects.toThrow(
      'Simulation ran out of events before the Future completed.',
    );
    await expect(s.runUntilComplete(42 as never)).rejects.toThrow(TypeError);
    s.close();
  });

  it('refuses to be driven twice at once, and from inside a step', async () => {
    const s = new sim.Simulation();
    const h = s.host('h');
    h.callLater(1, () => {});
    const first = s.runFor(2);
    await expect(s.step()).rejects.toThrow(sim.RuntimeError);
    await first;
    let inner: unknown;
    h.callSoon(() => {
      s.step().catch((e) => {
        inner = e;
      });
    });
    await s.runFor(1);
    expect(inner).toBeInstanceOf(sim.RuntimeError);
    await expect(h.runForever()).rejects.toThrow(sim.RuntimeError);
    s.close();
  });

  // ------------------------------------------------------------ networking

  it('echoes between two hosts with protocols, with sim addresses and server bookkeeping', async () => {
    const s = new sim.Simulation({ seed: 1 });
    const { out } = echoServerHost(s, 'server', 8080);
    const client = s.host('client');
    const rec = new Recorder(client);
    const [t, p] = await s.runUntilComplete(client.createConnection(() => rec, 'server', 8080));
    expect(p).toBe(rec);
    expect(t).toBeInstanceOf(sim.Transport);
    expect(t.getExtraInfo('peername')).toEqual({ address: 'server', port: 8080, family: 'sim' });
    const local = t.getExtraInfo('sockname') as Sim.SimAddress;
    expect(local.address).toBe('client');
    expect(local.port).toBeGreaterThanOrEqual(32768);
    const sock = t.getExtraInfo('socket');
    expect(sock.family).toBe(sim.AF_INET);
    expect(sock.type).toBe(sim.SOCK_STREAM);
    expect(sock.fileno()).toBe(3);
    expect(sock.getsockopt(sim.IPPROTO_TCP, sim.TCP_NODELAY)).toBe(1);
    t.write(bytes('hello, '));
    t.writelines([bytes('wor'), bytes('ld')]);
    await runUntil(s, 1, () => rec.text === 'hello, world');
    const server = out.server!;
    expect(server).toBeInstanceOf(sim.Server);
    expect(server.getLoop()).toBe(s.getHost('server'));
    expect(server.isServing()).toBe(true);
    expect(server.clientCount()).toBe(1);
    expect(server.sockets.map((x) => x.getsockname())).toEqual([{ address: 'server', port: 8080, family: 'sim' }]);
    t.close();
    await runUntil(s, 1, () => rec.isLost && server.clientCount() === 0);
    expect(rec.lost).toBeNull();
    await s.runFor(1);
    expect(await s.step()).toBe(false); // nothing left: serveForever waits on a future, not on an event
    const st = s.stats();
    expect(st.sent).toBe(st.delivered);
    const kinds = new Set(s.trace().map((r) => r.kind));
    for (const k of ['call', 'send', 'deliver', 'connect', 'accept', 'close']) expect(kinds).toContain(k);
    for (const r of s.trace()) {
      expect(typeof r.t).toBe('number');
      expect(typeof r.host).toBe('string');
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    }
    s.close();
  });

  it('runs streams (startServer, openConnection) inside host programs', async () => {
    const s = new sim.Simulation({ seed: 2 });
    s.host('server', async () => {
      const server = await sim.startServer(async (reader, writer) => {
        for await (const line of reader) {
          writer.write(bytes(`echo: ${text(line)}`));
          await writer.drain();
        }
        writer.close();
      }, null, 7);
      await server.serveForever().catch(() => {});
    });
    let got: string[] | undefined;
    const client = s.host('client', async () => {
      const [reader, writer] = await sim.openConnection('server', 7);
      const lines: string[] = [];
      for (const word of ['one', 'two', 'three']) {
        writer.write(bytes(`${word}\n`));
        lines.push(text(await reader.readline()));
      }
      writer.writeEof();
      expect(text(await reader.read())).toBe('');
      writer.close();
      await writer.waitClosed();
      got = lines;
    });
    await runUntil(s, 1, () => got !== undefined);
    expect(got).toEqual(['echo: one\n', 'echo: two\n', 'echo: three\n']);
    const [r2, w2] = await s.runUntilComplete(client.openConnection('server', 7));
    expect(r2).toBeInstanceOf(sim.StreamReader);
    w2.write(bytes('x\n'));
    expect(text(await s.runUntilComplete(r2.readline()))).toBe('echo: x\n');
    await expect(s.runUntilComplete(sim.openConnection('server', 7))).rejects.toThrow('no running event loop');
    s.close();
  });

  it('checks networking arguments as the Node package does (src/net-args.js), then refuses what it does not simulate', async () => {
    const s = new sim.Simulation({ seed: 3 });
    const h = s.host('client');
    const loose = h as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const f = () => ({});
    const rejects = (p: Promise<unknown>) => expect(s.runUntilComplete(p)).rejects;
    await rejects(loose.createConnection(f, 'server', 'x')).toThrow(/^createConnection\(\): port must be an integer, got string$/);
    await rejects(loose.createServer(f, [1], 7)).toThrow(/^createServer\(\): host must be a string or an array of strings, got an element of type number$/);
    await rejects(loose.createServer(f, null, 7, { nope: 1 })).toThrow(/^createServer\(\): unknown option 'nope'$/);
    await rejects(loose.createConnection(f, 'server', 7, { ssl: {} })).toThrow(TypeError);
    // `ssl: true` is a default client context: a server needs a context (asyncio's TypeError).
    await rejects(loose.createServer(f, null, 7, { ssl: true })).toThrow(/^ssl argument must be an SSLContext or None$/);
    await rejects(loose.openConnection('server', 7, { limit: 0 })).toThrow(sim.ValueError);
    await rejects(loose.openConnection('server', 7, { limit: NaN })).toThrow(/^openConnection\(\): limit must not be NaN$/);
    await rejects(loose.startServer(f, null, 7, { limit: Infinity })).toThrow(/^startServer\(\): limit must be finite, got Infinity$/);
    await rejects(loose.createServer(f, null, 7, { sock: 3 })).toThrow(sim.ValueError);
    await rejects(loose.createUnixServer(f, 5)).toThrow(/^createUnixServer\(\): path must be a string, got number$/);
    await rejects(loose.createUnixConnection(f, '/tmp/x')).toThrow(sim.OSError);
    s.close();
  });

  it('unknown host names are gaierror, a port without listener ConnectionRefusedError', async () => {
    const s = new sim.Simulation({ seed: 4 });
    s.host('server');
    const client = s.host('client');
    const e1 = await s.runUntilComplete(client.createConnection(() => new Recorder(), 'nowhere', 80)).catch((e) => e);
    expect(e1).toBeInstanceOf(sim.gaierror);
    expect(e1).toBeInstanceOf(sim.OSError);
    expect(e1.code).toBe('ENOTFOUND');
    expect(s.now()).toBe(0);
    const e2 = await s.runUntilComplete(client.createConnection(() => new Recorder(), 'server', 81)).catch((e) => e);
    expect(e2).toBeInstanceOf(sim.ConnectionRefusedError);
    expect(e2.code).toBe('ECONNREFUSED');
    expect(e2.errno).toBe(111);
    expect(e2.message).toBe("[Errno 111] Connect call failed ('server', 81)");
    expect(s.now()).toBeGreaterThan(0);
    s.close();
  });

  it('a connect with no answer fails with TimeoutError after connectTimeout', async () => {
    const s = new sim.Simulation({ seed: 5, connectTimeout: 2 });
    echoServerHost(s, 'server', 80);
    const client = s.host('client');
    await s.runFor(0.1);
    s.partition('client', 'server');
    const start = s.now();
    const e = await s.runUntilComplete(client.createConnection(() => new Recorder(), 'server', 80)).catch((x) => x);
    expect(e).toBeInstanceOf(sim.TimeoutError);
    expect(e).toBeInstanceOf(sim.OSError);
    expect(e.code).toBe('ETIMEDOUT');
    expect(s.now() - start).toBeCloseTo(2, 9);
    expect(s.stats().dropped.partition).toBeGreaterThan(0);
    s.close();
  });

  it('a partition longer than streamTimeout ends the connection with TimeoutError', async () => {
    const s = new sim.Simulation({ seed: 6, streamTimeout: 3 });
    echoServerHost(s, 'server', 80);
    const client = s.host('client');
    const rec = new Recorder(client);
    const [t] = await s.runUntilComplete(client.createConnection(() => rec, 'server', 80));
    s.partition('client', 'server');
    const start = s.now();
    t.write(bytes('lost in the void'));
    await runUntil(s, 10, () => rec.isLost);
    expect(rec.lost).toBeInstanceOf(sim.TimeoutError);
    expect((rec.lost as Sim.OSError).code).toBe('ETIMEDOUT');
    expect(rec.lostAt - start).toBeGreaterThanOrEqual(3);
    expect(rec.lostAt - start).toBeLessThanOrEqual(4.01);
    s.close();
  });

  // ------------------------------------------------------------ faults

  it('partition drops messages until heal; streams re-send them', async () => {
    const s = new sim.Simulation({ seed: 7 });
    echoServerHost(s, 'server', 80);
    const client = s.host('client');
    const rec = new Recorder(client);
    const [t] = await s.runUntilComplete(client.createConnection(() => rec, 'server', 80));
    s.partition(['client'], ['server']);
    t.write(bytes('ping'));
    await s.runFor(3);
    expect(rec.text).toBe('');
    expect(s.stats().dropped.partition).toBeGreaterThanOrEqual(3);
    const healedAt = s.now();
    s.heal();
    await runUntil(s, 5, () => rec.text === 'ping');
    expect(s.now() - healedAt).toBeLessThan(1.1);
    expect(rec.isLost).toBe(false);
    const faults = s.trace().filter((r) => r.kind === 'fault');
    expect(faults.map((r) => r.fault)).toEqual(['partition', 'heal']);
    expect(faults[0]).toMatchObject({ host: '', a: 'client', b: 'server', one_way: false });
    expect(s.trace().some((r) => r.kind === 'drop' && r.cause === 'partition')).toBe(true);
    expect(s.stats().faults).toMatchObject({ partition: 1, heal: 1 });
    s.close();
  });

  it('a one-way partition blocks one direction only', async () => {
    const s = new sim.Simulation({ seed: 8 });
    echoServerHost(s, 'server', 80);
    const client = s.host('client');
    const rec = new Recorder(client);
    const [t] = await s.runUntilComplete(client.createConnection(() => rec, 'server', 80));
    s.partition('server', 'client', { oneWay: true });
    t.write(bytes('one way'));
    await s.runFor(2);
    expect(rec.text).toBe('');
    expect(s.trace().some((r) => r.kind === 'deliver' && r.host === 'server' && r.msg === 'data')).toBe(true);
    s.heal('server', 'client');
    await runUntil(s, 3, () => rec.text === 'one way');
    s.close();
  });

  it('hold keeps messages back; release lets them flow in order', async () => {
    const s = new sim.Simulation({ seed: 9 });
    const server = s.host('server');
    const got: string[] = [];
    await s.runUntilComplete(
      server.createServer(() => ({ dataReceived: (d: Uint8Array) => got.push(text(d)) }), null, 80),
    );
    const client = s.host('client');
    const [t] = await s.runUntilComplete(client.createConnection(() => new Recorder(), 'server', 80));
    s.hold('client', 'server');
    for (const c of ['a', 'b', 'c']) {
      t.write(bytes(c));
      await s.runFor(0.1);
    }
    expect(got).toEqual([]);
    expect(s.stats().held).toBe(3);
    s.release('client', 'server');
    await runUntil(s, 1, () => got.join('') === 'abc');
    expect(s.stats().faults).toMatchObject({ hold: 1, release: 1 });
    s.close();
  });

  it('setLink changes a link\'s latency', async () => {
    const s = new sim.Simulation({ seed: 10 });
    echoServerHost(s, 'server', 80);
    const client = s.host('client');
    await s.runFor(0.01);
    s.setLink('client', 'server', { latency: 0.5 });
    const start = s.now();
    await s.runUntilComplete(client.createConnection(() => new Recorder(), 'server', 80));
    expect(s.now() - start).toBeCloseTo(1, 9);
    expect(() => s.setLink('client', 'server', { loss: 1.5 })).toThrow(sim.ValueError);
    expect(s.stats().faults.link).toBe(1);
    s.close();
  });

  it('with loss, every byte arrives once and in order', async () => {
    const s = new sim.Simulation({ seed: 11, loss: 0.3 });
    echoServerHost(s, 'server', 9);
    const client = s.host('client');
    const rec = new Recorder(client);
    const [t] = await s.runUntilComplete(client.createConnection(() => rec, 'server', 9));
    const data = payload(200_000, 7);
    for (let i = 0; i < data.length; i += 10_000) t.write(data.subarray(i, i + 10_000));
    await runUntil(s, 600, () => rec.data.length >= data.length);
    expect(rec.data).toEqual(data);
    const st = s.stats();
    expect(st.dropped.loss).toBeGreaterThan(5);
    expect(s.trace().filter((r) => r.kind === 'drop' && r.cause === 'loss').length).toBe(st.dropped.loss);
    expect(rec.isLost).toBe(false);
    s.close();
  });

  it('a crash resets the peers one latency later (ECONNRESET) and its timers never fire', async () => {
    const s = new sim.Simulation({ seed: 12 });
    const { out } = echoServerHost(s, 'server', 80);
    const server = s.getHost('server')!;
    const client = s.host('client');
    const rec = new Recorder(client);
    await s.runUntilComplete(client.createConnection(() => rec, 'server', 80));
    let fired = false;
    server.callLater(1, () => {
      fired = true;
    });
    const crashedAt = s.now();
    s.crash('server');
    expect(server.isCrashed()).toBe(true);
    expect(server.isClosed()).toBe(true);
    expect(() => server.callSoon(() => {})).toThrow(sim.RuntimeError);
    await runUntil(s, 1, () => rec.isLost);
    expect(rec.lost).toBeInstanceOf(sim.ConnectionResetError);
    expect((rec.lost as Sim.OSError).code).toBe('ECONNRESET');
    expect(rec.lostAt - crashedAt).toBeGreaterThan(0);
    expect(rec.lostAt - crashedAt).toBeLessThan(0.006);
    await s.runFor(2);
    expect(fired).toBe(false);
    expect(out.server).toBeDefined();
    expect(s.trace().filter((r) => r.kind === 'fault').map((r) => [r.host, r.fault])).toEqual([['server', 'crash']]);
    s.close();
  });

  it('restart runs the program again on a fresh loop', async () => {
    const s = new sim.Simulation({ seed: 13 });
    const { host: server, out } = echoServerHost(s, 'server', 80);
    const client = s.host('client');
    await s.runFor(0.1);
    expect(out.starts).toBe(1);
    s.crash('server');
    const e = await s.runUntilComplete(client.createConnection(() => new Recorder(), 'server', 80)).catch((x) => x);
    expect(e).toBeInstanceOf(sim.OSError); // crashed: no answer, or refused
    const again = s.restart('server');
    expect(again).toBe(server);
    expect(server.isCrashed()).toBe(false);
    expect(server.isClosed()).toBe(false);
    await s.runFor(0.1);
    expect(out.starts).toBe(2);
    const rec = new Recorder(client);
    const [t] = await s.runUntilComplete(client.createConnection(() => rec, 'server', 80));
    t.write(bytes('again'));
    await runUntil(s, 1, () => rec.text === 'again');
    expect(s.stats().faults).toMatchObject({ crash: 1, restart: 1 });
    s.close();
  });

  it('pause holds a host back; resume runs its due timers late, in order', async () => {
    const s = new sim.Simulation({ seed: 14 });
    const h = s.host('h');
    const ran: Array<[string, number]> = [];
    h.callLater(1, () => ran.push(['a', h.time()]));
    h.callLater(2, () => ran.push(['b', h.time()]));
    s.pause('h');
    await s.runFor(5);
    expect(ran).toEqual([]);
    s.resume('h');
    await s.runFor(0);
    expect(ran).toEqual([['a', 5], ['b', 5]]);
    expect(s.stats().faults).toMatchObject({ pause: 1, resume: 1 });
    s.close();
  });

  it('setClockSkew moves wallTime(), not time()', async () => {
    const s = new sim.Simulation();
    const a = s.host('a');
    const b = s.host('b');
    await s.runFor(10);
    expect(a.wallTime()).toBe(1767225600 + 10);
    s.setClockSkew('a', 30);
    s.setClockSkew('a', -5);
    expect(a.wallTime()).toBe(1767225600 + 10 - 5);
    expect(b.wallTime()).toBe(1767225600 + 10);
    expect(a.time()).toBe(10);
    expect(s.trace().filter((r) => r.kind === 'fault').map((r) => r.seconds)).toEqual([30, -5]);
    s.close();
  });

  it('unknown names in faults are ValueError', () => {
    const s = new sim.Simulation();
    s.host('a');
    expect(() => s.crash('nope')).toThrow(sim.ValueError);
    expect(() => s.partition('a', ['nope'])).toThrow(sim.ValueError);
    expect(() => s.hold('a', 'nope')).toThrow(sim.ValueError);
    expect(() => s.host('a')).toThrow(sim.ValueError);
    expect(() => new sim.Simulation({ loss: 2 })).toThrow(sim.ValueError);
    expect(() => new sim.Simulation({ seed: 1.5 })).toThrow(RangeError);
    expect(() => new sim.Simulation({ nope: 1 } as never)).toThrow(TypeError);
    s.close();
  });

  it('Server bookkeeping survives faults: waitClosed resolves after a client host crashes', async () => {
    const s = new sim.Simulation({ seed: 15 });
    const server = s.host('server');
    const lost: Array<Error | null> = [];
    const srv = await s.runUntilComplete(
      server.createServer(() => ({ connectionLost: (e: Error | null) => lost.push(e) }), null, 80),
    );
    const client = s.host('client');
    await s.runUntilComplete(client.createConnection(() => new Recorder(), 'server', 80));
    await s.runFor(0.1);
    expect(srv.clientCount()).toBe(1);
    srv.close();
    expect(srv.isServing()).toBe(false);
    expect(srv.sockets).toEqual([]);
    let closed = false;
    const waiting = srv.waitClosed().then(() => {
      closed = true;
    });
    await s.runFor(1);
    expect(closed).toBe(false); // a client is still connected
    s.crash('client');
    await s.runUntilComplete(waiting);
    expect(closed).toBe(true);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(sim.ConnectionResetError);
    expect(srv.clientCount()).toBe(0);
    s.close();
  });

  // ------------------------------------------------------------ errors in callbacks

  it('reports a throwing callback to the exception handler and keeps running', async () => {
    const s = new sim.Simulation();
    const h = s.host('h');
    const contexts: Sim.ExceptionContext[] = [];
    h.setExceptionHandler((loop, ctx) => {
      expect(loop).toBe(h);
      contexts.push(ctx);
    });
    const boom = new Error('boom');
    const order: string[] = [];
    h.callSoon(function thrower(x: number) {
      order.push(`before ${x}`);
      throw boom;
    }, 1);
    h.callSoon(() => order.push('after'));
    await s.runFor(1);
    expect(order).toEqual(['before 1', 'after']);
    expect(contexts).toHaveLength(1);
    expect(contexts[0].message).toBe('Exception in callback thrower(1)');
    expect(contexts[0].exception).toBe(boom);
    expect(contexts[0].handle).toBeInstanceOf(sim.Handle);
    s.close();
  });

  it('a protocol that throws loses its connection with that very error; the simulation goes on', async () => {
    const s = new sim.Simulation({ seed: 16 });
    const server = s.host('server');
    const contexts: Sim.ExceptionContext[] = [];
    server.setExceptionHandler((_loop, ctx) => contexts.push(ctx));
    const bad = new TypeError('cannot digest');
    let lost: unknown;
    await s.runUntilComplete(
      server.createServer(
        () => ({
          dataReceived() {
            throw bad;
          },
          connectionLost(e: Error | null) {
            lost = e;
          },
        }),
        null,
        80,
      ),
    );
    const client = s.host('client');
    const rec = new Recorder(client);
    const [t] = await s.runUntilComplete(client.createConnection(() => rec, 'server', 80));
    t.write(bytes('x'));
    await runUntil(s, 2, () => lost !== undefined && rec.isLost);
    expect(lost).toBe(bad);
    expect(contexts).toHaveLength(1);
    expect(contexts[0].exception).toBe(bad);
    expect(String(contexts[0].message)).toMatch(/protocol/);
    // the instance still works
    const h = s.host('later');
    await s.runUntilComplete(h.sleep(1));
    s.close();
  });

  it('a rejected program is reported; a throwing protocol factory fails createConnection', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const s = new sim.Simulation();
      const contexts: Sim.ExceptionContext[] = [];
      const h = s.host('h', async (loop) => {
        loop.setExceptionHandler((_l, ctx) => contexts.push(ctx));
        await loop.sleep(1);
        throw new sim.ValueError('program failed');
      });
      await s.runFor(2);
      expect(contexts.map((c) => c.message)).toEqual(["Exception in the program of host 'h'"]);
      expect(contexts[0].exception).toBeInstanceOf(sim.ValueError);
      echoServerHost(s, 'server', 80);
      const oops = new Error('no protocol today');
      const e = await s.runUntilComplete(h.createConnection(() => { throw oops; }, 'server', 80)).catch((x) => x);
      expect(e).toBe(oops);
      s.close();
    } finally {
      errors.mockRestore();
    }
  });

  it('bad arguments are TypeErrors and leave the instance working', async () => {
    const s = new sim.Simulation({ seed: 17 });
    echoServerHost(s, 'server', 80);
    const client = s.host('client');
    expect(() => client.callLater('1' as never, () => {})).toThrow(TypeError);
    expect(() => client.callSoon(42 as never)).toThrow(TypeError);
    expect(() => s.host(7 as never)).toThrow(TypeError);
    expect(() => s.partition(1 as never, 'client')).toThrow(TypeError);
    await expect(s.runFor(-1)).rejects.toThrow(sim.ValueError);
    await expect(client.createConnection(() => new sim.Future(client) as never, 'server', 99999)).rejects.toThrow(RangeError);
    const noProtocol = await s.runUntilComplete(client.createConnection(() => 42 as never, 'server', 80)).catch((e) => e);
    expect(noProtocol).toBeInstanceOf(TypeError);
    const rec = new Recorder(client);
    const [t] = await s.runUntilComplete(client.createConnection(() => rec, 'server', 80));
    expect(() => t.write('text' as never)).toThrow("data argument must be a bytes-like object, not 'str'");
    t.write(new Uint16Array([0x6968]));
    await runUntil(s, 1, () => rec.data.length === 2);
    expect(t.getWriteBufferLimits()).toEqual([16384, 65536]);
    expect(t.getExtraInfo('nonsense', 'dflt')).toBe('dflt');
    s.close();
  });

  it('a SystemExit thrown by a callback ends the run with it', async () => {
    const s = new sim.Simulation();
    const h = s.host('h');
    h.callLater(1, () => {
      throw new sim.SystemExit('bye');
    });
    let after = false;
    h.callLater(1, () => {
      after = true;
    });
    await expect(s.runFor(5)).rejects.toThrow(sim.SystemExit);
    expect(after).toBe(false);
    await s.runFor(1);
    expect(after).toBe(true);
    s.close();
  });

  it('getRunningLoop, Future and Task follow the running host', async () => {
    const s = new sim.Simulation();
    expect(() => sim.getRunningLoop()).toThrow('no running event loop');
    const seen: string[] = [];
    const h = s.host('worker', async (loop) => {
      seen.push(sim.getRunningLoop().name);
      const task = loop.createTask(async () => {
        await sim.sleep(2);
        seen.push(`${sim.getRunningLoop().name}@${loop.time()}`);
        return 'result';
      });
      expect(sim.isFuture(task)).toBe(true);
      seen.push(await task);
    });
    await s.runFor(5);
    expect(seen).toEqual(['worker', 'worker@2', 'result']);
    expect(() => new sim.Future()).toThrow(sim.RuntimeError);
    const f = new sim.Future<number>(h);
    expect(f.getLoop()).toBe(h);
    s.close();
  });
}
