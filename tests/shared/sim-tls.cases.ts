// TLS between simulated hosts, shared by the Node and the browser suites: the same SSLContext
// class as Node's (PEM text instead of files), handshakes that cost their round trips in virtual
// time, a seed that repeats a run exactly (segment sizes included), certificates checked against
// the virtual clock, and the errors real sockets give. Certificates come from the globalSetup
// (tests/shared/tls/), made with openssl at test time.
import { expect, it } from 'vitest';
import type * as Sim from 'evloop/sim';
import { bytes, Recorder, runUntil, text, type SimModule } from './sim-helpers.js';
import type { SimTlsCerts } from './tls/sim-certs.js';

function serverContext(sim: SimModule, certs: SimTlsCerts, expired = false): Sim.SSLContext {
  const ctx = new sim.SSLContext('server');
  ctx.loadCertChain(expired ? certs.expiredCert : certs.cert, expired ? certs.expiredKey : certs.key);
  return ctx;
}

function clientContext(sim: SimModule, ca: string): Sim.SSLContext {
  const ctx = new sim.SSLContext('client');
  ctx.loadVerifyLocations({ cadata: ca });
  return ctx;
}

/** A TLS echo server (streams) on `server:443`, started by the host's program. */
function echoServer(sim: SimModule, s: Sim.Simulation, ctx: Sim.SSLContext): void {
  s.host('server', async () => {
    const server = await sim.startServer(async (reader, writer) => {
      for await (const line of reader) {
        writer.write(line);
        await writer.drain();
      }
      writer.close();
    }, null, 443, { ssl: ctx });
    await server.serveForever().catch(() => {});
  });
}

interface EchoRun {
  trace: string;
  readyAt: number;
  cipher: unknown;
  alpn: string | null;
  reply: string;
}

/** Connects from `client`, echoes one line, closes. */
async function echoRun(sim: SimModule, certs: SimTlsCerts, seed: number, tune?: (server: Sim.SSLContext, client: Sim.SSLContext) => void): Promise<EchoRun> {
  const s = new sim.Simulation({ seed });
  const sctx = serverContext(sim, certs);
  const cctx = clientContext(sim, certs.ca);
  tune?.(sctx, cctx);
  echoServer(sim, s, sctx);
  const client = s.host('client');
  const [reader, writer] = await s.runUntilComplete(client.openConnection('server', 443, { ssl: cctx }));
  const readyAt = s.now();
  const obj = writer.getExtraInfo('ssl_object') as Sim.SSLObject;
  expect(obj).toBeInstanceOf(sim.SSLObject);
  expect(writer.getExtraInfo('sslcontext')).toBe(cctx);
  const cert = writer.getExtraInfo('peercert') as Sim.PeerCert;
  expect(cert.subject).toContainEqual([['commonName', 'server']]);
  expect(cert.subjectAltName).toEqual([['DNS', 'server']]);
  writer.write(bytes('hello over simulated tls\n'));
  const reply = text(await s.runUntilComplete(reader.readline()));
  writer.close();
  await s.runUntilComplete(writer.waitClosed());
  await s.runFor(1);
  const run = { trace: JSON.stringify(s.trace()), readyAt, cipher: writer.getExtraInfo('cipher'), alpn: obj.selectedAlpnProtocol(), reply };
  s.close();
  return run;
}

/** The data segments sent, as [host, bytes]. */
function segments(trace: string): [string, number][] {
  return (JSON.parse(trace) as Sim.TraceRecord[])
    .filter((r) => r.kind === 'send' && r['msg'] === 'data')
    .map((r) => [r.host, r['bytes'] as number]);
}

/** The length of the first TLS record in `data`, header included (0 while incomplete). */
function firstRecord(data: Uint8Array): number {
  if (data.length < 5) return 0;
  const n = 5 + ((data[3]! << 8) | data[4]!);
  return data.length >= n ? n : 0;
}

/**
 * The bytes on the wire: what a TLS client sends a plain server that records it (its
 * ClientHello), and what a TLS server answers when a plain client sends it that ClientHello.
 */
async function helloBytes(sim: SimModule, certs: SimTlsCerts, seed: number): Promise<{ clientHello: Uint8Array; serverHello: Uint8Array }> {
  const s = new sim.Simulation({ seed });
  const sink = new Recorder();
  s.host('sink', async (loop) => {
    await loop.createServer(() => sink, null, 443);
  });
  echoServer(sim, s, serverContext(sim, certs));
  const client = s.host('client');
  client.createConnection(() => new Recorder(), 'sink', 443, { ssl: clientContext(sim, certs.ca), serverHostname: 'server' }).catch(() => {});
  await runUntil(s, 1, () => firstRecord(sink.data) > 0);
  const clientHello = sink.data.slice(0, firstRecord(sink.data));
  const plain = new Recorder();
  const [t] = await s.runUntilComplete(client.createConnection(() => plain, 'server', 443));
  t.write(clientHello);
  await runUntil(s, 1, () => plain.data.length > 0);
  await s.runFor(0.5);
  const serverHello = plain.data;
  s.close();
  return { clientHello, serverHello };
}

/** Connects with `tls` and returns the error the connection failed with. */
async function failure(sim: SimModule, s: Sim.Simulation, tls: Sim.ConnectionOptions): Promise<unknown> {
  const client = s.host('client');
  return s.runUntilComplete(client.createConnection(() => new Recorder(), 'server', 443, tls)).then(
    () => {
      throw new Error('the connection should have failed');
    },
    (e: unknown) => e,
  );
}

export function simTlsCases(sim: SimModule, certs: SimTlsCerts): void {
  it('handshakes, echoes and closes over TLS 1.3 on the simulated network; the handshake costs round trips', async () => {
    const run = await echoRun(sim, certs, 1);
    expect(run.reply).toBe('hello over simulated tls\n');
    expect((run.cipher as unknown[])[1]).toBe('TLSv1.3');
    expect(run.alpn).toBeNull();
    // TCP's round trip, then TLS 1.3's: each way takes at least the minimum latency (1 ms).
    expect(run.readyAt).toBeGreaterThanOrEqual(4 * 0.001);
    // The handshake's records go as segments both ways, before the line and its echo.
    const segs = segments(run.trace);
    expect(segs.filter(([h]) => h === 'client').length).toBeGreaterThanOrEqual(2);
    expect(segs.filter(([h]) => h === 'server').length).toBeGreaterThanOrEqual(1);
  });

  it('repeats a run exactly for a seed: the same trace, segment sizes included', async () => {
    const a = await echoRun(sim, certs, 7);
    const b = await echoRun(sim, certs, 7);
    expect(b.trace).toBe(a.trace);
    expect(segments(b.trace)).toEqual(segments(a.trace));
    expect(b.readyAt).toBe(a.readyAt);
    const c = await echoRun(sim, certs, 8);
    expect(c.trace).not.toBe(a.trace);
  });

  it("draws the handshake's randomness from the seed: the same hello bytes for a seed, others for another", async () => {
    const a = await helloBytes(sim, certs, 11);
    const b = await helloBytes(sim, certs, 11);
    const c = await helloBytes(sim, certs, 12);
    // A ClientHello holds the client's random, session id and X25519 key share (32 bytes each).
    expect(a.clientHello.length).toBeGreaterThan(100);
    expect(b.clientHello).toEqual(a.clientHello);
    expect(c.clientHello).not.toEqual(a.clientHello);
    // The server's answer to the same ClientHello: its random and key share, then its encrypted flight.
    expect(a.serverHello.length).toBeGreaterThan(100);
    expect(b.serverHello).toEqual(a.serverHello);
    expect(c.serverHello).not.toEqual(a.serverHello);
  });

  it('speaks TLS 1.2 when the client caps it, one more round trip than 1.3', async () => {
    const tls13 = await echoRun(sim, certs, 3);
    const tls12 = await echoRun(sim, certs, 3, (_s, c) => {
      c.maximumVersion = 'TLSv1.2';
    });
    expect((tls12.cipher as unknown[])[1]).toBe('TLSv1.2');
    expect(tls12.reply).toBe('hello over simulated tls\n');
    expect(tls12.readyAt).toBeGreaterThan(tls13.readyAt);
    expect((await echoRun(sim, certs, 3, (_s, c) => { c.maximumVersion = 'TLSv1.2'; })).trace).toBe(tls12.trace);
  });

  it('negotiates ALPN', async () => {
    const run = await echoRun(sim, certs, 4, (s, c) => {
      s.setAlpnProtocols(['h2', 'http/1.1']);
      c.setAlpnProtocols(['http/1.1']);
    });
    expect(run.alpn).toBe('http/1.1');
  });

  it('rejects an unknown issuer, an expired certificate (virtual time) and a wrong host name as on sockets', async () => {
    let s = new sim.Simulation({ seed: 5 });
    echoServer(sim, s, serverContext(sim, certs));
    let e = await failure(sim, s, { ssl: clientContext(sim, certs.otherCa) });
    expect(e).toBeInstanceOf(sim.SSLCertVerificationError);
    expect(e).toBeInstanceOf(sim.OSError);
    expect((e as Sim.SSLCertVerificationError).verifyMessage).toBe('unable to get local issuer certificate');
    expect((e as Error).message).toBe('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate');
    s.close();

    s = new sim.Simulation({ seed: 5 });
    echoServer(sim, s, serverContext(sim, certs));
    e = await failure(sim, s, { ssl: clientContext(sim, certs.ca), serverHostname: 'example.com' });
    expect((e as Sim.SSLCertVerificationError).verifyMessage).toBe("Hostname mismatch, certificate is not valid for 'example.com'.");
    s.close();

    // Valid in 2024 only, and the simulation's wall clock starts at 2026-01-01.
    s = new sim.Simulation({ seed: 5 });
    echoServer(sim, s, serverContext(sim, certs, true));
    e = await failure(sim, s, { ssl: clientContext(sim, certs.ca) });
    expect((e as Sim.SSLCertVerificationError).verifyMessage).toBe('certificate has expired');
    expect((e as Sim.SSLCertVerificationError).reason).toBe('CERTIFICATE_VERIFY_FAILED');
    s.close();
  });

  it('times a handshake out in virtual time when the server accepts and never answers', async () => {
    const s = new sim.Simulation({ seed: 6 });
    // A plain server that never writes: the ClientHello gets no answer.
    s.host('server', async (loop) => {
      await loop.createServer(() => new Recorder(), null, 443);
    });
    const e = await failure(sim, s, { ssl: clientContext(sim, certs.ca), sslHandshakeTimeout: 2 });
    expect(e).toBeInstanceOf(sim.ConnectionAbortedError);
    expect((e as Error).message).toBe('SSL handshake is taking longer than 2.0 seconds: aborting the connection');
    expect(s.now()).toBeGreaterThanOrEqual(2);
    expect(s.now()).toBeLessThan(2.1);
    s.close();
  });

  it('times a handshake out when a partition cuts the server off after the ClientHello', async () => {
    const s = new sim.Simulation({ seed: 6 });
    echoServer(sim, s, serverContext(sim, certs));
    const client = s.host('client');
    let outcome: unknown = 'pending';
    client.createConnection(() => new Recorder(), 'server', 443, { ssl: clientContext(sim, certs.ca), sslHandshakeTimeout: 1 }).then(
      () => { outcome = 'connected'; },
      (e: unknown) => { outcome = e; },
    );
    await runUntil(s, 1, () => segments(JSON.stringify(s.trace())).some(([h]) => h === 'client'));
    s.partition('client', 'server');
    await runUntil(s, 5, () => outcome !== 'pending');
    expect(outcome).toBeInstanceOf(sim.ConnectionAbortedError);
    expect((outcome as Error).message).toBe('SSL handshake is taking longer than 1.0 seconds: aborting the connection');
    s.close();
  });

  it('ends a connection whose peer closes without close_notify with connectionLost(null) and no eofReceived', async () => {
    const s = new sim.Simulation({ seed: 10 });
    const sctx = serverContext(sim, certs);
    s.host('server', async (loop) => {
      // Aborting a TLS transport closes the socket without close_notify.
      await loop.createServer(() => ({ connectionMade: (t: Sim.Transport) => t.abort() }), null, 443, { ssl: sctx });
    });
    const client = s.host('client');
    const rec = new Recorder();
    await s.runUntilComplete(client.createConnection(() => rec, 'server', 443, { ssl: clientContext(sim, certs.ca) }));
    await runUntil(s, 5, () => rec.lost !== undefined);
    expect(rec.lost).toBeNull();
    expect(rec.eof).toBe(false);
    s.close();
  });

  it('ends a close whose close_notify is never answered after sslShutdownTimeout, in virtual time', async () => {
    const s = new sim.Simulation({ seed: 12 });
    echoServer(sim, s, serverContext(sim, certs));
    const client = s.host('client');
    const rec = new Recorder(client);
    const [t] = await s.runUntilComplete(
      client.createConnection(() => rec, 'server', 443, { ssl: clientContext(sim, certs.ca), sslShutdownTimeout: 1 }),
    );
    await s.runFor(0.1);
    s.partition('client', 'server');
    const closedAt = s.now();
    t.close();
    await runUntil(s, 5, () => rec.isLost);
    expect(rec.lost).toBeInstanceOf(sim.TimeoutError);
    expect((rec.lost as Error).message).toBe('SSL shutdown timed out');
    // The timer starts when close() sends close_notify.
    expect(rec.lostAt - closedAt).toBeCloseTo(1, 6);
    s.close();
  });

  it('fails the handshake with ConnectionResetError when the server crashes in the middle of it', async () => {
    const s = new sim.Simulation({ seed: 7 });
    echoServer(sim, s, serverContext(sim, certs));
    const client = s.host('client');
    let outcome: unknown = 'pending';
    client.createConnection(() => new Recorder(), 'server', 443, { ssl: clientContext(sim, certs.ca) }).then(
      () => { outcome = 'connected'; },
      (e: unknown) => { outcome = e; },
    );
    // The ClientHello is on its way: the server crashes before it answers.
    await runUntil(s, 1, () => segments(JSON.stringify(s.trace())).some(([h]) => h === 'client'));
    s.crash('server');
    await runUntil(s, 1, () => outcome !== 'pending');
    expect(outcome).toBeInstanceOf(sim.ConnectionResetError);
    s.close();
  });

  it('upgrades a plain stream with startTls on both sides (STARTTLS)', async () => {
    const s = new sim.Simulation({ seed: 9 });
    const sctx = serverContext(sim, certs);
    s.host('server', async () => {
      await sim.startServer(async (reader, writer) => {
        expect(text(await reader.readline())).toBe('STARTTLS\n');
        writer.write(bytes('GO\n'));
        await writer.startTls(sctx);
        const line = await reader.readline();
        writer.write(bytes(`secret: ${text(line)}`));
        await writer.drain();
        writer.close();
      }, null, 25);
    });
    const client = s.host('client');
    const [reader, writer] = await s.runUntilComplete(client.openConnection('server', 25));
    writer.write(bytes('STARTTLS\n'));
    expect(text(await s.runUntilComplete(reader.readline()))).toBe('GO\n');
    expect(writer.getExtraInfo('cipher')).toBeUndefined();
    await s.runUntilComplete(writer.startTls(clientContext(sim, certs.ca), { serverHostname: 'server' }));
    expect((writer.getExtraInfo('cipher') as unknown[])[1]).toBe('TLSv1.3');
    writer.write(bytes('x\n'));
    expect(text(await s.runUntilComplete(reader.readline()))).toBe('secret: x\n');
    s.close();
  });

  it('takes PEM text where Node takes paths, and refuses a path or a context of the other entry', () => {
    const ctx = new sim.SSLContext('server');
    expect(() => ctx.loadCertChain('cert.pem', 'key.pem')).toThrow(/^SSLContext\.loadCertChain\(\): a simulation has no files: certfile must be the PEM text itself, got 'cert\.pem'$/);
    expect(() => new sim.SSLContext('client').loadVerifyLocations({ cafile: 'ca.pem' })).toThrow(sim.ValueError);
    expect(() => ctx.loadCertChain(certs.cert, certs.expiredKey)).toThrow(sim.SSLError);
    const client = clientContext(sim, certs.ca);
    expect(client.certStoreStats()).toEqual({ x509_ca: 1 });
    expect(sim.createDefaultContext().certStoreStats().x509_ca).toBeGreaterThan(100);
    expect(client.checkHostname).toBe(true);
    expect(client.verifyMode).toBe('required');
  });
}
