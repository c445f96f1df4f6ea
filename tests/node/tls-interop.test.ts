// TLS between evloop and peers no one here wrote: node:tls clients and
// servers, curl and openssl s_client, over loopback, on every loop.
// Certificates are made at test time with openssl.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionAbortedError,
  createDefaultContext,
  openConnection,
  OSError,
  SSLCertVerificationError,
  SSLContext,
  SSLError,
  SSLObject,
  startServer,
  ValueError,
  type Server,
} from 'evloop';
import { inLoop, iterations, LOOPS, makeLoop, portOf, recorders, until } from './net-helpers.js';

let dir = '';
const file = (name: string) => path.join(dir, name);
const pem = (name: string) => fs.readFileSync(file(name));

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evloop-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=evloop test CA');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  fs.writeFileSync(file('ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function serverContext(): SSLContext {
  const ctx = new SSLContext('server');
  ctx.loadCertChain(file('server.pem'), file('server.key'));
  return ctx;
}

function clientContext(): SSLContext {
  const ctx = new SSLContext('client');
  ctx.loadVerifyLocations({ cafile: file('ca.pem') });
  return ctx;
}

/** A TLS echo server of evloop's streams. */
function echoServer(ctx: SSLContext): Promise<Server> {
  return startServer(async (reader, writer) => {
    try {
      for (;;) {
        const data = await reader.read(65536);
        if (data.length === 0) break;
        writer.write(data);
        await writer.drain();
      }
    } catch {
      // A client that ends right after writing is gone before the echo.
    }
    writer.close();
  }, '127.0.0.1', 0, { ssl: ctx });
}

/** A node:tls echo server; resolves with it and its port. */
function nodeTlsServer(opts: tls.TlsOptions = {}): Promise<[tls.Server, number]> {
  const srv = tls.createServer({ cert: pem('server.pem'), key: pem('server.key'), ...opts }, (s) => s.pipe(s));
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve([srv, (srv.address() as net.AddressInfo).port])));
}

function tlsClient(port: number, opts: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pem('ca.pem'), ...opts }, () => resolve(s));
    s.once('error', reject);
  });
}

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 20000 }, (err, stdout) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: stdout });
    });
    if (input !== undefined) child.stdin?.write(input);
  });
}

const openFds = () => fs.readdirSync('/proc/self/fd').length;

describe.each(LOOPS)('loop %s', (kind) => {
  it('a node:tls client talks to an evloop server', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const srv = await echoServer(serverContext());
      const s = await tlsClient(portOf(srv));
      expect(s.getProtocol()).toBe('TLSv1.3');
      const echoed = new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
      s.write('hello over tls');
      expect(await echoed).toBe('hello over tls');
      const ended = new Promise<void>((resolve) => s.once('close', () => resolve()));
      s.end();
      await ended;
      srv.close();
      await srv.waitClosed();
    });
  });

  it('an evloop client talks to a node:tls server, with ALPN and the extra info', async () => {
    const [nodeSrv, port] = await nodeTlsServer({ ALPNProtocols: ['h2', 'http/1.1'] });
    const loop = makeLoop(kind);
    try {
      await inLoop(loop, async () => {
        const ctx = clientContext();
        ctx.setAlpnProtocols(['http/1.1']);
        ctx.maximumVersion = 'TLSv1.2';
        const [reader, writer] = await openConnection('127.0.0.1', port, { ssl: ctx, serverHostname: 'localhost' });
        expect(writer.canWriteEof()).toBe(false);
        const obj = writer.getExtraInfo('ssl_object');
        expect(obj).toBeInstanceOf(SSLObject);
        const so = obj as SSLObject;
        expect(so.version()).toBe('TLSv1.2');
        expect(so.selectedAlpnProtocol()).toBe('http/1.1');
        expect(so.serverSide).toBe(false);
        expect(so.serverHostname).toBe('localhost');
        expect(so.context).toBe(ctx);
        expect(writer.getExtraInfo('sslcontext')).toBe(ctx);
        const cipher = writer.getExtraInfo('cipher') as [string, string, number];
        expect(cipher[1]).toBe('TLSv1.2');
        expect(cipher[0]).toMatch(/^ECDHE-ECDSA-/);
        const cert = writer.getExtraInfo('peercert') as { subject: [string, string][][]; subjectAltName: [string, string][] };
        expect(cert.subject).toEqual([[['commonName', 'localhost']]]);
        expect(cert.subjectAltName).toEqual([['DNS', 'localhost'], ['IP Address', '127.0.0.1']]);
        expect(so.getpeercert(true)).toBeInstanceOf(Uint8Array);
        writer.write(new TextEncoder().encode('ping'));
        expect((await reader.readexactly(4)).toString()).toBe('ping');
        writer.close();
        await writer.waitClosed();
      });
    } finally {
      nodeSrv.close();
    }
  });

  it('certificate and host name failures are SSLCertVerificationErrors', async () => {
    const [nodeSrv, port] = await nodeTlsServer();
    const loop = makeLoop(kind);
    try {
      await inLoop(loop, async () => {
        const e1 = await openConnection('127.0.0.1', port, { ssl: createDefaultContext(), serverHostname: 'localhost' }).catch((e: unknown) => e);
        expect(e1).toBeInstanceOf(SSLCertVerificationError);
        expect(e1).toBeInstanceOf(SSLError);
        expect(e1).toBeInstanceOf(OSError);
        const v1 = e1 as SSLCertVerificationError;
        expect(v1.errno).toBe(1);
        expect(v1.reason).toBe('CERTIFICATE_VERIFY_FAILED');
        expect(v1.verifyMessage).toBe('unable to get local issuer certificate');
        expect(v1.verifyCode).toBe(20);
        const e2 = await openConnection('127.0.0.1', port, { ssl: clientContext(), serverHostname: 'example.com' }).catch((e: unknown) => e);
        expect(e2).toBeInstanceOf(SSLCertVerificationError);
        expect((e2 as SSLCertVerificationError).verifyMessage).toBe("Hostname mismatch, certificate is not valid for 'example.com'.");
      });
    } finally {
      nodeSrv.close();
    }
  });

  it('a server that never answers the handshake: ConnectionAbortedError after sslHandshakeTimeout', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const port = (silent.address() as net.AddressInfo).port;
    const loop = makeLoop(kind);
    try {
      await inLoop(loop, async () => {
        const e = await openConnection('127.0.0.1', port, { ssl: clientContext(), serverHostname: 'localhost', sslHandshakeTimeout: 0.2 }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(ConnectionAbortedError);
        expect((e as Error).message).toBe('SSL handshake is taking longer than 0.2 seconds: aborting the connection');
      });
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('a node:tls client that closes without close_notify ends the connection cleanly', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const { made, factory } = recorders();
      const srv = await loop.createServer(factory, '127.0.0.1', 0, { ssl: serverContext() });
      const s = await tlsClient(portOf(srv));
      s.write('bye');
      await until('data', () => made.length === 1 && made[0]!.received.toString() === 'bye');
      s.destroy();
      await until('lost', () => made[0]!.lost);
      expect(made[0]!.events).toEqual(['made', ['data', 'bye'], ['lost', null]]);
      srv.close();
    });
  });

  it('curl and openssl s_client fetch from an evloop server', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const ctx = serverContext();
      ctx.setAlpnProtocols(['http/1.1']);
      const srv = await startServer(async (reader, writer) => {
        await reader.readuntil(new TextEncoder().encode('\r\n\r\n'));
        writer.write(new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\nhello, curl\n'));
        await writer.drain();
        writer.close();
      }, '127.0.0.1', 0, { ssl: ctx });
      const port = portOf(srv);
      const curl = await run('curl', ['-sS', '--http1.1', '--cacert', file('ca.pem'), '--resolve', `localhost:${port}:127.0.0.1`, `https://localhost:${port}/`]);
      expect(curl).toEqual({ code: 0, out: 'hello, curl\n' });
      const sClient = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', file('ca.pem'), '-verify_return_error', '-quiet'],
        'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      expect(sClient.out).toContain('hello, curl');
      srv.close();
    });
  });

  it('STARTTLS: writer.startTls on an evloop server, with a node:tls client upgrading its socket', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const ctx = serverContext();
      const srv = await startServer(async (reader, writer) => {
        expect((await reader.readline()).toString()).toBe('STARTTLS\n');
        writer.write(new TextEncoder().encode('GO\n'));
        await writer.startTls(ctx);
        expect(writer.canWriteEof()).toBe(false);
        const line = await reader.readline();
        writer.write(new TextEncoder().encode(`secret: ${line.toString()}`));
        await writer.drain();
        writer.close();
      }, '127.0.0.1', 0);
      const plain = net.connect({ port: portOf(srv), host: '127.0.0.1' });
      await new Promise<void>((resolve) => plain.once('connect', () => resolve()));
      const go = new Promise<string>((resolve) => plain.once('data', (d: Buffer) => resolve(d.toString())));
      plain.write('STARTTLS\n');
      expect(await go).toBe('GO\n');
      const secure = tls.connect({ socket: plain, servername: 'localhost', ca: pem('ca.pem') });
      await new Promise<void>((resolve) => secure.once('secureConnect', () => resolve()));
      const reply = new Promise<string>((resolve) => secure.once('data', (d: Buffer) => resolve(d.toString())));
      secure.write('swordfish\n');
      expect(await reply).toBe('secret: swordfish\n');
      secure.destroy();
      srv.close();
    });
  });

  it('loop.startTls upgrades a client transport against a node:tls server socket', async () => {
    const upgraded = net.createServer((sock) => {
      sock.once('data', () => {
        sock.write('GO\n', () => {
          const secure = new tls.TLSSocket(sock, { isServer: true, cert: pem('server.pem'), key: pem('server.key') });
          secure.pipe(secure);
        });
      });
    });
    await new Promise<void>((resolve) => upgraded.listen(0, '127.0.0.1', () => resolve()));
    const port = (upgraded.address() as net.AddressInfo).port;
    const loop = makeLoop(kind);
    try {
      await inLoop(loop, async () => {
        const { made, factory } = recorders();
        const [plainT, proto] = await loop.createConnection(factory, '127.0.0.1', port);
        plainT.write(new TextEncoder().encode('STARTTLS\n'));
        await until('GO', () => proto.received.toString() === 'GO\n');
        const tlsT = await loop.startTls(plainT, proto, clientContext(), { serverHostname: 'localhost' });
        expect(tlsT).not.toBe(plainT);
        expect((tlsT.getExtraInfo('ssl_object') as SSLObject).version()).toBe('TLSv1.3');
        tlsT.write(new TextEncoder().encode('ping'));
        await until('echo', () => proto.received.toString() === 'GO\nping');
        expect(made[0]!.count('made')).toBe(1);
        await expect(loop.startTls(tlsT, proto, clientContext(), { serverHostname: 'localhost' })).rejects.toThrow(TypeError);
        tlsT.close();
        await until('lost', () => proto.lost);
      });
    } finally {
      upgraded.close();
    }
  });

  it('checks the ssl options as asyncio does', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const { factory } = recorders();
      await expect(loop.createServer(factory, '127.0.0.1', 0, { ssl: true })).rejects.toThrow(new TypeError('ssl argument must be an SSLContext or None'));
      await expect(loop.createServer(factory, '127.0.0.1', 0, { sslHandshakeTimeout: 1 })).rejects.toThrow(new ValueError('ssl_handshake_timeout is only meaningful with ssl'));
      await expect(loop.createConnection(factory, '127.0.0.1', 1, { serverHostname: 'x' })).rejects.toThrow(new ValueError('server_hostname is only meaningful with ssl'));
      await expect(loop.createServer(factory, '127.0.0.1', 0, { ssl: serverContext(), sslShutdownTimeout: -1 })).rejects.toThrow(new ValueError('ssl_shutdown_timeout should be a positive number, got -1'));
      await expect(loop.createServer(factory, '127.0.0.1', 0, { ssl: clientContext() })).rejects.toThrow(ValueError);
      expect(() => new SSLContext('server').loadCertChain(file('missing.pem'))).toThrow(/No such file or directory/);
      expect(() => {
        const c = new SSLContext('client');
        c.verifyMode = 'none';
      }).toThrow(new ValueError('Cannot set verify_mode to CERT_NONE when check_hostname is enabled.'));
    });
  });
});

describe('many handshakes', () => {
  // 1,000 on one loop; each is a full handshake (no resumption on node:tls' side).
  it('1,000 node:tls handshakes in a row keep the fds flat', async () => {
    const loop = makeLoop('epoll');
    await inLoop(loop, async () => {
      const srv = await echoServer(serverContext());
      const port = portOf(srv);
      const round = async () => {
        const s = await tlsClient(port);
        const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
        s.end('x');
        await closed;
      };
      await round();
      await iterations(20);
      const before = openFds();
      for (let i = 0; i < 1000; i++) await round();
      await until('fds back', () => openFds() <= before, 10000);
      expect(openFds()).toBeLessThanOrEqual(before);
      srv.close();
      await srv.waitClosed();
    });
  }, 120000);
});
