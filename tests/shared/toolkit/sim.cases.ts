// The toolkit on simulated hosts: the env that runs a main function on a host, and a TaskGroup
// and a Queue under faults (a partition, a crash and a restart of a peer) that replay
// identically from the seed.
import { expect, it } from 'vitest';
import type * as Sim from 'evloop/sim';
import type { Env, Loop } from './env.js';

/** An Env whose main functions run as a task of a simulated host ('main') of a fresh simulation. */
export function simEnv(sim: typeof Sim, asyncContext: boolean): Env {
  return {
    lib: sim,
    asyncContext,
    async run<T>(main: (loop: Loop) => Promise<T>): Promise<T> {
      const s = new sim.Simulation({ seed: 1 });
      const host = s.host('main');
      const task = host.createTask(() => main(host));
      return s.runUntilComplete(task);
    },
  };
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * Workers of a TaskGroup take jobs from a Queue and ask a server for each (a request with
 * waitFor); the server is partitioned away, then crashes and restarts. Everything a worker sees
 * (results, timeouts, resets) goes into `log`.
 */
async function faultyJobs(sim: typeof Sim, s: InstanceType<typeof Sim.Simulation>, log: string[], asyncContext: boolean): Promise<void> {
  const { Queue, TaskGroup, waitFor, wait, sleep } = sim;
  s.host('server', async () => {
    await sim.startServer(async (reader, writer) => {
      for (;;) {
        const line = await reader.readline();
        if (line.length === 0) break;
        await sleep(0.3); // slow work: a crash catches requests in flight
        writer.write(new TextEncoder().encode(`done ${text(line)}`));
        await writer.drain();
      }
      writer.close();
    }, null, 9000);
  });
  // A host's program is a callback, not a task: the TaskGroup needs one to be its parent.
  s.host('client', (host) => host.createTask(async () => {
    const jobs = new Queue<number>({ maxsize: 2 });
    await new TaskGroup().run(async (tg) => {
      tg.createTask(async () => {
        for (let job = 0; job < 16; job++) await jobs.put(job);
        jobs.shutdown();
      });
      for (const w of ['w1', 'w2']) {
        tg.createTask(async () => {
          for (;;) {
            let job: number;
            try {
              job = await jobs.get();
            } catch (e) {
              log.push(`${w} ${(e as Error).name}`);
              return;
            }
            try {
              // The whole request has a second: under the partition it times out.
              const request = async (): Promise<Uint8Array> => {
                const [reader, writer] = await sim.openConnection('server', 9000);
                writer.write(new TextEncoder().encode(`${job}\n`));
                try {
                  return await reader.readline();
                } finally {
                  writer.close();
                }
              };
              let answer: Uint8Array;
              if (asyncContext) {
                answer = await waitFor(request, 1);
              } else {
                // Without async context (browsers) a worker past its first step is not known as
                // the current task, which waitFor needs: wait() with a timeout needs none.
                const req = host.createTask(request);
                const [done] = await wait([req], { timeout: 1 });
                if (!done.has(req)) {
                  req.cancel();
                  throw new sim.TimeoutError();
                }
                answer = req.result();
              }
              log.push(`${w} ${text(answer).trim()}`);
            } catch (e) {
              log.push(`${w} job ${job}: ${(e as Error).name}`);
            }
            await sleep(0.5);
          }
        });
      }
    });
    log.push('group done');
  }));
  await s.runFor(1);
  s.partition('client', 'server');
  await s.runFor(2);
  s.heal();
  // Once an answer comes again, crash the server while the next request is in flight (a
  // worker sleeps 0.5 s between requests, the server takes 0.3 s for one).
  const answers = (): number => log.filter((l) => / done /.test(l)).length;
  const before = answers();
  for (let i = 0; i < 200 && answers() === before; i++) await s.runFor(0.05);
  await s.runFor(0.6);
  s.crash('server');
  await s.runFor(1.5);
  s.restart('server');
  await s.runFor(10);
}

export function simToolkitCases(sim: typeof Sim, asyncContext: boolean): void {
  it('a TaskGroup and a Queue under a partition and a crash replay identically from the seed', async () => {
    const logs: string[][] = [];
    const report = await sim.Simulation.checkDeterminism(async (s) => {
      const log: string[] = [];
      logs.push(log);
      await faultyJobs(sim, s, log, asyncContext);
    }, { seed: 7 });
    expect(report).toEqual({ identical: true });
    expect(logs).toHaveLength(2);
    expect(logs[0]).toEqual(logs[1]);
    // The run saw every kind of outcome: answers, timeouts under the partition, resets by the
    // crash, and the queue's shutdown ending the workers, then the group.
    const all = logs[0]!.join('\n');
    expect(all).toMatch(/done \d+/);
    expect(all).toContain('TimeoutError');
    expect(all).toContain('ConnectionResetError');
    expect(all).toContain('QueueShutDown');
    expect(all).toContain('group done');
  });
}
