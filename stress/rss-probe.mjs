// Where a Node server's RSS goes under churn: one evloop echo server
// (stress/node/server.mjs) per loop kind given, driven by the churn client
// (stress/node/clients.mjs churn). At every checkpoint (all connections
// closed) it prints the server's /proc/<pid>/smaps_rollup (RSS, anonymous
// memory), V8's heap and external memory, and the core's live objects
// (loops, transports, servers, futures, tasks: a count that grows is a leak
// of Rust objects, and of the JavaScript objects they hold).
//
//   node stress/rss-probe.mjs [--selector epoll,proactor] [--total 60000]
//                             [--checkpoint 5000] [--concurrency 8]
//                             [--misbehave M] [--gc] [--snapshots DIR]
//
// --misbehave M: of every M connections one resets mid-transfer and one
// vanishes after half a line (clients.mjs churn --misbehave). --gc: the server
// runs with --expose-gc and does a full collection before each row, so the
// heap figures are what is live. --snapshots DIR: a V8 heap snapshot at the
// first and the last checkpoint (stress/heap-count.mjs compares them).
// `brk` is the Rss of the [heap] mapping: the main malloc arena's memory.
//
// Environment variables pass through to the servers (MALLOC_ARENA_MAX=1,
// for one, to tell the allocator's arenas from a leak).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const kinds = opt('selector', 'epoll,proactor').split(',');
const total = Number(opt('total', '60000'));
const checkpoint = Number(opt('checkpoint', '5000'));
const concurrency = Number(opt('concurrency', '8'));
const misbehave = Number(opt('misbehave', '0'));
const gc = args.includes('--gc');
const snapshots = opt('snapshots', null);

function lines(child, onLine) {
  readline.createInterface({ input: child.stdout }).on('line', onLine);
}

function rollup(pid) {
  const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  const smaps = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const brk = /\[heap\]\n(?:.*\n)*?Rss:\s+(\d+)/.exec(smaps);
  return { rssKb: kb('Rss'), anonKb: kb('Anonymous'), brkKb: Number(brk?.[1] ?? 0), fds: fs.readdirSync(`/proc/${pid}/fd`).length };
}

async function probe(kind) {
  const server = spawn(process.execPath, [...(gc ? ['--expose-gc'] : []), 'stress/node/server.mjs', '--mode', 'echo', '--selector', kind, '--max-seconds', '900', '--detail'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let last = null;
  let port = null;
  let afterGc = null;
  const portSeen = new Promise((resolve) => {
    lines(server, (line) => {
      if (line.startsWith('PORT ')) {
        port = Number(line.slice(5));
        resolve();
      } else if (line.startsWith('STATS ')) {
        last = JSON.parse(line.slice(6));
        if (last.gc !== undefined && afterGc !== null) afterGc();
      } else if (line.startsWith('SNAPSHOT ')) console.log(`${kind.padEnd(8)} heap snapshot ${line.slice(9)}`);
    });
  });
  await portSeen;
  // With --gc: a collection in the server, then its STATS line.
  const collect = () =>
    gc
      ? new Promise((resolve) => {
          afterGc = () => {
            afterGc = null;
            resolve();
          };
          server.stdin.write('gc\n');
        })
      : Promise.resolve();
  const row = async (label) => {
    await collect();
    if (snapshots !== null && (label === checkpoint || label === 'end')) {
      fs.mkdirSync(snapshots, { recursive: true });
      server.stdin.write(`snapshot ${path.resolve(snapshots, `${kind}-${label}.heapsnapshot`)}\n`);
    }
    const r = rollup(server.pid);
    const mib = (kb) => (kb / 1024).toFixed(1);
    const live = last?.live ? Object.entries(last.live).map(([k, v]) => `${k} ${v}`).join(' ') : '';
    console.log(
      `${kind.padEnd(8)} ${String(label).padStart(7)}  fds ${r.fds}  rss ${mib(r.rssKb)}  anon ${mib(r.anonKb)}  brk ${mib(r.brkKb)}  ` +
        `v8 heap ${mib(last?.heapUsedKb ?? NaN)}/${mib(last?.heapTotalKb ?? NaN)}  external ${mib(last?.externalKb ?? NaN)}  ` +
        `arrayBuffers ${mib(last?.arrayBuffersKb ?? NaN)}  malloc in use ${mib(last?.mallocInUseKb ?? NaN)}, free ${mib(last?.mallocFreeKb ?? NaN)} MiB  ${live}`,
    );
  };
  await new Promise((r) => setTimeout(r, 1200));
  await row('start');
  const client = spawn(process.execPath, ['stress/node/clients.mjs', 'churn', '--port', String(port), '--total', String(total), '--concurrency', String(concurrency), '--checkpoint', String(checkpoint), '--seconds', '900', '--misbehave', String(misbehave)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const done = new Promise((resolve) => client.on('exit', resolve));
  lines(client, (line) => {
    const m = /^CHECKPOINT (\d+)/.exec(line);
    // The server prints STATS once a second: wait for one after the checkpoint.
    if (m !== null) setTimeout(() => row(Number(m[1])), 1100);
  });
  await done;
  await new Promise((r) => setTimeout(r, 2500));
  await row('end');
  await new Promise((r) => setTimeout(r, 500));
  server.stdin.end();
  await new Promise((resolve) => server.on('exit', resolve));
}

for (const kind of kinds) await probe(kind);
