// vitest globalSetup (Node): makes the simulation's test certificates with
// make-sim-certs.sh (openssl, at test time) and provides their PEM text to
// the suites, in Node and in Chromium alike (`inject('simTlsCerts')`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { SimTlsCerts } from './sim-certs.js';

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'evloop-sim-certs-'));
  execFileSync('bash', [fileURLToPath(new URL('./make-sim-certs.sh', import.meta.url)), dir]);
  const pem = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const certs: SimTlsCerts = {
    ca: pem('ca.pem'),
    otherCa: pem('other-ca.pem'),
    cert: pem('server.pem'),
    key: pem('server.key'),
    expiredCert: pem('expired.pem'),
    expiredKey: pem('expired.key'),
    clientCert: pem('client.pem'),
    clientKey: pem('client.key'),
  };
  project.provide('simTlsCerts', certs);
  return () => rmSync(dir, { recursive: true, force: true });
}
