// A lock service with a planted bug: it grants one-second leases but keeps
// them only in memory, so a restart forgets a lease still held and grants the
// lock to the other client: two holders at once. Without a restart of the
// lock server the leases keep mutual exclusion (clients hold for less than a
// lease), so every run passes.
export const options = { latency: [0.001, 0.005] };

/** Only the lock server is faulted: a client crashing in its critical section is not this bug. */
export const nemesis = { hosts: ['lock'], horizon: 2, families: ['crash', 'pause', 'skew'] };

const PORT = 7100;
const LEASE = 1;
const HOLD = 0.8;
const END = 3;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

class MutualExclusionViolated extends Error {
  name = 'MutualExclusionViolated';
}

async function ask(host, line) {
  const [reader, writer] = await host.openConnection('lock', PORT);
  try {
    writer.write(encoder.encode(`${line}\n`));
    return decoder.decode(await reader.readline()).trim();
  } finally {
    writer.close();
  }
}

export default async function leaseLock(sim) {
  sim.host('lock', async (host) => {
    // The bug: this state dies with the process.
    let holder = null;
    let expires = 0;
    const server = await host.startServer(async (reader, writer) => {
      const [verb, who] = decoder.decode(await reader.readline().catch(() => new Uint8Array())).trim().split(' ');
      let reply = 'no';
      if (verb === 'acquire' && (holder === null || host.time() >= expires || holder === who)) {
        [holder, expires, reply] = [who, host.time() + LEASE, 'granted'];
      } else if (verb === 'release' && holder === who) {
        [holder, reply] = [null, 'ok'];
      }
      writer.write(encoder.encode(`${reply}\n`));
      writer.close();
    }, null, PORT);
    await server.serveForever().catch(() => {});
  });

  let owner = null;
  const violations = [];
  for (const name of ['c1', 'c2']) {
    sim.host(name, async (host) => {
      while (host.time() < END) {
        const asked = host.time();
        const reply = await ask(host, `acquire ${name}`).catch(() => 'error');
        // The lease runs from the request: if the reply is late, the hold is shorter.
        if (reply !== 'granted' || host.time() + HOLD >= asked + LEASE) {
          await host.sleep(0.1);
          continue;
        }
        if (owner !== null) violations.push(`${name} got the lock at ${host.time()} while ${owner} held it`);
        owner = name;
        await host.sleep(HOLD);
        if (owner === name) owner = null;
        await ask(host, `release ${name}`).catch(() => 'error');
        await host.sleep(0.1);
      }
    });
  }
  await sim.runFor(END + 0.5);
  if (violations.length > 0) throw new MutualExclusionViolated(violations[0]);
}
