// The evloop server of the stress runs in Node (stress/run.mjs); the same
// options and output lines as the Rust one (stress/server/src/main.rs):
//   node stress/node/server.mjs --mode echo|lines|firehose [--selector NAME|proactor] [--max-seconds N]
// Prints `NOFILE <soft> <hard>` (the runner starts it under `ulimit -n` raised
// to the hard limit: Node cannot raise its own), `PORT <n>`, then a `STATS {...}`
// line every second; exits when stdin closes or after --max-seconds.
import fs from 'node:fs';
import v8 from 'node:v8';
import { ProactorEventLoop, SelectorEventLoop, sleep, startServer } from 'evloop';
import * as native from '../../packages/evloop/native/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const mode = opt('mode', 'echo');
const maxSeconds = Number(opt('max-seconds', '900'));
// --detail: V8's heap and external memory in every STATS line (stress/rss-probe.mjs),
// and commands on stdin, one a line: `gc` (a full collection, when Node runs with
// --expose-gc, then a STATS line at once) and `snapshot PATH` (v8.writeHeapSnapshot).
const detail = args.includes('--detail');
const limits = fs.readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\d+)\s+(\d+)/);
console.log(`NOFILE ${limits[1]} ${limits[2]}`);

const selector = opt('selector', 'default');
const loop = selector === 'proactor' ? new ProactorEventLoop() : new SelectorEventLoop({ selector });
const c = { made: 0, lost: 0, lostWithError: 0, bytesIn: 0, bytesOut: 0, pauses: 0, lastError: '' };
const CHUNK = new Uint8Array(64 * 1024).fill(0x5a);

function echo() {
  let t;
  return {
    connectionMade(tr) {
      t = tr;
      c.made++;
    },
    dataReceived(d) {
      c.bytesIn += d.length;
      c.bytesOut += d.length;
      t.write(d);
    },
    connectionLost(exc) {
      c.lost++;
      if (exc) {
        c.lostWithError++;
        c.lastError = String(exc);
      }
      t = undefined;
    },
  };
}

function firehose() {
  let t;
  let paused = false;
  const pump = () => {
    for (let i = 0; i < 64 && !paused && t !== undefined && !t.isClosing(); i++) {
      t.write(CHUNK);
      c.bytesOut += CHUNK.length;
    }
  };
  return {
    connectionMade(tr) {
      t = tr;
      c.made++;
      pump();
    },
    pauseWriting() {
      c.pauses++;
      paused = true;
    },
    resumeWriting() {
      paused = false;
      pump();
    },
    connectionLost(exc) {
      c.lost++;
      if (exc) c.lostWithError++;
      t = undefined;
    },
  };
}

// The C allocator's figures (glibc's mallinfo2, through the addon; not part of
// the package's API): bytes in use versus bytes it keeps after frees.

function heapDetail() {
  const m = process.memoryUsage();
  const kb = (n) => Math.round(n / 1024);
  const malloc = typeof native.mallocStats === 'function' ? native.mallocStats() : null;
  const mallocKb = malloc === null ? {} : { mallocInUseKb: kb(malloc.inUse), mallocFreeKb: kb(malloc.free) };
  return { heapUsedKb: kb(m.heapUsed), heapTotalKb: kb(m.heapTotal), externalKb: kb(m.external), arrayBuffersKb: kb(m.arrayBuffers), ...mallocKb };
}

const start = performance.now();
function printStats(extra) {
  const t = (performance.now() - start) / 1000;
  const rssKb = Math.round(process.memoryUsage.rss() / 1024);
  const more = detail ? heapDetail() : {};
  const fds = fs.readdirSync('/proc/self/fd').length;
  const clients = c.made - c.lost;
  console.log(`STATS ${JSON.stringify({ t, clients, ...c, rssKb, fds, ...more, ...extra })}`);
}

let stopping = false;
let stdinText = '';
process.stdin.on('data', (chunk) => {
  if (!detail) return;
  stdinText += chunk;
  let i;
  while ((i = stdinText.indexOf('\n')) >= 0) {
    const [cmd, arg] = stdinText.slice(0, i).trim().split(' ');
    stdinText = stdinText.slice(i + 1);
    if (cmd === 'gc') {
      globalThis.gc?.();
      // Node runs native finalizers (the addon's frees) after the collection,
      // from its own queue: report once they had their turn.
      setTimeout(() => printStats({ gc: typeof globalThis.gc === 'function' }), 50);
    } else if (cmd === 'snapshot') console.log(`SNAPSHOT ${v8.writeHeapSnapshot(arg)}`);
  }
});
process.stdin.on('end', () => {
  stopping = true;
});
process.stdin.on('close', () => {
  stopping = true;
});
await loop.runUntilComplete(
  loop.createTask(async () => {
    let server;
    if (mode === 'lines') {
      server = await startServer(async (reader, writer) => {
        c.made++;
        try {
          for await (const line of reader) {
            c.bytesIn += line.length;
            writer.write(line);
          }
        } catch {
          c.lostWithError++;
        }
        c.lost++;
        writer.close();
      }, '127.0.0.1', 0, { backlog: 4096 });
    } else {
      server = await loop.createServer(mode === 'firehose' ? firehose : echo, '127.0.0.1', 0, { backlog: 4096 });
    }
    console.log(`PORT ${server.sockets[0].getsockname().port}`);
    let next = 0;
    for (;;) {
      const t = (performance.now() - start) / 1000;
      if (t >= next) {
        next += 1;
        printStats({});
      }
      if (stopping || t > maxSeconds) break;
      await sleep(0.05);
    }
    server.close();
    server.abortClients();
    await server.waitClosed();
  }),
);
loop.close();
console.log('EXIT');
