// Node's `SSLContext`: the one class (core/net/ssl-context.ts) over the
// addon's NativeSslContext, whose `loadCertChain`/`loadVerifyLocations`
// read PEM files.

import { NativeSslContext } from '../../native/index.js';
import { SSLContext as CoreSSLContext, type SslRuntime } from '../core/net/ssl-context.js';

export type { SSLPurpose, TLSVersion, VerifyLocations, VerifyMode } from '../core/net/ssl-context.js';

const nodeRuntime: SslRuntime = { newContext: (purpose) => new NativeSslContext(purpose) };

/**
 * A TLS configuration (Python's `ssl.SSLContext`). A client context verifies the peer and its
 * host name and trusts nothing until `loadVerifyLocations()` (or use `createDefaultContext()`);
 * a server context needs `loadCertChain()` (PEM files). Changes apply to connections started
 * afterwards.
 */
export class SSLContext extends CoreSSLContext {
  protected static override readonly runtime: SslRuntime = nodeRuntime;
}

/** Python's `ssl.create_default_context()`: a client context trusting the bundled web PKI roots. */
export function createDefaultContext(): SSLContext {
  return SSLContext.makeDefault();
}
