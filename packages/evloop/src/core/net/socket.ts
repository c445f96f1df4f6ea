// The package's `Socket` (Python's `socket` subset of API.md v2): an OS socket the caller owns,
// non-blocking and close-on-exec, over a binding's NativeSocket. It binds, listens, reads its
// addresses and options, shuts down and closes; accepting, connecting, reading and writing are
// the loop's `sock*` methods (sock-methods.ts). A runtime without OS sockets (a simulation)
// has no opener: `socket()` throws NotImplementedError there. Browser-safe.

import { NotImplementedError, OSError } from '../errors.js';
import { typeName } from '../values.js';
import { intArg } from './args.js';
import type { NativeSocketLike } from './backend.js';
import { addressArg } from './address-args.js';
import { call } from './pending.js';
import type { SocketAddress } from './protocol.js';
import { inspectCustom } from './transport.js';

/** What a runtime opens sockets with: `(family, type, proto) => NativeSocketLike`. */
export type SocketOpener = (family: number, type: number, proto: number) => NativeSocketLike;

let wrapNative: (n: NativeSocketLike) => Socket;

/** A non-blocking, close-on-exec OS socket (Python's `socket.socket`). */
export class Socket {
  readonly #n: NativeSocketLike;

  static {
    wrapNative = (n) => new Socket(n);
  }

  private constructor(n: NativeSocketLike) {
    this.#n = n;
  }

  /** `AF_INET`, `AF_INET6`, `AF_UNIX`. */
  get family(): number {
    return this.#n.family;
  }

  /** `SOCK_STREAM`, `SOCK_DGRAM`. */
  get type(): number {
    return this.#n.type;
  }

  get proto(): number {
    return this.#n.proto;
  }

  /** The fd, or -1 once closed or detached. */
  fileno(): number {
    return this.#n.fileno();
  }

  /**
   * Binds to `[host, port]` or `{ address, port }` (`""` for every interface; a name is
   * resolved now, as Python's `bind` does), or a Unix path.
   */
  bind(addr: [string, number] | { address: string; port: number } | string): void {
    const a = addressArg('bind', 'address', addr);
    if (a === undefined) throw new TypeError(`bind(): address must be [host, port], { address, port } or a Unix path, got ${typeName(addr)}`);
    if (typeof a === 'string') call(() => this.#n.bind(null, null, a));
    else call(() => this.#n.bind(a[0], a[1], null));
  }

  /** Starts listening (Python's default backlog: 128). */
  listen(backlog = 128): void {
    const b = intArg('listen', 'backlog', backlog, { min: 0 }) ?? 128;
    call(() => this.#n.listen(b));
  }

  getsockname(): SocketAddress {
    return call(() => this.#n.getsockname()) as SocketAddress;
  }

  getpeername(): SocketAddress {
    return call(() => this.#n.getpeername()) as SocketAddress;
  }

  /** An integer option. */
  getsockopt(level: number, option: number): number {
    const l = intArg('getsockopt', 'level', level) ?? 0;
    const o = intArg('getsockopt', 'option', option) ?? 0;
    return call(() => this.#n.getsockopt(l, o));
  }

  /** Sets an integer option (a boolean is 1 or 0). */
  setsockopt(level: number, option: number, value: number | boolean): void {
    const l = intArg('setsockopt', 'level', level) ?? 0;
    const o = intArg('setsockopt', 'option', option) ?? 0;
    const v = intArg('setsockopt', 'value', typeof value === 'boolean' ? Number(value) : value) ?? 0;
    call(() => this.#n.setsockopt(l, o, v));
  }

  /** `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`. */
  shutdown(how: number): void {
    const h = intArg('shutdown', 'how', how) ?? -1;
    call(() => this.#n.shutdown(h));
  }

  /** Closes the fd (idempotent). */
  close(): void {
    this.#n.close();
  }

  /** Lets go of the fd without closing it and returns it (-1 if already closed). */
  detach(): number {
    return this.#n.detach();
  }

  /** Python's repr: `<socket.socket fd=7, family=2, type=1, proto=6>`. */
  toString(): string {
    return this.#n.describe();
  }

  [inspectCustom](): string {
    return this.toString();
  }
}

/** A Socket over a binding's native socket (`sockAccept`'s result). */
export function wrapSocket(n: NativeSocketLike): Socket {
  return wrapNative(n);
}

/**
 * The `socket()` function of a runtime: `open` makes the native socket; without one (a
 * simulation) the function throws NotImplementedError naming the call.
 */
export function socketFunction(open: SocketOpener | null): (family?: number, type?: number, proto?: number) => Socket {
  return (family = 2, type = 1, proto = 0) => {
    if (open === null) throw new NotImplementedError('socket() is not supported on a simulated host');
    const f = intArg('socket', 'family', family) ?? 2;
    const t = intArg('socket', 'type', type) ?? 1;
    const p = intArg('socket', 'proto', proto) ?? 0;
    return wrapNative(call(() => open(f, t, p)));
  };
}

/**
 * A call that takes ownership of its `sock` option succeeded: a Socket lets go of the fd, so
 * closing or collecting it no longer closes what the server or transport now owns.
 */
export function handOver(sock: unknown): void {
  if (sock instanceof Socket) sock.detach();
}

/** A socket argument: a Socket, an object with `fileno()`, or an fd. */
export function sockFd(c: string, sock: unknown): number {
  if (sock === undefined || sock === null) throw new TypeError(`${c}(): sock must be a Socket or a file descriptor, got ${typeName(sock)}`);
  const fileno: unknown = typeof sock === 'object' ? (sock as { fileno?: unknown }).fileno : undefined;
  const fd: unknown = typeof fileno === 'function' ? (fileno as () => unknown).call(sock) : sock;
  if (typeof fd !== 'number') throw new TypeError(`${c}(): sock must be a Socket or a file descriptor, got ${typeName(sock)}`);
  if (fd === -1 && sock instanceof Socket) {
    // Python's error for a call on a closed socket.
    throw new OSError(`[Errno 9] Bad file descriptor: ${c}() on a closed socket`, { code: 'EBADF', errno: 9, syscall: c });
  }
  return intArg(c, 'sock', fd, { min: 0 }) ?? -1;
}
