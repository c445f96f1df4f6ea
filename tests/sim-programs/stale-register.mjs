// A replicated register with a planted bug: the primary (r1) acknowledges a
// write once one other replica has it, but reads go to any replica. A replica
// cut off from the primary (a partition, lost segments, a restart that forgot
// its value) serves a stale value after the write returned: the history is
// not linearizable. Without faults the replication is faster than the
// acknowledgement and the next request, so every run passes.
import { checkLinearizable, describeCounterexample, registerModel } from 'evloop/sim/tools';

export const options = { latency: [0.001, 0.002] };

/** The replicas a swarm may fault (the client stays up: it holds the history). */
export const nemesis = { hosts: ['r1', 'r2', 'r3'], horizon: 0.4 };

const REPLICAS = ['r1', 'r2', 'r3'];
const PORT = 7000;
/** A client gives up on a request after this long (virtual seconds). */
const TIMEOUT = 0.5;
const encoder = new TextEncoder();

/** The history of the last run in this thread (for tests that check it again). */
export let lastHistory = [];
const decoder = new TextDecoder();

/** Eight operations, 50 ms apart: writes of distinct values, reads of a chosen replica. */
export function workload(random) {
  const ops = [];
  for (let i = 0; i < 8; i++) {
    const at = Math.round((i * 0.05 + random() * 0.01) * 1e6) / 1e6;
    if (random() < 0.4) ops.push({ at, op: 'write', value: i + 1 });
    else ops.push({ at, op: 'read', replica: REPLICAS[Math.floor(random() * REPLICAS.length)] });
  }
  return ops;
}

/** One request on a fresh connection: a JSON line out, a JSON line back. */
async function request(host, to, message) {
  const [reader, writer] = await host.openConnection(to, PORT);
  try {
    writer.write(encoder.encode(`${JSON.stringify(message)}\n`));
    const line = await reader.readline();
    if (line.length === 0) throw new Error('connection closed');
    return JSON.parse(decoder.decode(line));
  } finally {
    writer.close();
  }
}

/** `promise`'s value, or `undefined` after `seconds` of virtual time. */
function within(host, seconds, promise) {
  return Promise.race([promise.catch(() => undefined), host.sleep(seconds).then(() => undefined)]);
}

function replica(sim, name) {
  sim.host(name, async (host) => {
    let value = null;
    let version = 0;
    const server = await host.startServer(async (reader, writer) => {
      const line = await reader.readline().catch(() => new Uint8Array());
      if (line.length === 0) return writer.close();
      const msg = JSON.parse(decoder.decode(line));
      let reply;
      if (msg.op === 'read') reply = { value };
      else if (msg.op === 'replicate') {
        if (msg.version > version) [value, version] = [msg.value, msg.version];
        reply = { ack: true };
      } else if (msg.op === 'write') {
        version += 1;
        value = msg.value;
        // The bug: one acknowledgement is a majority for the write, not for the reads.
        const others = REPLICAS.filter((r) => r !== name);
        const sent = others.map((r) => request(host, r, { op: 'replicate', value, version }));
        await new Promise((resolve) => sent.forEach((p) => p.then(resolve, () => {})));
        reply = { ok: true };
      }
      writer.write(encoder.encode(`${JSON.stringify(reply)}\n`));
      writer.close();
    }, null, PORT);
    await server.serveForever().catch(() => {});
  });
}

export default async function staleRegister(sim, input) {
  for (const name of REPLICAS) replica(sim, name);
  const history = [];
  let finished;
  const done = new Promise((resolve) => (finished = resolve));
  sim.host('client', async (host) => {
    for (const op of input.workload) {
      if (host.time() < op.at) await host.sleep(op.at - host.time());
      const call = host.time();
      if (op.op === 'write') {
        const reply = await within(host, TIMEOUT, request(host, 'r1', { op: 'write', value: op.value }));
        const ret = reply === undefined ? null : host.time();
        history.push({ client: 'client', op: 'write', input: op.value, output: null, call, return: ret });
      } else {
        const reply = await within(host, TIMEOUT, request(host, op.replica, { op: 'read' }));
        // A read that got no answer tells nothing: it is left out.
        if (reply !== undefined) history.push({ client: op.replica, op: 'read', input: null, output: reply.value, call, return: host.time() });
      }
    }
    finished();
  });
  await sim.runUntilComplete(done);
  const result = checkLinearizable(history, registerModel());
  lastHistory = history;
  if (!result.ok) {
    const error = new Error(describeCounterexample(result));
    error.name = 'NotLinearizable';
    throw error;
  }
}
