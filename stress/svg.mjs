// Small SVG line plots for the stress results (no libraries): two series on
// one x axis, open fds on the left axis and RSS (MiB) on the right one.

const W = 640;
const H = 340;
const M = { left: 64, right: 70, top: 62, bottom: 46 };
const FDS = '#1f77b4';
const RSS = '#d62728';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Round axis ticks covering [lo, hi]. */
function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const start = Math.floor(lo / step) * step;
  const out = [];
  // The last tick is at or above `hi`, so the data stays inside the plot.
  for (let v = start; out.length < 20; v += step) {
    out.push(Number(v.toPrecision(12)));
    if (v >= hi - step * 1e-9) break;
  }
  return out;
}

const fmt = (v) => (Math.abs(v) >= 10_000 ? `${v / 1000}k` : String(v));

/**
 * A plot of `points` ([{ x, fds, rssMiB }]) with titles; returns SVG text.
 */
export function plot({ title, subtitle, xLabel, points }) {
  const xs = points.map((p) => p.x);
  const xT = ticks(Math.min(...xs, 0), Math.max(...xs, 1));
  const fT = ticks(0, Math.max(...points.map((p) => p.fds), 1) * 1.1);
  const rT = ticks(0, Math.max(...points.map((p) => p.rssMiB), 1) * 1.1);
  const [x0, x1] = [xT[0], xT[xT.length - 1]];
  const fMax = fT[fT.length - 1];
  const rMax = rT[rT.length - 1];
  const px = (x) => M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (v, max) => H - M.bottom - (v / max) * (H - M.top - M.bottom);
  const line = (key, max) => points.map((p) => `${px(p.x).toFixed(1)},${py(p[key], max).toFixed(1)}`).join(' ');
  const dots = (key, max, color) =>
    points.length <= 60
      ? points.map((p) => `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p[key], max).toFixed(1)}" r="2.5" fill="${color}"/>`).join('')
      : '';
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<text x="${W / 2}" y="30" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`,
  ];
  for (const t of fT) {
    const y = py(t, fMax);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end" fill="${FDS}">${fmt(t)}</text>`);
  }
  for (const t of rT) {
    parts.push(`<text x="${W - M.right + 6}" y="${py(t, rMax) + 4}" fill="${RSS}">${fmt(t)}</text>`);
  }
  for (const t of xT) {
    parts.push(`<text x="${px(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="${FDS}"/>`,
    `<line x1="${W - M.right}" x2="${W - M.right}" y1="${M.top}" y2="${H - M.bottom}" stroke="${RSS}"/>`,
    `<text x="${W / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${(H - M.bottom + M.top) / 2}) rotate(-90)" text-anchor="middle" fill="${FDS}">open fds</text>`,
    `<text transform="translate(${W - 14} ${(H - M.bottom + M.top) / 2}) rotate(90)" text-anchor="middle" fill="${RSS}">RSS (MiB)</text>`,
    `<polyline fill="none" stroke="${FDS}" stroke-width="2" points="${line('fds', fMax)}"/>`,
    dots('fds', fMax, FDS),
    `<polyline fill="none" stroke="${RSS}" stroke-width="2" points="${line('rssMiB', rMax)}"/>`,
    dots('rssMiB', rMax, RSS),
    `<line x1="${W / 2 - 150}" x2="${W / 2 - 130}" y1="46" y2="46" stroke="${FDS}" stroke-width="2"/>`,
    `<text x="${W / 2 - 124}" y="50">open fds of the server (left)</text>`,
    `<line x1="${W / 2 + 40}" x2="${W / 2 + 60}" y1="46" y2="46" stroke="${RSS}" stroke-width="2"/>`,
    `<text x="${W / 2 + 66}" y="50">its RSS (right)</text>`,
    '</svg>',
  );
  return `${parts.filter(Boolean).join('\n')}\n`;
}

const machineLine = (info) => `${info.date.slice(0, 10)}, ${info.nproc} cpus, ${info.kernel}, commit ${info.commit.split(' ')[0]}`;

/** Churn: fds and RSS of the server at each checkpoint (all connections closed). */
export function churnSvg(r, info) {
  return plot({
    title: `churn: ${r.client?.total ?? '?'} connections opened and closed (${r.server} server)`,
    subtitle: `sampled each time all were closed; ${machineLine(info)}`,
    xLabel: 'connections opened and closed so far',
    points: r.checkpoints.map((p) => ({ x: p.connections, fds: p.fds, rssMiB: p.rssKb / 1024 })),
  });
}

/** A run over time: fds and RSS of the server every 0.5 s. */
export function seriesSvg(r, info, title) {
  return plot({
    title,
    subtitle: machineLine(info),
    xLabel: 'seconds',
    points: r.series.map((p) => ({ x: p.t, fds: p.fds, rssMiB: p.rssKb / 1024 })),
  });
}
