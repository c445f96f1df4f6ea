// The simulation at scale (issue 18): a simulation left without close() is
// collected and releases what it holds; sweeps shard into disjoint,
// reproducible seed sets (`sweep({ shard })`, `evloop-sim sweep --shard i/n`)
// and write the failures' traces where CI can collect them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import * as sim from 'evloop/sim';
import { sweep } from 'evloop/sim/tools';
import { cliBin, programUrl } from './sim-tools-helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const work = mkdtempSync(join(tmpdir(), 'evloop-sim-scale-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Builds, runs and drops `count` simulations of gossiping hosts; `close` or not. */
async function runAndDrop(count: number, close: boolean, collected: FinalizationRegistry<string>): Promise<void> {
  for (let s = 0; s < count; s++) {
    const simulation = new sim.Simulation({ seed: s });
    for (let i = 0; i < 8; i++) {
      const host = simulation.host(`h${i}`, async (h) => {
        await h.createServer(() => ({}), null, 7);
        await h.sleep(0.1);
        const [transport] = await h.createConnection(() => ({}), `h${(i + 1) % 8}`, 7);
        for (;;) {
          await h.sleep(0.5);
          transport.write(new Uint8Array(16));
        }
      });
      collected.register(host, 'host');
    }
    collected.register(simulation, 'sim');
    await simulation.runFor(2);
    if (close) simulation.close();
  }
}

async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('memory', () => {
  for (const close of [true, false]) {
    it(`a simulation ${close ? 'closed' : 'left without close()'} is collected with its hosts`, async () => {
      const counts = { sim: 0, host: 0 };
      const collected = new FinalizationRegistry<string>((kind) => {
        counts[kind as 'sim' | 'host'] += 1;
      });
      await runAndDrop(10, close, collected);
      await collectGarbage();
      // The last one may still be referenced from the driver's registry until the next drive.
      expect(counts.sim).toBeGreaterThanOrEqual(9);
      expect(counts.host).toBeGreaterThanOrEqual(9 * 8);
    });
  }

  /** Hosts that keep every kind of object busy: servers, protocols that hold their transport, stream reads pending, timers, a crash. */
  async function busySimulations(count: number, close: boolean): Promise<void> {
    for (let s = 0; s < count; s++) {
      const simulation = new sim.Simulation({ seed: s, trace: s % 2 === 0 });
      for (let i = 0; i < 6; i++) {
        const host = simulation.host(`h${i}`, async (h) => {
          await h.createServer(() => ({ connectionMade(t: sim.Transport) { (this as { t?: sim.Transport }).t = t; } }), null, 7);
          await h.startServer(async (reader) => { await reader.readline(); }, null, 8);
          await h.sleep(0.1);
          const [transport] = await h.createConnection(() => ({}), `h${(i + 1) % 6}`, 7);
          const [reader] = await h.openConnection(`h${(i + 2) % 6}`, 8);
          reader.read(100).catch(() => {}); // pending when the simulation ends (a crashed peer resets it)
          h.callLater(3600, () => {});
          for (;;) {
            await h.sleep(0.25);
            transport.write(new Uint8Array(8));
          }
        });
        // The crash resets the peers' connections: their programs fail, on purpose.
        host.setExceptionHandler(() => {});
      }
      await simulation.runFor(1);
      simulation.crash('h3');
      await simulation.runFor(0.5);
      if (close) simulation.close();
    }
  }

  for (const close of [true, false]) {
    it(`the wasm module's live objects come back to zero after simulations ${close ? 'closed' : 'left without close()'}`, async () => {
      await collectGarbage();
      const zero = { simulations: 0, protocols: 0, loops: 0, tasks: 0, futures: 0, transports: 0, servers: 0 };
      const counts = (o: sim.LiveObjects) => ({ ...o, heapBytes: undefined });
      expect(counts(sim.liveObjects())).toEqual({ ...zero, heapBytes: undefined });
      await busySimulations(4, close);
      expect(sim.liveObjects().loops).toBeGreaterThan(0);
      await collectGarbage();
      expect(counts(sim.liveObjects())).toEqual({ ...zero, heapBytes: undefined });
      const after = sim.liveObjects().heapBytes;
      // A second round leaves no more than the first did (per-thread buffers are made once).
      await busySimulations(4, close);
      await collectGarbage();
      expect(counts(sim.liveObjects())).toEqual({ ...zero, heapBytes: undefined });
      expect(sim.liveObjects().heapBytes).toBeLessThanOrEqual(after + 4096);
    });
  }

  it('host.simulation is the simulation while it lives', () => {
    const s = new sim.Simulation();
    const h = s.host('h');
    expect(h.simulation).toBe(s);
    s.close();
  });
});

describe('sweep shards', () => {
  it('split the seeds into disjoint sets that cover them, the same on every run', async () => {
    const program = programUrl('stale-register');
    const all = await sweep({ program, seeds: 24, swarm: true, workers: 2, progress: false });
    const failing = (r: { failures: { seed: number }[] }) => r.failures.map((f) => f.seed);
    const shards = [];
    for (let i = 1; i <= 3; i++) shards.push(await sweep({ program, seeds: 24, swarm: true, workers: 1, progress: false, shard: [i, 3] }));
    expect(shards.map((s) => s.runs)).toEqual([8, 8, 8]);
    const union = shards.flatMap(failing).sort((a, b) => a - b);
    expect(union).toEqual(failing(all));
    // Shard 2 of 3 holds the seeds at positions 1, 4, 7, ...
    for (const seed of failing(shards[1]!)) expect(seed % 3).toBe(1);
    const again = await sweep({ program, seeds: 24, swarm: true, workers: 2, progress: false, shard: [2, 3] });
    expect(failing(again)).toEqual(failing(shards[1]!));
    await expect(sweep({ program, seeds: 4, shard: [4, 3] })).rejects.toThrow(RangeError);
  });

  it('evloop-sim sweep --shard i/n writes the shard\'s failing traces to --out', () => {
    const program = fileURLToPath(programUrl('stale-register'));
    const out = join(work, 'shard-2-of-2');
    const r = spawnSync(process.execPath, [cliBin, 'sweep', program, '--seeds', '16', '--swarm', '--shard', '2/2', '--out', out], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stdout).toMatch(/^8 seeds run \(shard 2\/2\), \d+ failed$/m);
    const files = readdirSync(out);
    expect(r.status).toBe(files.length > 0 ? 1 : 0);
    for (const f of files) {
      const seed = Number(/^seed-(\d+)\.json$/.exec(f)?.[1]);
      expect(seed % 2).toBe(1);
      expect(JSON.parse(readFileSync(join(out, f), 'utf8')).seed).toBe(seed);
    }
    const bad = spawnSync(process.execPath, [cliBin, 'sweep', program, '--seeds', '4', '--shard', '3/2'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--shard: expected i/n with 1 <= i <= n, got '3/2'");
  });
});
