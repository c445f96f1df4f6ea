// The TLS part of `pnpm bench` (bench/run.mjs): its figures, its certificate, its servers
// and its target. One certificate is made at bench time with openssl in a temporary
// directory (a CA, and a P-256 server certificate for localhost and 127.0.0.1 signed by it);
// every TLS server loads it and the load generator verifies it against the CA
// (bench/loadgen/src/tls.rs: rustls, session resumption off).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TLS_FIGURES = {
  'tls-1k': { label: 'TLS echo 1 KiB', mode: 'tls-echo', size: 1024 },
  'tls-100k': { label: 'TLS echo 100 KiB', mode: 'tls-echo', size: 100 * 1024 },
  // A request is a whole connection: connect, full handshake, 1 B echo, close_notify, close.
  'tls-handshake': { label: 'TLS handshake', mode: 'tls-handshake', size: 1 },
};

export const isTlsMode = (mode) => mode === 'tls-echo' || mode === 'tls-handshake';

/**
 * Makes the bench's CA and server certificate in a fresh temporary directory, removed when
 * the process exits. Returns { ca, cert, key } (file paths), or { error } when openssl fails.
 */
export function makeCertificates() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evloop-bench-tls-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const steps = [
    ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=evloop bench CA'],
    ['req', ...ec, '-keyout', 'key.pem', '-out', 'server.csr', '-subj', '/CN=localhost'],
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'ext'],
  ];
  fs.writeFileSync(path.join(dir, 'ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const args of steps) {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) return { error: `openssl ${args[0]} failed: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}` };
  }
  return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
}

/**
 * The TLS echo servers, in run.mjs's server shape ({ id, label, group, part?, cmd, needs?,
 * startTimeout? }), all loading `certs`.
 */
export function tlsServers({ root, release, python, certs }) {
  const addr = '127.0.0.1:0';
  const pem = ['--cert', certs.cert, '--key', certs.key];
  const list = [];
  for (const sel of ['epoll', 'proactor']) {
    list.push({
      id: `evloop-rust-tls-${sel}`, label: `evloop Rust TLS (${sel === 'proactor' ? 'proactor, io_uring' : sel})`, group: 'evloop', part: 'evloop-rust',
      cmd: [release('examples', 'echo_server'), addr, ...(sel === 'proactor' ? ['--proactor'] : ['--selector', sel]), ...pem],
      needs: release('examples', 'echo_server'),
    });
  }
  for (const sel of ['default', 'proactor']) {
    list.push({
      id: `evloop-node-tls-${sel}`, label: `evloop Node TLS (${sel === 'proactor' ? 'proactor, io_uring' : sel})`, group: 'evloop', part: 'evloop-node',
      cmd: ['pnpm', '-s', 'example', 'echo-server', addr, ...(sel === 'proactor' ? ['--proactor'] : ['--selector', sel]), ...pem],
      needs: path.join(root, 'examples', 'echo-server.ts'), startTimeout: 90,
    });
  }
  list.push({ id: 'node-tls', label: 'node:tls', group: 'node', cmd: [process.execPath, path.join(root, 'bench', 'servers', 'node-tls-echo.mjs'), addr, ...pem] });
  const py = path.join(root, 'bench', 'servers', 'asyncio_echo.py');
  list.push({ id: 'asyncio-tls', label: 'CPython asyncio ssl Protocol', group: 'python', cmd: [python, py, addr, ...pem] });
  list.push({ id: 'uvloop-tls', label: 'uvloop ssl Protocol', group: 'python', part: 'uvloop', cmd: [python, py, addr, '--uvloop', ...pem] });
  for (const s of list) s.proto = 'tls';
  return list;
}

/** The load generator's extra arguments for a TLS mode. */
export const tlsLoadgenArgs = (certs) => ['--ca', certs.ca, '--server-name', 'localhost'];

/** Adds the TLS target through run.mjs's computeTargets helpers. */
/** The TLS figures' target pairs: [figure, numerator, denominator] server ids (run.mjs, TARGET_PAIRS). */
export const TLS_TARGET_PAIRS = [['tls-1k', 'node-tls', 'evloop-node-tls-default']];

export function addTlsTargets({ pair, add, figures }) {
  add(`evloop Node vs node:tls, CPU/request, ${figures['tls-1k'].label}`, pair('tls-1k', 'node-tls', 'evloop-node-tls-default'),
    '>= 1.3x cheaper', (v) => v >= 1.3, 'node:tls µs / evloop Node TLS (default) µs');
}

/** The report's ratio rows for the TLS figures: [numerator, denominator] server ids. */
export const TLS_RATIO_PAIRS = [
  ['node-tls', 'evloop-node-tls-default'],
  ['asyncio-tls', 'evloop-rust-tls-epoll'],
  ['uvloop-tls', 'evloop-rust-tls-epoll'],
  ['evloop-node-tls-default', 'evloop-rust-tls-epoll'],
  ['asyncio-tls', 'evloop-node-tls-default'],
];
