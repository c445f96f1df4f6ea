// The scenario whose trace hash must be the same in Node and in Chromium
// (tests/node/sim-golden.test.ts, tests/browser/sim-golden.browser.test.ts),
// checked against tests/shared/sim-golden.ts. It exercises programs with
// async/await, protocols, streams, loss, a partition, a hold, a crash and a
// restart, so that any difference between the two targets shows.
import { bytes, Echo, payload, Recorder, sha256, text, type SimModule } from './sim-helpers.js';

export interface GoldenResult {
  seed: number;
  records: number;
  hash: string;
  now: number;
  stats: unknown;
  summary: string;
}

export async function goldenScenario(sim: SimModule, seed: number): Promise<GoldenResult> {
  const s = new sim.Simulation({ seed, latency: [0.002, 0.02], loss: 0.05 });
  const log: string[] = [];
  s.host('db', async (loop) => {
    const srv = await loop.createServer(() => new Echo(), null, 5432);
    log.push(`db up ${loop.time()}`);
    await srv.serveForever().catch(() => {});
  });
  s.host('web', async () => {
    const server = await sim.startServer(async (reader, writer) => {
      for await (const line of reader) {
        writer.write(bytes(`ok ${text(line).trim()} ${sim.getRunningLoop().random().toFixed(6)}\n`));
        await writer.drain();
      }
      writer.close();
    }, null, 80);
    await server.serveForever().catch(() => {});
  });
  const clients: Recorder[] = [];
  for (let i = 0; i < 3; i++) {
    s.host(`client${i}`, async (loop) => {
      await sim.sleep(loop.random() * 0.1);
      const [reader, writer] = await sim.openConnection('web', 80);
      for (let j = 0; j < 4; j++) {
        writer.write(bytes(`req${i}.${j}\n`));
        const line = await reader.readline();
        log.push(`${loop.name} ${loop.time().toFixed(6)} ${text(line).trim()}`);
        await loop.sleep(0.05);
      }
      writer.close();
      await writer.waitClosed();
      const rec = new Recorder(loop);
      clients.push(rec);
      const [t] = await loop.createConnection(() => rec, 'db', 5432);
      const data = payload(40_000, i + 1);
      for (let k = 0; k < 4; k++) {
        t.write(data.subarray(k * 10_000, (k + 1) * 10_000));
        await loop.sleep(0.2);
      }
    });
  }
  await s.runFor(0.1);
  s.partition('client0', ['db', 'web']);
  await s.runFor(0.6);
  s.heal();
  s.hold('client1', 'db');
  await s.runFor(0.3);
  s.release('client1', 'db');
  await s.runFor(0.05);
  s.crash('client2');
  await s.runFor(0.2);
  s.restart('db');
  s.setClockSkew('web', 12.5);
  await s.runFor(5);
  const trace = s.trace();
  const json = JSON.stringify(trace);
  const result: GoldenResult = {
    seed,
    records: trace.length,
    hash: await sha256(json),
    now: s.now(),
    stats: s.stats(),
    summary: await sha256(log.join('\n') + clients.map((c) => `${c.data.length} ${c.lost}`).join(',')),
  };
  s.close();
  return result;
}
