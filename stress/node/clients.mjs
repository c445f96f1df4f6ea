// The load generator of the stress runs (stress/run.mjs): node:net clients,
// independent of the evloop server under test, on loopback only. Every loop
// is bounded in count and in time (--seconds, or a deadline).
//
//   node stress/node/clients.mjs SCENARIO --port P [options]
//
// load        --connections N --seconds S --interval I
//             N connections held open; each sends a line every I seconds
//             (staggered) and checks its echo. Reports drops (a connection
//             that closed or failed before the end), echoes, round trips.
// churn       --total N --concurrency C --checkpoint K
//             N connections opened, one line echoed, closed by the client;
//             every K connections it waits until none is open and prints
//             `CHECKPOINT <count>` (the runner samples the server then).
//             --misbehave M (0: none): of every M connections one writes
//             64 KiB without reading and resets, one sends half a line and
//             vanishes (destroy), as the soak's misbehaving clients do.
// backpressure --connections N --seconds S
//             N connections that never read (the server writes to them).
// slowloris   --loris N --connections M --rounds R --seconds S
//             N connections dribble one byte every 100 ms and never end a
//             line; M normal connections do R line round trips each.
//
// Source addresses rotate over 127.0.0.2-127.0.0.250, so 100,000 connections
// (and their TIME_WAIT states) do not run out of ephemeral ports.
// Prints `RESULT {...}` (JSON) at the end; exit code 0 unless it failed to run.
import net from 'node:net';

const [scenario, ...args] = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return Number(i >= 0 ? args[i + 1] : dflt);
};
const port = opt('port', 0);
const out = (line) => process.stdout.write(`${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let srcIndex = 0;
const localAddress = () => `127.0.0.${2 + (srcIndex++ % 249)}`;

function connect() {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: localAddress() });
    s.setNoDelay(true);
    const fail = (e) => reject(e);
    s.once('error', fail);
    s.once('connect', () => {
      s.off('error', fail);
      resolve(s);
    });
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `count` tasks with at most `width` in flight. */
async function pool(count, width, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
}

/** A line client: `send(text)` resolves with the round trip in ms once the echo is back. */
function lineClient(s) {
  let buf = '';
  const waiting = [];
  s.setEncoding('latin1');
  s.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i + 1);
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (w !== undefined) w.resolve(line);
    }
  });
  return {
    send(text, timeoutMs = 10_000) {
      const t0 = performance.now();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('echo timeout')), timeoutMs);
        waiting.push({
          resolve: (line) => {
            clearTimeout(timer);
            if (line !== text) reject(new Error(`echo mismatch: ${JSON.stringify(line)}`));
            else resolve(performance.now() - t0);
          },
        });
        s.write(text);
      });
    },
  };
}

async function load() {
  const n = opt('connections', 10_000);
  const seconds = opt('seconds', 30);
  const interval = opt('interval', 1) * 1000;
  const conns = [];
  let connectFailures = 0;
  let dropped = 0;
  let ending = false;
  const t0 = performance.now();
  await pool(n, 256, async (i) => {
    try {
      const s = await connect();
      s.on('error', () => {});
      s.on('close', () => {
        if (!ending) dropped++;
      });
      conns[i] = { s, c: lineClient(s) };
    } catch {
      connectFailures++;
    }
    if ((i + 1) % 1000 === 0) out(`PROGRESS ${JSON.stringify({ opened: i + 1, ms: Math.round(performance.now() - t0) })}`);
  });
  const openMs = performance.now() - t0;
  out(`OPEN ${conns.filter(Boolean).length}`);
  const rtts = [];
  let echoes = 0;
  let echoFailures = 0;
  const deadline = performance.now() + seconds * 1000;
  // Each connection echoes once per interval, at its own offset in it.
  await Promise.all(
    conns.map(async (conn, i) => {
      if (conn === undefined) return;
      await sleep((i / n) * interval);
      for (let seq = 0; performance.now() < deadline && seq < 100_000; seq++) {
        const started = performance.now();
        try {
          rtts.push(await conn.c.send(`ping ${i} ${seq}\n`));
          echoes++;
        } catch {
          echoFailures++;
          return;
        }
        await sleep(Math.max(0, interval - (performance.now() - started)));
      }
    }),
  );
  const stillOpen = conns.filter((c) => c !== undefined && !c.s.destroyed).length;
  ending = true;
  for (const c of conns) c?.s.destroy();
  rtts.sort((a, b) => a - b);
  out(`RESULT ${JSON.stringify({
    scenario: 'load', connections: n, opened: conns.filter(Boolean).length, connectFailures, dropped, stillOpen,
    echoes, echoFailures, seconds, intervalS: interval / 1000, openSeconds: openMs / 1000,
    rttMs: { p50: percentile(rtts, 50), p99: percentile(rtts, 99), max: rtts[rtts.length - 1] ?? null },
  })}`);
}

/** A client that misbehaves: `reset` writes 64 KiB without reading, then resets; `vanish` sends half a line and destroys. */
async function misbehaving(how) {
  const s = await connect();
  s.on('error', () => {});
  if (how === 'reset') {
    s.pause();
    s.write(Buffer.alloc(64 * 1024, 0x72));
  } else s.write('GET /half');
  await sleep(20);
  if (how === 'reset') s.resetAndDestroy();
  else s.destroy();
  await new Promise((resolve) => (s.closed ? resolve() : s.once('close', resolve)));
}

async function churn() {
  const total = opt('total', 100_000);
  const width = opt('concurrency', 200);
  const checkpoint = opt('checkpoint', 5000);
  const misbehave = opt('misbehave', 0);
  const deadline = performance.now() + opt('seconds', 600) * 1000;
  let done = 0;
  let failures = 0;
  const t0 = performance.now();
  out('CHECKPOINT 0');
  await sleep(300);
  for (let base = 0; base < total && performance.now() < deadline; base += checkpoint) {
    const count = Math.min(checkpoint, total - base);
    await pool(count, width, async (i) => {
      const slot = misbehave > 0 ? (base + i) % misbehave : -1;
      try {
        if (slot === 0 || slot === 1) {
          await misbehaving(slot === 0 ? 'reset' : 'vanish');
          done++;
          return;
        }
        const s = await connect();
        s.on('error', () => {});
        const c = lineClient(s);
        await c.send('hello\n');
        await new Promise((resolve) => {
          s.once('close', resolve);
          s.end();
        });
        done++;
      } catch {
        failures++;
      }
    });
    // All closed on this side; give the server a moment to see the EOFs.
    await sleep(300);
    out(`CHECKPOINT ${base + count}`);
    await sleep(100);
  }
  const seconds = (performance.now() - t0) / 1000;
  out(`RESULT ${JSON.stringify({ scenario: 'churn', total, completed: done, failures, seconds, perSecond: done / seconds })}`);
}

async function backpressure() {
  const n = opt('connections', 100);
  const seconds = opt('seconds', 10);
  const conns = [];
  let dropped = 0;
  let ending = false;
  for (let i = 0; i < n; i++) {
    const s = await connect();
    s.pause(); // never reads
    s.on('error', () => {});
    s.on('close', () => {
      if (!ending) dropped++;
    });
    conns.push(s);
  }
  out(`OPEN ${conns.length}`);
  await sleep(seconds * 1000);
  ending = true;
  for (const s of conns) s.destroy();
  out(`RESULT ${JSON.stringify({ scenario: 'backpressure', connections: n, dropped, seconds })}`);
}

async function slowloris() {
  const nLoris = opt('loris', 1000);
  const n = opt('connections', 50);
  const rounds = opt('rounds', 50);
  const seconds = opt('seconds', 20);
  const loris = [];
  let lorisDropped = 0;
  let ending = false;
  await pool(nLoris, 128, async () => {
    const s = await connect();
    s.on('error', () => {});
    s.on('close', () => {
      if (!ending) lorisDropped++;
    });
    loris.push(s);
  });
  let k = 0;
  const drip = setInterval(() => {
    for (const s of loris) if (!s.destroyed) s.write(String.fromCharCode(97 + (k % 26)));
    k++;
  }, 100);
  const rtts = [];
  let failures = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const s = await connect();
      s.on('error', () => {});
      const c = lineClient(s);
      for (let r = 0; r < rounds && performance.now() < deadline; r++) {
        try {
          rtts.push(await c.send(`client ${i} round ${r}\n`));
        } catch {
          failures++;
          break;
        }
        await sleep(10);
      }
      s.destroy();
    }),
  );
  clearInterval(drip);
  const lorisOpen = loris.filter((s) => !s.destroyed).length;
  ending = true;
  for (const s of loris) s.destroy();
  rtts.sort((a, b) => a - b);
  out(`RESULT ${JSON.stringify({
    scenario: 'slowloris', loris: nLoris, lorisOpen, lorisDropped, bytesDripped: k, connections: n, rounds,
    roundTrips: rtts.length, failures,
    rttMs: { p50: percentile(rtts, 50), p99: percentile(rtts, 99), max: rtts[rtts.length - 1] ?? null },
  })}`);
}

const scenarios = { load, churn, backpressure, slowloris };
if (!(scenario in scenarios)) {
  console.error(`clients.mjs: unknown scenario ${scenario}; one of ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
await scenarios[scenario]();
process.exit(0);
