// `pnpm stress --soak 30m`: one Node evloop echo server per loop kind
// (stress/node/server.mjs on epoll, poll, select and io_uring) for the whole
// duration, each under mixed traffic from this process (node:net, 127.0.0.1):
//   - echo: 20 connections held open, one 1 KiB round trip each per second
//     (the latency samples);
//   - churn: 8 workers that connect, echo a line and close, over and over;
//   - misbehaving: every 2 s one client writes 256 KiB without reading and
//     resets; one sends half a line and vanishes (destroy); 20 idle
//     half-open connections held for the whole run.
// Every 5 s the server's fds and RSS and the window's latency are sampled;
// at warm-up (the first tenth) and at the end the server also does a full
// collection and reports its V8 heap and malloc bytes in use (what it still
// holds: a leak of ours grows them; RSS also counts the allocator's kept
// pages and garbage not yet collected). Checks: no echo lost or failed, no
// server exit or panic, fds at the end back to where they were before the
// first client, after a collection at the end V8's heap and malloc's bytes in
// use within max(4 MiB, 25%) of their levels after warm-up (the first tenth),
// RSS at the end within max(16 MiB, 25%) of its level then. Writes
// stress/results/soak.json and, with --record, docs/reliability/soak-<kind>.svg
// (fds and RSS) and soak-latency.svg.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { plot } from './svg.mjs';

const KINDS = ['epoll', 'poll', 'select', 'proactor'];
/** The least growth a held-memory check allows: one 64 KiB read buffer per echo connection and then some. */
const HELD_SLACK_KB = 4 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const span = (seconds) => (seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`);

/** "30m", "90s", "1h" -> seconds. */
export function parseDuration(text) {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(String(text));
  if (m === null) throw new Error(`--soak: a duration such as 30m, 90s or 1h, got ${text}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] ?? 's'];
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** One echo round trip of `payload` on a held connection; resolves to ms. */
function roundTrip(conn, payload) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let got = 0;
    const onError = (e) => {
      conn.off('data', onData);
      reject(e);
    };
    const onData = (d) => {
      got += d.length;
      if (got >= payload.length) {
        conn.off('data', onData);
        conn.off('error', onError);
        resolve(performance.now() - t0);
      }
    };
    conn.on('data', onData);
    conn.once('error', onError);
    conn.write(payload);
  });
}

const quantile = (xs, q) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/**
 * What the server itself holds, after a full collection: V8's heap in use and
 * the C allocator's bytes in use (its STATS line after a `gc` command, see
 * stress/node/server.mjs --detail); null if none came within 10 s.
 */
async function collected(server) {
  const from = server.handle.lines.length;
  server.child.stdin.write('gc\n');
  try {
    const { m } = await server.handle.waitFor(/^STATS (.*"gc":true.*)$/, 10_000, from);
    const stats = JSON.parse(m[1]);
    return { heapUsedKb: stats.heapUsedKb, mallocInUseKb: stats.mallocInUseKb ?? null };
  } catch {
    return null;
  }
}

/** Drives one server for `seconds`; returns its record. */
async function soakOne(kind, server, seconds, sample) {
  const { port, pid } = server;
  const base = sample(pid);
  const counts = { echoes: 0, echoFailures: 0, churned: 0, churnFailures: 0, resets: 0, vanished: 0 };
  const stopAt = Date.now() + seconds * 1000;
  const running = () => Date.now() < stopAt;
  const payload = Buffer.alloc(1024, 0x65);
  const held = await Promise.all(Array.from({ length: 20 }, () => connect(port)));
  const idle = await Promise.all(Array.from({ length: 20 }, () => connect(port)));
  for (const s of idle) s.on('error', () => {});
  let window = [];
  const series = [];
  const t0 = Date.now();
  // The warm-up sample (the first tenth) and the end are read after a full
  // collection; no other sample is, so RSS shows the server's own collector pace.
  const warmAt = Math.floor(seconds / 5 / 10);
  const sampler = setInterval(async () => {
    const s = sample(pid);
    if (s === null) return;
    const point = { t: (Date.now() - t0) / 1000, ...s, p50: quantile(window, 0.5), p99: quantile(window, 0.99), max: window.length ? Math.max(...window) : null };
    window = [];
    series.push(point);
    if (series.length - 1 === warmAt) Object.assign(point, await collected(server));
  }, 5000);
  const echo = (async () => {
    while (running()) {
      const tick = sleep(1000);
      const rtts = await Promise.allSettled(held.map((c) => roundTrip(c, payload)));
      for (const r of rtts) {
        if (r.status === 'fulfilled') {
          counts.echoes += 1;
          window.push(r.value);
        } else counts.echoFailures += 1;
      }
      await tick;
    }
  })();
  const churn = Promise.all(
    Array.from({ length: 8 }, async () => {
      while (running()) {
        try {
          const s = await connect(port);
          await roundTrip(s, Buffer.from('churn\n'));
          s.end();
          await new Promise((r) => s.once('close', r));
          counts.churned += 1;
        } catch {
          counts.churnFailures += 1;
        }
      }
    }),
  );
  const misbehave = (async () => {
    while (running()) {
      try {
        const r = await connect(port);
        r.on('error', () => {});
        r.pause();
        r.write(Buffer.alloc(256 * 1024, 0x72));
        const v = await connect(port);
        v.on('error', () => {});
        v.write('GET /half');
        await sleep(200);
        r.resetAndDestroy();
        v.destroy();
        counts.resets += 1;
        counts.vanished += 1;
      } catch {
        /* counted by the server's side; the checks are on the good clients */
      }
      await sleep(1800);
    }
  })();
  await Promise.all([echo, churn, misbehave]);
  clearInterval(sampler);
  for (const s of [...held, ...idle]) s.destroy();
  await sleep(1500); // the server sees the last closes
  const end = sample(pid);
  if (end !== null) Object.assign(end, await collected(server));
  const warm = series[warmAt] ?? series[0];
  const tolerance = warm ? Math.max(16 * 1024, warm.rssKb * 0.25) : 0;
  // What the server holds after a collection: a leak of ours grows these with
  // the connections served; the allocator's kept pages (RSS) do not count.
  const heldCheck = (key, what) => {
    const ok = end?.[key] != null && warm?.[key] != null && end[key] <= warm[key] + Math.max(HELD_SLACK_KB, warm[key] * 0.25);
    return { what: `${what} after a collection at the end within max(${HELD_SLACK_KB / 1024} MiB, 25%) of its level after warm-up`, ok };
  };
  const checks = [
    { what: 'no echo failed', ok: counts.echoFailures === 0 && counts.echoes > 0 },
    { what: 'no churned connection failed', ok: counts.churnFailures === 0 && counts.churned > 0 },
    { what: 'the server is still running', ok: server.child.exitCode === null },
    { what: 'fds at the end back to where they were before the first client', ok: end !== null && base !== null && end.fds === base.fds },
    heldCheck('heapUsedKb', 'V8 heap in use'),
    heldCheck('mallocInUseKb', 'the C allocator\'s bytes in use'),
    { what: `RSS at the end within ${Math.round(tolerance / 1024)} MiB of its level after warm-up`, ok: end !== null && warm !== undefined && end.rssKb <= warm.rssKb + tolerance },
  ];
  return { scenario: 'soak', server: kind, seconds, counts, base, warm, end, series, checks };
}

/** Runs the soak on every kind at once; `start(cmd, args)` and `sample(pid)` are the runner's. */
export async function soak({ root, seconds, start, sample, stopServer, info, record, log }) {
  log(`soak: ${seconds} s on ${KINDS.join(', ')} at once`);
  const servers = [];
  for (const kind of KINDS) {
    const s = start(process.execPath, ['--expose-gc', 'stress/node/server.mjs', '--mode', 'echo', '--selector', kind, '--max-seconds', String(seconds + 120), '--detail']);
    const port = Number((await s.waitFor(/^PORT (\d+)/, 30_000)).m[1]);
    servers.push({ kind, port, pid: s.child.pid, child: s.child, handle: s });
  }
  const records = await Promise.all(servers.map((s) => soakOne(s.kind, s, seconds, sample)));
  for (const s of servers) {
    await stopServer(s.handle);
    const noPanic = !/panicked|Aborted|FATAL/.test(s.handle.stderr());
    records.find((r) => r.server === s.kind).checks.push({ what: 'no panic or abort in the server', ok: noPanic });
  }
  const outDir = path.join(root, 'stress', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'soak.json'), `${JSON.stringify({ machine: info, seconds, records }, null, 1)}\n`);
  if (record) {
    const docDir = path.join(root, 'docs', 'reliability');
    fs.mkdirSync(docDir, { recursive: true });
    const when = `${info.date.slice(0, 16)} UTC, ${info.nproc} cpus, commit ${info.commit.split(' ')[0]}`;
    for (const r of records) {
      const svg = plot({
        title: `soak: ${span(seconds)} of mixed echo, churn and misbehaving clients (${r.server})`,
        subtitle: when,
        xLabel: 'seconds',
        points: r.series.map((p) => ({ x: p.t, fds: p.fds, rssMiB: p.rssKb / 1024 })),
      });
      fs.writeFileSync(path.join(docDir, `soak-${r.server}.svg`), svg);
    }
    fs.writeFileSync(path.join(docDir, 'soak-latency.svg'), latencySvg(records, seconds, when));
    log('recorded in docs/reliability/: soak-<kind>.svg, soak-latency.svg');
  }
  return records;
}

/** p99 round-trip latency per 5 s window, one line per loop kind. */
function latencySvg(records, seconds, when) {
  const W = 640;
  const H = 320;
  const M = { left: 60, right: 20, top: 50, bottom: 40 };
  const colors = { epoll: '#1f77b4', poll: '#2ca02c', select: '#ff7f0e', proactor: '#d62728' };
  const pts = records.flatMap((r) => r.series.filter((p) => p.p99 !== null));
  const yMax = Math.max(1, ...pts.map((p) => p.p99)) * 1.1;
  const xMax = Math.max(1, ...pts.map((p) => p.t));
  const px = (x) => M.left + (x / xMax) * (W - M.left - M.right);
  const py = (y) => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">soak: echo round trip p99 per 5 s window (${span(seconds)})</text>`,
    `<text x="${W / 2}" y="30" text-anchor="middle" fill="#555">${when}</text>`,
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">seconds (0 to ${Math.round(xMax)})</text>`,
    `<text transform="translate(16 ${(H - M.bottom + M.top) / 2}) rotate(-90)" text-anchor="middle">p99 ms (axis to ${yMax.toFixed(1)})</text>`,
  ];
  for (const [i, frac] of [0, 0.5, 1].entries()) {
    parts.push(`<text x="${M.left - 6}" y="${py(yMax * frac) + 4}" text-anchor="end">${(yMax * frac).toFixed(i === 0 ? 0 : 1)}</text>`);
  }
  records.forEach((r, i) => {
    const line = r.series.filter((p) => p.p99 !== null).map((p) => `${px(p.t).toFixed(1)},${py(p.p99).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${colors[r.server]}" stroke-width="1.5" points="${line}"/>`);
    parts.push(`<text x="${M.left + 10 + i * 90}" y="44" fill="${colors[r.server]}">${r.server}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
