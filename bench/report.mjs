// Writes docs/benchmarks.md and its SVG charts (docs/benchmarks/*.svg) from the results of
// bench/run.mjs. Also usable alone, to regenerate the report from a results file:
//   node bench/report.mjs bench/results/<date>.json [OUT_DIR]   (OUT_DIR defaults to docs/)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeTargets } from './targets.mjs';
import { TLS_RATIO_PAIRS } from './tls.mjs';

// The issue author's reference figures (server CPU µs per echo, 100 connections, native client).
const REFERENCE = {
  rawmio: { 'echo-1k': 4.1, 'echo-100k': 20 },
  'asyncio-protocol': { 'echo-1k': 5.9, 'echo-100k': 22 },
  'uvloop-protocol': { 'echo-1k': 5.0, 'echo-100k': 21 },
  'node-net': { 'echo-1k': 9.1, 'echo-100k': 87 },
};

const COLORS = { evloop: '#1f6fb2', rust: '#4d4d4d', node: '#6aa84f', python: '#c9a227' };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function fmt(v, digits = 2) {
  if (v == null || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  return v.toFixed(digits);
}

/**
 * Horizontal bar charts stacked in one SVG. panels: [{ title, unit, digits?, rows: [{ label, value, color }] }].
 * Hand-written SVG: text, rects and lines only.
 */
export function barChartSvg(title, panels) {
  const W = 760;
  const labelW = 210;
  const barW = 420;
  const rowH = 20;
  const gap = 4;
  let y = 34;
  const parts = [`<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`];
  for (const p of panels) {
    const rows = p.rows.filter((r) => r.value != null && Number.isFinite(r.value));
    y += 10;
    parts.push(`<text x="10" y="${y + 4}" font-size="12" fill="#333">${esc(p.title)}</text>`);
    y += 12;
    const max = Math.max(...rows.map((r) => r.value), 0) || 1;
    for (const r of rows) {
      const w = Math.max(1, (r.value / max) * barW);
      parts.push(
        `<text x="${labelW - 6}" y="${y + rowH - 6}" font-size="12" text-anchor="end">${esc(r.label)}</text>`,
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 2}" fill="${r.color ?? '#888'}"/>`,
        `<text x="${(labelW + w + 4).toFixed(1)}" y="${y + rowH - 6}" font-size="11" fill="#222">${esc(fmt(r.value, p.digits ?? 2) + (p.unit ? ` ${p.unit}` : ''))}</text>`,
      );
      y += rowH + gap;
    }
    if (rows.length === 0) {
      parts.push(`<text x="${labelW}" y="${y + 14}" font-size="12" fill="#888">no data</text>`);
      y += rowH;
    }
    parts.push(`<line x1="${labelW}" y1="${y - rowH * rows.length - gap * rows.length - 2}" x2="${labelW}" y2="${y}" stroke="#999"/>`);
    y += 6;
  }
  const H = y + 8;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">
<rect width="${W}" height="${H}" fill="#fff"/>
${parts.join('\n')}
</svg>
`;
}

export function writeReport(doc, docsDir, jsonRel) {
  const chartDir = path.join(docsDir, 'benchmarks');
  fs.mkdirSync(chartDir, { recursive: true });
  const servers = doc.servers;
  const ran = servers.filter((s) => s.status === 'ok');
  const figs = doc.config.figures;
  const cell = (fid, id) => doc.echo[fid]?.[id] ?? null;
  const L = [];
  const m = doc.machine;

  L.push('# Benchmarks');
  L.push('');
  L.push('evloop against its peers, side by side, in one run. This page is written by `pnpm bench`');
  L.push(`(bench/run.mjs); the raw figures are in [${path.basename(jsonRel)}](${jsonRel.split(path.sep).join('/')}).`);
  L.push('');
  L.push(`- Date: ${doc.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}; run took ${Math.round(doc.elapsed_s / 60)} min (${doc.config.mode} mode).`);
  L.push(`- Machine: ${m.nproc} cores, ${m.cpu}, ${m.mem_gib} GiB, ${m.kernel}.`);
  L.push(`- Versions: node ${m.node}, ${m.python}, ${m.rustc}, uvloop ${m.uvloop ?? 'not installed'}, pnpm ${m.pnpm}.`);
  L.push(`- Commit: \`${m.git_commit}\`${m.git_dirty_files ? `, with ${m.git_dirty_files} uncommitted changes in the working tree` : ''}.`);
  L.push(`- Settings: ${doc.config.duration} s per figure after ${doc.config.warmup} s of warm-up, median of ${doc.config.reps}${doc.config.targetReps > doc.config.reps ? ` (target pairs: ${doc.config.targetReps})` : ''}; echo over ${doc.config.conns} connections, churn with ${doc.config.churnConns} concurrent${doc.config.udpConns ? `, UDP with ${doc.config.udpConns} datagrams outstanding` : ""}${doc.config.handshakeConns ? `, TLS handshakes with ${doc.config.handshakeConns} concurrent` : ''}; loop microbenchmarks with n = ${doc.config.loopN.toLocaleString('en-US')}; ${doc.config.pinned ? `server pinned to CPU ${doc.config.pinned.server_cpu}, load generator to CPU ${doc.config.pinned.client_cpu}` : 'nothing pinned'}.`);
  const f = doc.concurrent_load;
  if (f?.with_foreign_builds) {
    L.push(`- **Concurrent load**: other builds (${f.seen.join(', ')}) were running during ${f.with_foreign_builds} of ${f.samples} measurements.`);
  } else if (f) {
    L.push(`- No other build was seen running during the ${f.samples} measurements.`);
  }
  if (f?.kept != null) {
    L.push(`- Other processes kept a median of ${fmt(f.median_other_load)} cores busy during the measured windows; ${f.retries} measurements were retried for being busier than ${f.max_other_load} cores, and ${f.kept_busy} of the ${f.kept} kept still were${f.kept_busy ? ' (figures from a busy machine are noisy: the server is preempted and batches more per wake-up)' : ''}.`);
  }
  if (f?.median_steal != null) {
    L.push(`- Steal (CPU time the hypervisor gave other guests, on the server's and load generator's CPUs): median ${(100 * f.median_steal).toFixed(1)}%, worst ${(100 * f.worst_steal).toFixed(1)}% of a measurement; ${f.kept_stolen} measurements kept above ${(100 * f.max_steal).toFixed(0)}% after their retries.`);
  }
  for (const n of doc.notes ?? []) L.push(`- Note: ${n}`);
  L.push('');

  // Targets
  L.push('## Targets');
  L.push('');
  L.push('An echo target\'s figure is the median of its paired ratios: the two servers\' CPU per request divided');
  L.push('within each repetition, over the repetitions in which both ran; "spread" is the lowest and highest of those');
  L.push('ratios, and "of medians" the ratio of the two servers\' medians in the table below (see "How the targets are measured").');
  L.push('A goal met at one end of the spread and missed at the other is marked *unsettled*: this run cannot decide it.');
  L.push('');
  L.push('| target | goal | measured | spread (reps) | of medians | met? |');
  L.push('|---|---|---|---|---:|---|');
  for (const t of doc.targets) {
    const v = t.value == null ? 'not measured' : `${t.value.toFixed(2)}${t.detail ? ` (${t.detail})` : ''}`;
    const spread = t.n ? `${t.min.toFixed(2)}–${t.max.toFixed(2)} (${t.n})` : '–';
    const met = t.met == null ? '–' : `${t.met ? 'yes' : '**no**'}${t.settled === false ? ', *unsettled*' : ''}`;
    L.push(`| ${t.name} | ${t.goal} | ${v} | ${spread} | ${fmt(t.of_medians)} | ${met} |`);
  }
  L.push('');
  // What bounds a missed target: hand-written from profiles (bench/bounds.md), shown while any is missed.
  const bounds = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bounds.md');
  if (doc.targets.some((t) => t.met === false) && fs.existsSync(bounds)) {
    L.push('### What bounds the missed targets');
    L.push('');
    L.push(fs.readFileSync(bounds, 'utf8').trim());
    L.push('');
  }

  // CPU per request
  L.push('## Server CPU time per request');
  L.push('');
  L.push('Microseconds of server CPU (user + system, all threads and child processes) per request, median;');
  L.push('in brackets, the ratio to raw mio (lower is better). A churn request is a whole connection; a UDP');
  L.push('request is one datagram echoed (UDP servers run the udp-* figures only); a TLS handshake request is a whole');
  L.push('connection with a full handshake (no resumption), so its figure is the server\'s CPU per handshake (TLS');
  L.push('servers run the TLS figures only).');
  L.push('');
  L.push(`| server | ${figs.map((x) => x.label).join(' | ')} |`);
  L.push(`|---|${figs.map(() => '---:').join('|')}|`);
  for (const s of ran) {
    const cells = figs.map((x) => {
      const c = cell(x.id, s.id);
      const base = cell(x.id, 'rawmio')?.server_cpu_us_per_req;
      if (!c || c.server_cpu_us_per_req == null) return '–';
      const r = base ? ` (${(c.server_cpu_us_per_req / base).toFixed(2)}x)` : '';
      return `${c.server_cpu_us_per_req.toFixed(2)}${r}`;
    });
    L.push(`| ${s.label} | ${cells.join(' | ')} |`);
  }
  L.push('');

  // Ratios against the peers
  const pairs = [ // [numerator, denominator]
    ['node-net', 'evloop-node-default'],
    ['evloop-rust-epoll', 'rawmio'],
    ['asyncio-protocol', 'evloop-rust-epoll'],
    ['uvloop-protocol', 'evloop-rust-epoll'],
    ['evloop-node-default', 'evloop-rust-epoll'],
    ['asyncio-protocol', 'evloop-node-default'],
    ['node-dgram', 'evloop-node-udp-default'],
    ['asyncio-udp', 'evloop-rust-udp-epoll'],
    ['uvloop-udp', 'evloop-rust-udp-epoll'],
    ['asyncio-udp', 'evloop-node-udp-default'],
    ...TLS_RATIO_PAIRS,
  ];
  const labelOf = (id) => servers.find((x) => x.id === id)?.label ?? id;
  L.push('Ratios of CPU per request: each cell is the first server\'s figure divided by the second\'s.');
  L.push('');
  L.push(`| ratio | ${figs.map((x) => x.label).join(' | ')} |`);
  L.push(`|---|${figs.map(() => '---:').join('|')}|`);
  for (const [num, den] of pairs) {
    const cells = figs.map((x) => {
      const n = cell(x.id, num)?.server_cpu_us_per_req;
      const d = cell(x.id, den)?.server_cpu_us_per_req;
      return n != null && d ? `${(n / d).toFixed(2)}` : '–';
    });
    L.push(`| ${labelOf(num)} / ${labelOf(den)} | ${cells.join(' | ')} |`);
  }
  L.push('');

  // Throughput
  L.push('## Throughput');
  L.push('');
  L.push('Requests per second (MB/s of payload echoed, one direction), median. The load generator shares the');
  L.push('machine with the server, so these depend on the client as much as on the server; the CPU per request above does not.');
  L.push('');
  L.push(`| server | ${figs.map((x) => x.label).join(' | ')} |`);
  L.push(`|---|${figs.map(() => '---:').join('|')}|`);
  for (const s of ran) {
    const cells = figs.map((x) => {
      const c = cell(x.id, s.id);
      if (!c || c.rps == null) return '–';
      return x.mode === 'churn' || x.mode === 'tls-handshake' ? fmt(c.rps, 0) : `${fmt(c.rps, 0)} (${c.mbps.toFixed(0)} MB/s)`;
    });
    L.push(`| ${s.label} | ${cells.join(' | ')} |`);
  }
  L.push('');

  // Reference
  L.push('The issue author\'s reference figures (µs of server CPU per echo, 100 connections), next to this run:');
  L.push('');
  L.push('| server | 1 KiB: reference | 1 KiB: this run | 100 KiB: reference | 100 KiB: this run |');
  L.push('|---|---:|---:|---:|---:|');
  for (const [id, ref] of Object.entries(REFERENCE)) {
    const s = servers.find((x) => x.id === id);
    const got = (fid) => cell(fid, id)?.server_cpu_us_per_req;
    L.push(`| ${s?.label ?? id} | ${ref['echo-1k']} | ${fmt(got('echo-1k'))} | ${ref['echo-100k']} | ${fmt(got('echo-100k'))} |`);
  }
  L.push('');

  // Charts
  L.push('## Charts');
  L.push('');
  for (const x of figs) {
    const rows = (key) => ran.map((s) => ({ label: s.label, value: cell(x.id, s.id)?.[key] ?? null, color: COLORS[s.group] }));
    const svg = barChartSvg(x.label, [
      { title: 'server CPU per request, µs (lower is better)', unit: 'µs', rows: rows('server_cpu_us_per_req') },
      { title: 'requests per second (higher is better)', unit: '/s', digits: 0, rows: rows('rps') },
    ]);
    fs.writeFileSync(path.join(chartDir, `${x.id}.svg`), svg);
    L.push(`![${x.label}](benchmarks/${x.id}.svg)`);
    L.push('');
  }

  // Loop
  const loopNames = Object.keys(doc.loop ?? {});
  if (loopNames.length) {
    L.push('## Loop microbenchmarks');
    L.push('');
    L.push('Microseconds per operation, median (crates/evloop/examples/bench_loop.rs for Rust, bench/loop-node.mjs for Node;');
    L.push('"Node builtin" is setImmediate, setTimeout/clearTimeout and a setImmediate chain).');
    L.push('');
    L.push('| figure | evloop Rust | evloop Node | Node builtin | builtin / evloop Node |');
    L.push('|---|---:|---:|---:|---:|');
    for (const n of loopNames) {
      const g = (id) => doc.loop[n][id]?.per_op_us ?? null;
      const r = g('node') != null && g('evloop-node') ? (g('node') / g('evloop-node')).toFixed(2) : '–';
      const rust = doc.loop[n]['evloop-rust'];
      L.push(`| ${n} | ${fmt(g('evloop-rust'), 4)}${rust ? ` (${fmt(rust.ops_per_s)}/s)` : ''} | ${fmt(g('evloop-node'), 3)} | ${fmt(g('node'), 3)} | ${r} |`);
    }
    L.push('');
    const svg = barChartSvg('Loop microbenchmarks (µs per operation, lower is better)', loopNames.map((n) => ({
      title: n,
      unit: 'µs',
      rows: [
        { label: 'evloop Rust', value: doc.loop[n]['evloop-rust']?.per_op_us ?? null, color: '#6fa8dc' },
        { label: 'evloop Node', value: doc.loop[n]['evloop-node']?.per_op_us ?? null, color: COLORS.evloop },
        { label: 'Node builtin', value: doc.loop[n].node?.per_op_us ?? null, color: COLORS.node },
      ],
    })));
    fs.writeFileSync(path.join(chartDir, 'loop.svg'), svg);
    L.push('![loop microbenchmarks](benchmarks/loop.svg)');
    L.push('');
  }

  // Servers
  L.push('## Servers');
  L.push('');
  L.push('| server | command | status |');
  L.push('|---|---|---|');
  for (const s of servers) L.push(`| ${s.label} | \`${s.command}\` | ${s.status === 'ok' ? 'ran' : `skipped: ${s.reason}`} |`);
  L.push('');

  L.push('## Method');
  L.push('');
  L.push(`- \`pnpm bench\` (bench/run.mjs) sets up the peers: a virtualenv in bench/.venv with uvloop (pinned), \`cargo build --release\`
  of bench/loadgen (the \`loadgen\` and \`rawmio\` binaries) and of the evloop examples, and the Node addon (\`pnpm build:native\`).
  It then runs the loop microbenchmarks, starts every server once, and runs each figure against each server in turn,
  repetition after repetition, so that drifts of a shared machine hit every server alike. Each server is first
  primed with ${doc.config.prime ?? 0} s of untimed 1 KiB echo: a fresh CPython asyncio server runs its first session of
  connections several times slower than the later ones, whichever size comes first.
- Options (flags or environment): \`--quick\` (BENCH_QUICK=1: 1 repetition of 0.5 s, n = 100,000, output in bench/results/tmp/),
  \`--duration S\`, \`--reps N\`, \`--warmup S\`, \`--prime S\`, \`--conns N\`, \`--churn-conns N\`, \`--udp-conns N\`, \`--handshake-conns N\`,
  \`--loop-n N\`, \`--only REGEX\` (server ids), \`--figures echo-1k,echo-10k,echo-100k,churn,udp-64,udp-1k,tls-1k,tls-100k,tls-handshake\`,
  \`--skip-setup\`, \`--no-loop\`, \`--no-pin\` (BENCH_PIN=0),
  \`--max-other-load CORES\`, \`--max-steal SHARE\`, \`--target-reps N\`, \`--out DIR\`. \`node bench/report.mjs RESULTS.json [DIR]\` rewrites this page from a results file.
- The load generator (bench/loadgen, Rust on mio, one thread) keeps exactly one request outstanding per connection:
  write the message, read as many bytes back, repeat. It connects everyone first, warms up (checking the echoed bytes),
  then counts the requests completed in the measured window. Churn runs concurrent cycles of connect, write 1 byte,
  read it back, close; the client closes with RST (SO_LINGER 0) so that TIME_WAIT sockets do not pile up on the client
  and make connect() the bottleneck (\`loadgen churn --close fin\` closes normally).
- TLS (bench/tls.mjs): one certificate (P-256, for localhost and 127.0.0.1, signed by a CA made alongside) is made
  with openssl at bench time in a temporary directory and loaded by every TLS server: evloop Rust
  (crates/evloop/examples/echo_server.rs with \`--cert\`/\`--key\`), evloop Node (examples/echo-server.ts with \`--cert\`/\`--key\`),
  node:tls (bench/servers/node-tls-echo.mjs), CPython asyncio and uvloop with the \`ssl\` module
  (bench/servers/asyncio_echo.py with \`--cert\`/\`--key\`). The load generator's TLS client is rustls (ring) with
  session resumption off, verifying the server against that CA; it offers rustls's default suites (TLS 1.3,
  AES-256-GCM first) and X25519 first (OpenSSL's order; ring's own puts P-384 first), and every server here takes
  the client's first choice. \`tls-echo\` is the echo above over TLS (all handshakes done before the clock starts);
  \`tls-handshake\` runs concurrent cycles of connect, full handshake, 1-byte echo, close_notify and close (RST).
- Server CPU time: utime + stime from /proc/PID/stat of the server process and all its descendants (pnpm and the node
  it starts, for instance), read by the load generator when the measured window opens and when it closes, divided by
  the requests completed in it. Each read is in 10 ms ticks: ${((2 * 0.01 * 100) / doc.config.duration).toFixed(1)}% of a ${doc.config.duration} s window of one busy core.
- Pinning: with two CPUs or more, every server runs on the second CPU and the load generator on the first (\`taskset\`;
  \`--no-pin\` turns it off). Left to the scheduler, client and server sometimes share a core and sometimes not, and the
  CPU per request flips between two regimes (about half of it when they share a core, since each wake-up then finds
  more requests waiting), which made unpinned runs disagree by up to 2x.
- Each measurement also reads /proc/stat: the CPU time of everything but this server and this client over the window,
  in cores, is its \`other_load\`. One above ${doc.config.maxOtherLoad ?? 0.3} is retried (up to twice, within a budget of an eighth of the
  measurements) and the quietest attempt kept.
- Steal: each measurement also reads the per-CPU counters of /proc/stat before and after, and one during which the
  hypervisor gave more than ${(100 * (doc.config.maxSteal ?? 0.05)).toFixed(0)}% of the server's or the load generator's CPU to other guests is retried
  like a busy one (\`--max-steal SHARE\`). Its share is in the results file as \`steal\`.
- Every server sets TCP_NODELAY (asyncio's default; \`noDelay: true\` for node:net), listens on 127.0.0.1 and runs until stopped.
- Two cores are shared by the server and the client, so a server's requests per second is bounded by what the
  client leaves it; CPU per request is the figure to compare.

### How the targets are measured

On a small virtual machine one server's CPU per request moves by a quarter to a half between repetitions of
the same run: steal by other guests, the load generator's speed (CPU per request falls as throughput rises,
since each wake-up then finds more requests waiting), and other processes. Two servers measured close in time
move together. So a target does not divide two medians taken at different moments; it divides the two servers'
figures within each repetition (a *paired ratio*) and reports the median of those ratios, with their lowest
and highest. Every figure runs against every server in each repetition (${doc.config.reps} here); then the two servers of
each target pair run more repetitions of its figure, back to back and in alternating order (\`--target-reps N\`:
${doc.config.targetReps ?? doc.config.reps} in all here, by default six more than \`--reps\`, none more with \`--quick\`), which adds a few minutes to the run instead of
repeating every server. The per-server tables take the ordinary repetitions only; every run, with
its repetition, pair, throughput, \`other_load\` and \`steal\`, is in the results file.
`);
  const mdPath = path.join(docsDir, 'benchmarks.md');
  fs.writeFileSync(mdPath, L.join('\n'));
  return mdPath;
}

/**
 * A results file from before the targets were paired ratios: its runs are in repetition order
 * (failed runs left out, so a repetition with a failure pairs off by one), so recompute them.
 */
function repairTargets(doc) {
  for (const byServer of Object.values(doc.echo)) {
    for (const c of Object.values(byServer)) c.runs = (c.runs ?? []).map((r, i) => ({ rep: i + 1, ...r }));
  }
  const labels = new Proxy(Object.fromEntries(doc.config.figures.map((x) => [x.id, x.label])), { get: (o, k) => o[k] ?? k });
  doc.targets = computeTargets(doc.echo, doc.loop, { labels, loopN: doc.config.loopN });
  (doc.notes ??= []).push('the targets were recomputed as paired ratios from the runs of this results file by bench/report.mjs after the run (the file predates them; its repetitions ran every server in turn, without the back-to-back target repetitions)');
}

// Standalone: node bench/report.mjs RESULTS.json [OUT_DIR]
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, out] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/report.mjs bench/results/<date>.json [OUT_DIR]');
    process.exit(2);
  }
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const docsDir = path.resolve(out ?? path.join(root, 'docs'));
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (doc.echo && !doc.targets?.some((t) => t.n != null)) repairTargets(doc);
  console.log(writeReport(doc, docsDir, path.relative(docsDir, path.resolve(file))));
}
