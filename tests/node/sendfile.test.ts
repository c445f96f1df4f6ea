// sockSendfile and loop.sendfile on every Node loop, against node:net receivers: 1 GiB sent with
// sendfile(2) byte for byte (a sparse temp file with marks, hashed as it streams in on the
// receiving side, with memory staying flat), offset and count through a transport (after what the
// transport had buffered, and the file's position after the last byte sent), the read-and-send
// fallback for a file sendfile(2) cannot read, a TLS transport (always the fallback, against a
// node:tls server), connectAcceptedSocket as the TLS server's end, and bad arguments.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeError, SHUT_WR, SSLContext, ValueError, socket, type Socket, type Transport } from 'evloop';
import { collector, inLoop, LOOPS, makeLoop, Recorder, until } from './net-helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evloop-sendfile-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// Certificates for the TLS cases, made at test time with openssl.
const pem = (name: string) => fs.readFileSync(path.join(dir, name));
beforeAll(() => {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=evloop test CA');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  fs.writeFileSync(path.join(dir, 'ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext');
});

const GIB = 1 << 30;
const MIB = 1 << 20;
/** Non-zero marks in the sparse file: where they are and what they hold. */
const MARKS: [number, Buffer][] = [
  [0, Buffer.from('first bytes of the file')],
  [GIB / 2 - 7, Buffer.from('across the middle of the file')],
  [GIB - 9, Buffer.from('last byte')],
];

/** A sparse 1 GiB file with MARKS; its path (the caller deletes it). */
function sparseFile(): string {
  const p = path.join(dir, `big-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const fd = fs.openSync(p, 'w');
  fs.ftruncateSync(fd, GIB);
  for (const [at, data] of MARKS) fs.writeSync(fd, data, 0, data.length, at);
  fs.closeSync(fd);
  return p;
}

/** The SHA-256 of the sparse file's content, made 1 MiB at a time. */
function expectedHash(): string {
  const h = createHash('sha256');
  const chunk = Buffer.alloc(MIB);
  for (let start = 0; start < GIB; start += MIB) {
    chunk.fill(0);
    for (const [at, data] of MARKS) {
      const from = Math.max(at, start);
      const to = Math.min(at + data.length, start + MIB);
      if (from < to) data.copy(chunk, from - start, from - at, to - at);
    }
    h.update(chunk);
  }
  return h.digest('hex');
}

/** A node:net server that hashes what its first connection sends until EOF. */
async function hashingServer(): Promise<{ port: number; result: Promise<{ hash: string; bytes: number }>; close: () => void }> {
  const srv = net.createServer();
  const result = new Promise<{ hash: string; bytes: number }>((resolve) => {
    srv.once('connection', (c) => {
      const h = createHash('sha256');
      let bytes = 0;
      c.on('data', (d: Buffer) => {
        h.update(d);
        bytes += d.length;
      });
      c.on('end', () => {
        resolve({ hash: h.digest('hex'), bytes });
        c.destroy();
      });
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { port: (srv.address() as net.AddressInfo).port, result, close: () => srv.close() };
}

/** A node:net server collecting its first connection's bytes. */
async function collectingServer(): Promise<{ port: number; got: Promise<ReturnType<typeof collector>>; close: () => void }> {
  const srv = net.createServer();
  const got = new Promise<ReturnType<typeof collector>>((resolve) => srv.once('connection', (c) => resolve(collector(c))));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { port: (srv.address() as net.AddressInfo).port, got, close: () => srv.close() };
}

let expected: string | null = null;

describe.each(LOOPS)('loop %s', (kind) => {
  it('sockSendfile sends 1 GiB byte for byte with memory staying flat', { timeout: 300_000 }, async () => {
    expected ??= expectedHash();
    const file = sparseFile();
    const loop = makeLoop(kind);
    try {
      await inLoop(loop, async () => {
        const recv = await hashingServer();
        const s = socket();
        await loop.sockConnect(s, ['127.0.0.1', recv.port]);
        const fh = await fs.promises.open(file, 'r');
        const rss = process.memoryUsage().rss;
        const sent = await loop.sockSendfile(s, fh);
        const grown = process.memoryUsage().rss - rss;
        expect(sent).toBe(GIB);
        s.shutdown(SHUT_WR);
        const { hash, bytes } = await recv.result;
        expect(bytes).toBe(GIB);
        expect(hash).toBe(expected);
        // The file was never read into memory: far less than 1 GiB more resident.
        expect(grown).toBeLessThan(256 * MIB);
        await fh.close();
        s.close();
        recv.close();
      });
    } finally {
      fs.rmSync(file, { force: true });
    }
    expect(fs.existsSync(file)).toBe(false);
  });

  it('loop.sendfile sends offset and count through a transport, after its buffer, then the position follows', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const p = path.join(dir, `small-${kind}`);
      const content = Buffer.alloc(300_000);
      for (let i = 0; i < content.length; i++) content[i] = i % 251;
      fs.writeFileSync(p, content);
      const fd = fs.openSync(p, 'r');
      const recv = await collectingServer();
      const [t, proto] = await loop.createConnection(() => new Recorder(), '127.0.0.1', recv.port);
      t.write(Buffer.from('HEAD'));
      const sent = await loop.sendfile(t, fd, 1000, 200_000);
      expect(sent).toBe(200_000);
      expect(t.isReading()).toBe(true);
      t.write(Buffer.from('TAIL'));
      // The position is after the last byte sent, as asyncio leaves it.
      const next = Buffer.alloc(3);
      fs.readSync(fd, next, 0, 3, null);
      expect([...next]).toEqual([...content.subarray(201_000, 201_003)]);
      const got = await recv.got;
      await until('everything', () => got.bytes() === 200_008);
      const text = got.text();
      expect(text.slice(0, 4)).toBe('HEAD');
      expect(Buffer.from(text.slice(4, -4), 'latin1').equals(content.subarray(1000, 201_000))).toBe(true);
      expect(text.slice(-4)).toBe('TAIL');
      t.close();
      await until('lost', () => proto.lost);
      await expect(loop.sendfile(t, fd)).rejects.toThrow(new RuntimeError('Transport is closing'));
      fs.closeSync(fd);
      recv.close();
    });
  });

  it('a file sendfile(2) cannot read takes the fallback (and fails without it)', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      // The "file" is a connected socket holding data: sendfile(2) cannot read from a socket.
      const l = socket();
      l.bind(['127.0.0.1', 0]);
      l.listen();
      const a = socket();
      await loop.sockConnect(a, l.getsockname());
      const [b] = await loop.sockAccept(l);
      const data = Buffer.alloc(100_000, 'xyz');
      await loop.sockSendall(a, data);
      const recv = await collectingServer();
      const s: Socket = socket();
      await loop.sockConnect(s, ['127.0.0.1', recv.port]);
      await expect(loop.sockSendfile(s, b, 0, 10, { fallback: false })).rejects.toThrow(new RuntimeError('os.sendfile call failed'));
      expect(await loop.sockSendfile(s, b, 0, data.length)).toBe(data.length);
      s.shutdown(SHUT_WR);
      const got = await recv.got;
      await until('the fallback data', () => got.ended());
      expect(got.bytes()).toBe(data.length);
      for (const x of [a, b, l, s]) x.close();
      recv.close();
    });
  });

  it('bad arguments are named by call and argument', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const s = socket();
      const p = path.join(dir, `args-${kind}`);
      fs.writeFileSync(p, 'some bytes');
      const fd = fs.openSync(p, 'r');
      await expect(loop.sockSendfile(s, fd, -1)).rejects.toThrow(new ValueError('offset must be a non-negative integer (got -1)'));
      await expect(loop.sockSendfile(s, fd, 0, 0)).rejects.toThrow(new ValueError('count must be a positive integer (got 0)'));
      await expect(loop.sockSendfile(s, 'f' as unknown as number)).rejects.toThrow(/sockSendfile\(\): file must be a file descriptor or an object with fd or fileno\(\)/);
      await expect(loop.sockSendfile(s, fd, 0, null, { fallback: 1 as unknown as boolean })).rejects.toThrow(/fallback must be a boolean/);
      await expect(loop.sendfile({} as Transport, fd)).rejects.toThrow(/sendfile\(\): transport must be a Transport/);
      const u = socket(2, 2);
      await expect(loop.sockSendfile(u, fd)).rejects.toThrow(new ValueError('only SOCK_STREAM type sockets are supported'));
      // Not connected: the fallback's send reports the OS error.
      await expect(loop.sockSendfile(s, fd)).rejects.toMatchObject({ code: 'EPIPE' });
      fs.closeSync(fd);
      u.close();
      s.close();
    });
  });

  it('over TLS: sendfile takes the fallback, and connectAcceptedSocket is the TLS server', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const content = Buffer.alloc(100_000);
      for (let i = 0; i < content.length; i++) content[i] = (i * 7) % 256;
      const p = path.join(dir, `tls-${kind}`);
      fs.writeFileSync(p, content);
      const fd = fs.openSync(p, 'r');
      // A node:tls server collecting what its first connection sends.
      const srv = tls.createServer({ cert: pem('server.pem'), key: pem('server.key') });
      const got = new Promise<ReturnType<typeof collector>>((resolve) => srv.once('secureConnection', (c) => resolve(collector(c))));
      await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
      const client = new SSLContext('client');
      client.loadVerifyLocations({ cafile: path.join(dir, 'ca.pem') });
      const [t, proto] = await loop.createConnection(() => new Recorder(), '127.0.0.1', (srv.address() as net.AddressInfo).port, {
        ssl: client,
        serverHostname: 'localhost',
      });
      await expect(loop.sendfile(t, fd, 0, 10, { fallback: false })).rejects.toThrow(
        /^fallback is disabled and native sendfile is not supported for transport/,
      );
      expect(await loop.sendfile(t, fd, 5, 50_000)).toBe(50_000);
      const seen = await got;
      await until('the TLS data', () => seen.bytes() === 50_000);
      expect(Buffer.from(seen.text(), 'latin1').equals(content.subarray(5, 50_005))).toBe(true);
      t.close();
      await until('lost', () => proto.lost);
      srv.close();
      fs.closeSync(fd);
      // A socket accepted by sockAccept becomes this end of a TLS connection.
      const l = socket();
      l.bind(['127.0.0.1', 0]);
      l.listen();
      const port = (l.getsockname() as { port: number }).port;
      const tlsClient = new Promise<tls.TLSSocket>((resolve, reject) => {
        const c = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pem('ca.pem') }, () => resolve(c));
        c.once('error', reject);
      });
      const [accepted] = await loop.sockAccept(l);
      const server = new SSLContext('server');
      server.loadCertChain(path.join(dir, 'server.pem'), path.join(dir, 'server.key'));
      const [st, sp] = await loop.connectAcceptedSocket(() => new Recorder(), accepted, { ssl: server });
      const c = await tlsClient;
      c.write('over tls');
      await until('decrypted data', () => sp.received.toString() === 'over tls');
      expect(st.getExtraInfo('sslcontext')).toBe(server);
      st.close();
      c.destroy();
      l.close();
    });
  });
});
