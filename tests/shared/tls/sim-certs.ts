// The simulation's test certificates (PEM text), made by make-sim-certs.sh in
// the suites' globalSetup (sim-certs.setup.ts). Browser-safe.

/** Ed25519, valid 2025-2036 (the simulation's clock starts at 2026-01-01). */
export interface SimTlsCerts {
  /** The test CA. */
  ca: string;
  /** An unrelated CA: a client trusting only it rejects `cert`. */
  otherCa: string;
  /** CN=server, subjectAltName DNS:server, and its key. */
  cert: string;
  key: string;
  /** The same name, valid in 2024 only. */
  expiredCert: string;
  expiredKey: string;
  /** A client certificate (clientAuth). */
  clientCert: string;
  clientKey: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    simTlsCerts: SimTlsCerts;
  }
}
