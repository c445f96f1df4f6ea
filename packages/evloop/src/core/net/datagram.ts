// Datagram endpoints (asyncio's create_datagram_endpoint): the protocol
// type, the DatagramTransport class over a binding's native transport, and
// the adapter that stands between the binding and the user's protocol (it
// wraps the native transport before the user's connectionMade sees it, so
// neither binding needs a hook for it). Browser-safe.

import { fromNative } from '../errors.js';
import { typeName } from '../values.js';
import type { BytesLike, NativeDatagramTransportLike, NetBinding } from './backend.js';
import { bytesView } from './bytes.js';
import { addressArg } from './address-args.js';
import type { DatagramAddress } from './datagram-args.js';
import { call } from './pending.js';
import type { SocketAddress } from './protocol.js';
import { TransportBase } from './transport.js';

/**
 * What a datagram protocol factory returns: a plain object whose methods the
 * transport calls (every one optional), with the object as `this`.
 * `connectionMade` once, then `datagramReceived` and `errorReceived` in any
 * order, `connectionLost` once. A method that throws is reported to the
 * loop's exception handler; the endpoint stays open.
 */
export interface DatagramProtocol {
  connectionMade?(transport: DatagramTransport): void;
  /** One datagram (a new Uint8Array, a Buffer in Node; possibly empty) and its sender (null for an unnamed Unix socket). */
  datagramReceived?(data: Uint8Array, addr: SocketAddress | null): void;
  /**
   * A send or receive failed with an OSError, for example
   * ConnectionRefusedError after an ICMP port unreachable on a connected
   * endpoint.
   */
  errorReceived?(exc: Error): void;
  /** `null` after `close()`/`abort()`, the error otherwise. */
  connectionLost?(exc: Error | null): void;
  pauseWriting?(): void;
  resumeWriting?(): void;
}

let makeDatagramTransport: (binding: NetBinding, n: NativeDatagramTransportLike) => DatagramTransport;

/**
 * A datagram endpoint's transport (asyncio's DatagramTransport): `sendto`
 * sends at once when nothing is buffered, else buffers (each datagram
 * counts its length plus 8 bytes); errors go to the protocol's
 * `errorReceived`. Closing, extra info and the write buffer are
 * TransportBase's, as for a connection's Transport.
 */
export class DatagramTransport extends TransportBase<NativeDatagramTransportLike> {
  static {
    makeDatagramTransport = (binding, n) => new DatagramTransport(binding, n);
  }

  private constructor(binding: NetBinding, n: NativeDatagramTransportLike) {
    super(binding, n);
  }

  /**
   * Sends one datagram (any bytes-like value, empty too) to `addr` —
   * `[host, port]` with a numeric host, an address as received, or a Unix
   * path — or, without `addr`, to the endpoint's `remoteAddr`. ValueError
   * for another address than `remoteAddr`.
   */
  sendto(data: BytesLike, addr?: DatagramAddress | null): void {
    const bytes = bytesView(data);
    const a = addressArg('sendto', 'addr', addr) ?? null;
    this.binding.touch();
    call(() => this.native.sendto(bytes, a));
  }

  /** asyncio's repr (`<_SelectorDatagramTransport fd=7 read=polling write=<idle, bufsize=0>>`). */
  toString(): string {
    return this.native.describe();
  }
}

/** What the adapter keeps: the user's protocol and, once made, its transport. */
interface Adapted {
  user: DatagramProtocol;
  transport: DatagramTransport | null;
}

const adapted = new WeakMap<object, Adapted>();

/** Calls `user[name](...args)` if it is a method (a throwing getter reads as none). */
function notify(user: object, name: keyof DatagramProtocol, args: unknown[]): void {
  let method: unknown;
  try {
    method = (user as Record<string, unknown>)[name];
  } catch {
    return;
  }
  if (typeof method === 'function') (method as (...a: unknown[]) => void).apply(user, args);
}

/**
 * The protocol factory a binding calls: the user's, wrapped so that the
 * binding's native transport reaches the user as a DatagramTransport.
 */
export function adaptFactory(call: string, binding: NetBinding, factory: () => DatagramProtocol): () => object {
  return () => {
    const user = factory();
    if (user === null || typeof user !== 'object') {
      throw new TypeError(`${call}(): protocolFactory() must return an object, got ${typeName(user)}`);
    }
    const state: Adapted = { user, transport: null };
    const adapter = {
      connectionMade(n: NativeDatagramTransportLike): void {
        state.transport = makeDatagramTransport(binding, n);
        notify(user, 'connectionMade', [state.transport]);
      },
      datagramReceived: (data: Uint8Array, addr: SocketAddress | null): void => notify(user, 'datagramReceived', [data, addr]),
      errorReceived: (exc: unknown): void => notify(user, 'errorReceived', [fromNative(exc)]),
      connectionLost: (exc: unknown): void => notify(user, 'connectionLost', [exc === null ? null : fromNative(exc)]),
      pauseWriting: (): void => notify(user, 'pauseWriting', []),
      resumeWriting: (): void => notify(user, 'resumeWriting', []),
    };
    adapted.set(adapter, state);
    return adapter;
  };
}

/** The binding's `[nativeTransport, adapter]` as `[DatagramTransport, userProtocol]`. */
export function adaptedEndpoint<P extends DatagramProtocol>(binding: NetBinding, value: unknown): [DatagramTransport, P] {
  const [n, adapter] = value as [NativeDatagramTransportLike, object];
  const state = adapted.get(adapter);
  if (state === undefined) throw new TypeError('createDatagramEndpoint(): the binding returned an unknown protocol');
  state.transport ??= makeDatagramTransport(binding, n);
  return [state.transport, state.user as P];
}
