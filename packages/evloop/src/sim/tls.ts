// The simulation's `SSLContext`: the one class (core/net/ssl-context.ts) over
// the wasm's NativeSslContext. A simulation has no files, so `loadCertChain`
// takes PEM text and `loadVerifyLocations` takes `cadata` (docs/tls.md).
// Browser-safe; nothing here touches the wasm module until a context is made.

import { NativeSslContext } from '../../wasm/evloop_wasm.js';
import { SSLContext as CoreSSLContext, type SslRuntime } from '../core/net/ssl-context.js';
import { installNetHooks } from './net-backend.js';

export type { SSLPurpose, TLSVersion, VerifyLocations, VerifyMode } from '../core/net/ssl-context.js';

const simRuntime: SslRuntime = {
  newContext: (purpose) => {
    // The package's error classes for what a context throws, before any Simulation exists.
    installNetHooks();
    return new NativeSslContext(purpose);
  },
};

/**
 * A TLS configuration for simulated hosts (Python's `ssl.SSLContext`), the same class as Node's
 * `SSLContext` over the simulation's TLS: `loadCertChain(certPem, keyPem?)` takes PEM text and
 * `loadVerifyLocations({ cadata })` PEM text, as a simulation has no files.
 */
export class SSLContext extends CoreSSLContext {
  protected static override readonly runtime: SslRuntime = simRuntime;
}

/** Python's `ssl.create_default_context()`: a client context trusting the bundled web PKI roots. */
export function createDefaultContext(): SSLContext {
  return SSLContext.makeDefault();
}
