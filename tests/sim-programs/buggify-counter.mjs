// A counter service with a planted bug behind a fault point: the server
// counts an increment before answering and does not recognise a retried
// request. Its `host.buggify('drop-reply')` point (off unless the
// simulation's `buggify` option is on, as in a swarm run that picked the
// `buggify` family) sometimes drops the answer: the client retries and the
// increment is counted twice. On a real loop `buggify` is always false.
export const options = { latency: [0.001, 0.003] };

export const nemesis = { hosts: ['counter'], horizon: 1, families: ['buggify', 'skew'] };

const PORT = 7200;
const TIMEOUT = 0.2;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

class LostUpdate extends Error {
  name = 'LostUpdate';
}

/** How many increments the client makes. */
export function workload(random) {
  return Array.from({ length: 3 + Math.floor(random() * 4) }, (_, i) => ({ op: 'inc', id: i }));
}

async function ask(host, line) {
  const [reader, writer] = await host.openConnection('counter', PORT);
  try {
    writer.write(encoder.encode(`${line}\n`));
    const answer = await Promise.race([reader.readline(), host.sleep(TIMEOUT).then(() => null)]);
    return answer === null || answer.length === 0 ? null : decoder.decode(answer).trim();
  } finally {
    writer.close();
  }
}

export default async function buggifyCounter(sim, input) {
  sim.host('counter', async (host) => {
    let count = 0;
    const server = await host.startServer(async (reader, writer) => {
      const verb = decoder.decode(await reader.readline().catch(() => new Uint8Array())).trim();
      if (verb.startsWith('inc')) {
        count += 1;
        if (host.buggify('drop-reply', 0.3)) return; // the answer is lost; the count is not
      }
      writer.write(encoder.encode(`${count}\n`));
      writer.close();
    }, null, PORT);
    await server.serveForever().catch(() => {});
  });
  let finished;
  const done = new Promise((resolve) => (finished = resolve));
  sim.host('client', async (host) => {
    for (const op of input.workload) {
      while ((await ask(host, `inc ${op.id}`)) === null) {
        /* no answer: retry (the bug's other half) */
      }
    }
    finished(Number(await ask(host, 'get')));
  });
  const count = await sim.runUntilComplete(done);
  if (count !== input.workload.length) {
    throw new LostUpdate(`the counter is ${count} after ${input.workload.length} increments`);
  }
}
