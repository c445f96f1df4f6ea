// The networking examples run as documented: `pnpm -s example echo-server
// HOST:PORT [--selector NAME]` prints the bound address first, echoes, and
// ends on SIGTERM (serving TLS with --cert/--key); so does the streams chat. (The runner is spawned as
// `node examples/run.mjs ...`, which is what the "example" script runs.)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readAll } from './net-helpers.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts an example; resolves with the child and its first output line. */
function start(name: string, args: string[]): Promise<{ child: ChildProcess; first: string }> {
  const child = spawn(process.execPath, ['examples/run.mjs', name, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, first: out.slice(0, nl) });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d));
    child.on('exit', (code) => reject(new Error(`example exited (${code}) before printing: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

function portOf(first: string): number {
  const m = /^(?:\[[^\]]+\]|[^:]+):(\d+)$/.exec(first);
  if (m === null) throw new Error(`not an address: ${first}`);
  return Number(m[1]);
}

describe('examples', () => {
  it('policy-select makes every new loop a select-based SelectorEventLoop', async () => {
    const out = execFileSync(process.execPath, ['examples/run.mjs', 'policy-select'], { cwd: repoRoot }).toString();
    expect(out.trim().split('\n')).toEqual([
      'newEventLoop() uses select',
      'run() uses select',
      'echoed: hello through select(2)',
    ]);
  });

  it.each(['default', 'poll', 'select'])('echo-server (%s) prints its address, echoes, ends on SIGTERM', async (selector) => {
    const { child, first } = await start('echo-server', ['127.0.0.1:0', '--selector', selector]);
    expect(first).toMatch(/^127\.0\.0\.1:\d+$/);
    const payload = Buffer.alloc(256 * 1024, 'abc');
    const c = net.connect(portOf(first), '127.0.0.1', () => c.end(payload));
    expect((await readAll(c)).equals(payload)).toBe(true);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  }, 30_000);

  it('echo-server --cert/--key serves TLS to a node:tls client', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evloop-example-tls-'));
    try {
      const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=example CA');
      ssl('req', ...ec, '-keyout', 'key.pem', '-out', 'server.csr', '-subj', '/CN=localhost');
      fs.writeFileSync(path.join(dir, 'ext'), 'subjectAltName=DNS:localhost\n');
      ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'ext');
      const { child, first } = await start('echo-server', ['127.0.0.1:0', '--cert', path.join(dir, 'cert.pem'), '--key', path.join(dir, 'key.pem')]);
      const payload = Buffer.alloc(256 * 1024, 'tls');
      let protocol: string | null = null;
      const c = tls.connect({ port: portOf(first), host: '127.0.0.1', servername: 'localhost', ca: fs.readFileSync(path.join(dir, 'ca.pem')) }, () => {
        protocol = c.getProtocol();
        c.end(payload);
      });
      expect((await readAll(c)).equals(payload)).toBe(true);
      expect(protocol).toBe('TLSv1.3');
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it.each(['default', 'proactor'])('udp-echo-server (%s) echoes node:dgram datagrams, ends on SIGTERM', async (kind) => {
    const { child, first } = await start('udp-echo-server', ['127.0.0.1:0', ...(kind === 'proactor' ? ['--proactor'] : [])]);
    expect(first).toMatch(/^127\.0\.0\.1:\d+$/);
    const c = dgram.createSocket('udp4');
    const echoed = new Promise<Buffer>((resolve) => c.once('message', resolve));
    c.send(Buffer.from('datagram'), portOf(first), '127.0.0.1');
    expect((await echoed).toString()).toBe('datagram');
    c.close();
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  }, 30_000);

  it('streams-chat relays lines between clients', async () => {
    const { child, first } = await start('streams-chat', ['127.0.0.1:0']);
    const port = portOf(first);
    const lines = (s: net.Socket) => {
      const got: string[] = [];
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          got.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
      return got;
    };
    const wait = async (cond: () => boolean) => {
      for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(cond()).toBe(true);
    };
    const a = net.connect(port, '127.0.0.1');
    const aLines = lines(a);
    await wait(() => aLines.length === 1);
    const b = net.connect(port, '127.0.0.1');
    const bLines = lines(b);
    await wait(() => bLines.length === 1 && aLines.length === 2);
    expect(aLines[1]).toMatch(/^\* 127\.0\.0\.1:\d+ joined$/);
    a.write('hello from a\n');
    await wait(() => bLines.length === 2);
    expect(bLines[1]).toMatch(/^127\.0\.0\.1:\d+: hello from a$/);
    a.end();
    await wait(() => bLines.length === 3);
    expect(bLines[2]).toMatch(/left$/);
    b.destroy();
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  }, 30_000);
});
