// Python's `ssl.SSLContext` subset over rustls (docs/tls.md): one class for
// every runtime, over a binding's native context (the addon's in Node, the
// wasm's in a simulation). Each entry exports a subclass that only names its
// runtime (node/tls.ts, sim/tls.ts); the networking calls take a context as
// `ssl` and name it to their binding by id. Browser-safe.

import { fromNative } from '../errors.js';
import { typeName } from '../values.js';
import { registerSslContext, type SSLContextLike } from './tls.js';

/** `PROTOCOL_TLS_SERVER` or `PROTOCOL_TLS_CLIENT`. */
export type SSLPurpose = 'server' | 'client';
/** `CERT_NONE`, `CERT_OPTIONAL`, `CERT_REQUIRED`. */
export type VerifyMode = 'none' | 'optional' | 'required';
/** The TLS versions rustls speaks. */
export type TLSVersion = 'TLSv1.2' | 'TLSv1.3';

/**
 * `loadVerifyLocations()`'s sources: PEM file, directory of PEM files, PEM text.
 * A simulation has no files: there only `cadata` is taken.
 */
export interface VerifyLocations {
  cafile?: string | null;
  capath?: string | null;
  cadata?: string | null;
}

/** What both bindings' native contexts offer (the addon's and the wasm's `NativeSslContext`). */
export interface NativeSslContextLike {
  readonly id: number;
  loadCertChain(certfile: string, keyfile?: string | null): void;
  loadVerifyLocations(cafile?: string | null, capath?: string | null, cadata?: string | null): number;
  checkHostname: boolean;
  verifyMode: string;
  setAlpnProtocols(protocols: string[]): void;
  minimumVersion: string;
  maximumVersion: string;
  caCount(): number;
}

/** How a runtime makes native contexts: `"default"` is `createDefaultContext()`'s. */
export interface SslRuntime {
  newContext(purpose: SSLPurpose | 'default'): NativeSslContextLike;
}

function call<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fromNative(e);
  }
}

function stringArg(method: string, name: string, v: unknown): string {
  if (typeof v !== 'string') throw new TypeError(`SSLContext.${method}(): ${name} must be a string, got ${typeName(v)}`);
  return v;
}

function optionalString(method: string, name: string, v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : stringArg(method, name, v);
}

const makingDefault = Symbol('createDefaultContext');

/**
 * A TLS configuration (Python's `ssl.SSLContext`). A client context verifies the peer and its
 * host name and trusts nothing until `loadVerifyLocations()` (or use `createDefaultContext()`);
 * a server context needs `loadCertChain()`. Changes apply to connections started afterwards.
 * A context serves the runtime whose entry made it (`evloop` or `evloop/sim`).
 */
export class SSLContext implements SSLContextLike {
  /** @internal The runtime of the entry's subclass. */
  protected static readonly runtime: SslRuntime | undefined = undefined;
  readonly #n: NativeSslContextLike;
  readonly #purpose: SSLPurpose;

  constructor(purpose: SSLPurpose);
  /** @internal */
  constructor(purpose: SSLPurpose, token: typeof makingDefault);
  constructor(purpose: SSLPurpose, token?: typeof makingDefault) {
    if (purpose !== 'server' && purpose !== 'client') {
      throw new TypeError(`SSLContext(): purpose must be "server" or "client", got ${typeof purpose === 'string' ? `"${purpose}"` : typeName(purpose)}`);
    }
    const runtime = (new.target as unknown as { runtime: SslRuntime | undefined }).runtime;
    if (runtime === undefined) throw new TypeError('SSLContext(): use the SSLContext exported by "evloop" or "evloop/sim"');
    this.#purpose = purpose;
    this.#n = call(() => runtime.newContext(token === makingDefault ? 'default' : purpose));
    registerSslContext(this);
  }

  /** @internal `createDefaultContext()` of the entry whose subclass this is. */
  static makeDefault<C extends SSLContext>(this: new (purpose: SSLPurpose, token: typeof makingDefault) => C): C {
    return new this('client', makingDefault);
  }

  /** @internal The binding's id of the native context (what the networking calls pass on). */
  get sslContextId(): number {
    return this.#n.id;
  }

  /** `"server"` or `"client"`. */
  get purpose(): SSLPurpose {
    return this.#purpose;
  }

  /**
   * The certificate chain and its private key (default: in `certfile`), PEM. In Node, file
   * paths; in a simulation, which has no files, the PEM text itself.
   */
  loadCertChain(certfile: string, keyfile?: string | null): void {
    const cert = stringArg('loadCertChain', 'certfile', certfile);
    const key = optionalString('loadCertChain', 'keyfile', keyfile);
    call(() => this.#n.loadCertChain(cert, key));
  }

  /** Trusts the PEM certificates of a file, of every file in a directory, and of a string. */
  loadVerifyLocations(locations: VerifyLocations = {}): void {
    if (typeof locations !== 'object' || locations === null) {
      throw new TypeError(`SSLContext.loadVerifyLocations(): the argument must be { cafile?, capath?, cadata? }, got ${typeName(locations)}`);
    }
    const cafile = optionalString('loadVerifyLocations', 'cafile', locations.cafile);
    const capath = optionalString('loadVerifyLocations', 'capath', locations.capath);
    const cadata = optionalString('loadVerifyLocations', 'cadata', locations.cadata);
    call(() => this.#n.loadVerifyLocations(cafile, capath, cadata));
  }

  get checkHostname(): boolean {
    return this.#n.checkHostname;
  }

  /** Turning it on with `verifyMode` "none" makes the mode "required", as Python does. */
  set checkHostname(on: boolean) {
    if (typeof on !== 'boolean') throw new TypeError(`SSLContext.checkHostname must be a boolean, got ${typeName(on)}`);
    this.#n.checkHostname = on;
  }

  get verifyMode(): VerifyMode {
    return this.#n.verifyMode as VerifyMode;
  }

  /** ValueError for "none" while `checkHostname` is on, as Python. */
  set verifyMode(mode: VerifyMode) {
    const m = stringArg('verifyMode', 'mode', mode);
    call(() => {
      this.#n.verifyMode = m;
    });
  }

  /** The ALPN protocols to offer or accept, in preference order. */
  setAlpnProtocols(protocols: readonly string[]): void {
    if (!Array.isArray(protocols) || !protocols.every((p) => typeof p === 'string')) {
      throw new TypeError(`SSLContext.setAlpnProtocols(): protocols must be an array of strings, got ${typeName(protocols)}`);
    }
    call(() => this.#n.setAlpnProtocols([...protocols]));
  }

  get minimumVersion(): TLSVersion {
    return this.#n.minimumVersion as TLSVersion;
  }

  set minimumVersion(v: TLSVersion) {
    const s = stringArg('minimumVersion', 'version', v);
    call(() => {
      this.#n.minimumVersion = s;
    });
  }

  get maximumVersion(): TLSVersion {
    return this.#n.maximumVersion as TLSVersion;
  }

  set maximumVersion(v: TLSVersion) {
    const s = stringArg('maximumVersion', 'version', v);
    call(() => {
      this.#n.maximumVersion = s;
    });
  }

  /** Python's `cert_store_stats()`: `{ x509_ca }`, the trusted certificates. */
  certStoreStats(): { x509_ca: number } {
    return { x509_ca: this.#n.caCount() };
  }
}
