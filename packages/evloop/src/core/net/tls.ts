// What the layer knows of TLS: what `ssl` must be (a context a runtime made,
// found by its id), Python's `SSLObject` over a binding's snapshot, and the
// map from a context's id back to the context (getExtraInfo('sslcontext')).
// Browser-safe: the class is core/net/ssl-context.ts; each entry's subclass
// names the binding its native contexts come from (node/tls.ts, sim/tls.ts).

/** The package's `SSLContext` as the networking calls see it. */
export interface SSLContextLike {
  /** The binding's id of the native context. */
  readonly sslContextId: number;
}

const contexts = new Map<number, WeakRef<SSLContextLike>>();

/** Makes `getExtraInfo('sslcontext')` find `ctx` again. */
export function registerSslContext(ctx: SSLContextLike): void {
  contexts.set(ctx.sslContextId, new WeakRef(ctx));
  for (const [id, ref] of contexts) {
    if (ref.deref() === undefined) contexts.delete(id);
  }
}

/** Whether `v` is a context (of any runtime). */
export function isSslContext(v: unknown): v is SSLContextLike {
  return typeof v === 'object' && v !== null && typeof (v as { sslContextId?: unknown }).sslContextId === 'number'
    && contexts.get((v as SSLContextLike).sslContextId)?.deref() === v;
}

function contextOf(id: unknown): SSLContextLike | null {
  return typeof id === 'number' ? contexts.get(id)?.deref() ?? null : null;
}

/** Python's `getpeercert()` dict (tuples as arrays); `{}` for a certificate not verified. */
export interface PeerCert {
  subject?: [string, string][][];
  issuer?: [string, string][][];
  version?: number;
  serialNumber?: string;
  notBefore?: string;
  notAfter?: string;
  subjectAltName?: [string, string][];
}

/** `[name, protocol, secretBits]`, OpenSSL's names. */
export type Cipher = [string, string, number];

interface SslObjectSnapshot {
  sslObject: true;
  version: string | null;
  selectedAlpnProtocol: string | null;
  peercert: PeerCert | null;
  peercertDer: Uint8Array | null;
  cipher: Cipher | null;
  serverSide: boolean;
  serverHostname: string | null;
  sslContextId: number | null;
}

/** Python's `ssl.SSLObject` of a connection (`getExtraInfo('ssl_object')`), as of the call. */
export class SSLObject {
  readonly #s: SslObjectSnapshot;

  /** @internal Made by `getExtraInfo`. */
  constructor(snapshot: SslObjectSnapshot) {
    this.#s = snapshot;
  }

  /** `"TLSv1.3"` or `"TLSv1.2"`. */
  version(): string | null {
    return this.#s.version;
  }

  selectedAlpnProtocol(): string | null {
    return this.#s.selectedAlpnProtocol;
  }

  /** The dict, or (binaryForm) the DER bytes; null when the peer sent none. */
  getpeercert(binaryForm = false): PeerCert | Uint8Array | null {
    return binaryForm ? this.#s.peercertDer : this.#s.peercert;
  }

  cipher(): Cipher | null {
    return this.#s.cipher;
  }

  get serverSide(): boolean {
    return this.#s.serverSide;
  }

  get serverHostname(): string | null {
    return this.#s.serverHostname;
  }

  get context(): SSLContextLike | null {
    return contextOf(this.#s.sslContextId);
  }
}

/** A binding's TLS extra-info value in the package's terms; anything else unchanged. */
export function tlsExtraInfo(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return v;
  const o = v as Record<string, unknown>;
  if (o['sslObject'] === true) return new SSLObject(o as unknown as SslObjectSnapshot);
  if (Object.keys(o).length === 1 && 'sslContextId' in o) return contextOf(o['sslContextId']);
  return v;
}
