// The evloop server of the stress runs in Node (stress/run.mjs); the same
// options and output lines as the Rust one (stress/server/src/main.rs):
//   node stress/node/server.mjs --mode echo|lines|firehose [--selector NAME|proactor] [--max-seconds N]
// Prints `NOFILE <soft> <hard>` (the runner starts it under `ulimit -n` raised
// to the hard limit: Node cannot raise its own), `PORT <n>`, then a `STATS {...}`
// line every second; exits when stdin closes or after --max-seconds.
import fs from 'node:fs';
import { ProactorEventLoop, SelectorEventLoop, sleep, startServer } from 'evloop';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const mode = opt('mode', 'echo');
const maxSeconds = Number(opt('max-seconds', '900'));
// --detail: V8's heap and external memory in every STATS line (stress/rss-probe.mjs).
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

function heapDetail() {
  const m = process.memoryUsage();
  const kb = (n) => Math.round(n / 1024);
  return { heapUsedKb: kb(m.heapUsed), heapTotalKb: kb(m.heapTotal), externalKb: kb(m.external), arrayBuffersKb: kb(m.arrayBuffers) };
}

let stopping = false;
process.stdin.on('data', () => {});
process.stdin.on('end', () => {
  stopping = true;
});
process.stdin.on('close', () => {
  stopping = true;
});

const start = performance.now();
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
        const rssKb = Math.round(process.memoryUsage.rss() / 1024);
        const more = detail ? heapDetail() : {};
        const fds = fs.readdirSync('/proc/self/fd').length;
        const clients = c.made - c.lost;
        console.log(`STATS ${JSON.stringify({ t, clients, ...c, rssKb, fds, ...more })}`);
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
