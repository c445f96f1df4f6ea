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

function lines(child, onLine) {
  readline.createInterface({ input: child.stdout }).on('line', onLine);
}

function rollup(pid) {
  const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rssKb: kb('Rss'), anonKb: kb('Anonymous'), fds: fs.readdirSync(`/proc/${pid}/fd`).length };
}

async function probe(kind) {
  const server = spawn(process.execPath, ['stress/node/server.mjs', '--mode', 'echo', '--selector', kind, '--max-seconds', '900', '--detail'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let last = null;
  let port = null;
  const portSeen = new Promise((resolve) => {
    lines(server, (line) => {
      if (line.startsWith('PORT ')) {
        port = Number(line.slice(5));
        resolve();
      } else if (line.startsWith('STATS ')) last = JSON.parse(line.slice(6));
    });
  });
  await portSeen;
  const row = (label) => {
    const r = rollup(server.pid);
    const mib = (kb) => (kb / 1024).toFixed(1);
    const live = last?.live ? Object.entries(last.live).map(([k, v]) => `${k} ${v}`).join(' ') : '';
    console.log(
      `${kind.padEnd(8)} ${String(label).padStart(7)}  fds ${r.fds}  rss ${mib(r.rssKb)}  anon ${mib(r.anonKb)}  ` +
        `v8 heap ${mib(last?.heapUsedKb ?? NaN)}/${mib(last?.heapTotalKb ?? NaN)}  external ${mib(last?.externalKb ?? NaN)} MiB  ${live}`,
    );
  };
  await new Promise((r) => setTimeout(r, 1200));
  row('start');
  const client = spawn(process.execPath, ['stress/node/clients.mjs', 'churn', '--port', String(port), '--total', String(total), '--concurrency', String(concurrency), '--checkpoint', String(checkpoint), '--seconds', '900'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const done = new Promise((resolve) => client.on('exit', resolve));
  lines(client, (line) => {
    const m = /^CHECKPOINT (\d+)/.exec(line);
    // The server prints STATS once a second: wait for one after the checkpoint.
    if (m !== null) setTimeout(() => row(m[1]), 1100);
  });
  await done;
  await new Promise((r) => setTimeout(r, 2500));
  row('end');
  server.stdin.end();
  await new Promise((resolve) => server.on('exit', resolve));
}

for (const kind of kinds) await probe(kind);
