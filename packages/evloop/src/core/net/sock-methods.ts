// The loop's socket methods (API.md v2 "Sockets": asyncio's sock_accept ... sock_sendfile,
// sendfile and connect_accepted_socket), written once over a back end's `sockets` capability
// (backend.ts `SocketBackend`). A back end without it (a simulated host) makes each call throw
// NotImplementedError naming it. NetLoop's methods call these. Browser-safe.

import { NotImplementedError, ValueError } from '../errors.js';
import type { Future } from '../future.js';
import { typeName } from '../values.js';
import { acceptedSocketArgs, functionArg, intArg, optionsArg } from './args.js';
import type { BytesLike, NativeSocketLike, SocketBackend } from './backend.js';
import { bytesView } from './bytes.js';
import { addressArg } from './address-args.js';
import type { DatagramAddress } from './datagram-args.js';
import { netOf, type NetLoop } from './net-loop.js';
import { pending } from './pending.js';
import type { Protocol, SocketAddress } from './protocol.js';
import { handOver, sockFd, wrapSocket, type Socket } from './socket.js';
import { Transport, transportNative } from './transport.js';

/** `sendfile`'s `file`: an fd, or an object with `fd` (a FileHandle) or `fileno()`. */
export type FileLike = number | { fd: number } | { fileno(): number };

/** `sockSendfile`/`sendfile`'s options. */
export interface SendfileOptions {
  /** Read and send where `sendfile(2)` cannot be used (default true). */
  fallback?: boolean;
}

/** `connectAcceptedSocket`'s options: TLS as the server's end. */
export interface AcceptedSocketOptions {
  ssl?: import('./tls.js').SSLContextLike | null;
  sslHandshakeTimeout?: number | null;
  sslShutdownTimeout?: number | null;
}

const COUNT = { min: 0, max: 2 ** 53 - 1 };

/** The loop's socket capability; NotImplementedError naming `c` where there is none. */
function sockets(loop: NetLoop, c: string): SocketBackend {
  const s = netOf(loop).sockets;
  if (s === undefined) throw new NotImplementedError(`${c}() is not supported on a simulated host`);
  return s;
}

function fileArg(c: string, file: unknown): number {
  let fd: unknown = file;
  if (typeof file === 'object' && file !== null) {
    const o = file as { fd?: unknown; fileno?: unknown };
    fd = typeof o.fileno === 'function' ? (o.fileno as () => unknown).call(file) : o.fd;
  }
  if (typeof fd !== 'number') throw new TypeError(`${c}(): file must be a file descriptor or an object with fd or fileno(), got ${typeName(file)}`);
  return intArg(c, 'file', fd, { min: 0 }) ?? -1;
}

/** asyncio's `_check_sendfile_params` for offset and count. */
function sendfileArgs(c: string, offset: unknown, count: unknown, opts: unknown): [number, number | undefined, boolean] {
  if (typeof offset !== 'number' || !Number.isInteger(offset)) {
    throw new TypeError(`${c}(): offset must be a non-negative integer (got ${typeName(offset)})`);
  }
  if (offset < 0) throw new ValueError(`offset must be a non-negative integer (got ${offset})`);
  let n: number | undefined;
  if (count !== undefined && count !== null) {
    if (typeof count !== 'number' || !Number.isInteger(count)) {
      throw new TypeError(`${c}(): count must be a positive integer (got ${typeName(count)})`);
    }
    if (count <= 0) throw new ValueError(`count must be a positive integer (got ${count})`);
    n = intArg(c, 'count', count, COUNT);
  }
  const o = optionsArg(c, opts, ['fallback']);
  const fallback = o['fallback'];
  if (fallback !== undefined && fallback !== null && typeof fallback !== 'boolean') {
    throw new TypeError(`${c}(): fallback must be a boolean, got ${typeName(fallback)}`);
  }
  return [offset, n, fallback !== false];
}

function sizeArg(c: string, name: string, n: unknown): number {
  if (typeof n !== 'number') throw new TypeError(`${c}(): ${name} must be an integer, got ${typeName(n)}`);
  return intArg(c, name, n, { min: 0, max: 2 ** 31 - 1 }) ?? 0;
}

/** `[host, port]` / `{ address, port }` / a path as the binding's three arguments. */
function addrParts(c: string, addr: unknown): [string | null, number | null, string | null] {
  const a = addressArg(c, 'address', addr);
  if (a === undefined) throw new TypeError(`${c}(): address must be [host, port], { address, port } or a Unix path, got ${typeName(addr)}`);
  return typeof a === 'string' ? [null, null, a] : [a[0], a[1], null];
}

/** A writable view of `buf` (any ArrayBufferView or ArrayBuffer). */
function bufArg(c: string, buf: unknown): Uint8Array {
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  throw new TypeError(`${c}(): buf must be a writable bytes-like object, got ${typeName(buf)}`);
}

export function sockAccept(loop: NetLoop, sock: unknown): Future<[Socket, SocketAddress | null]> {
  const c = 'sockAccept';
  return pending(loop, (done) => sockets(loop, c).sockAccept(sockFd(c, sock), done), (v) => {
    const [n, a] = v as [NativeSocketLike, SocketAddress | null];
    return [wrapSocket(n), a];
  }, (v) => (v as [NativeSocketLike])[0].close());
}

export function sockConnect(loop: NetLoop, sock: unknown, addr: unknown): Future<void> {
  const c = 'sockConnect';
  return pending<void>(loop, (done) => {
    const fd = sockFd(c, sock);
    const [h, p, path] = addrParts(c, addr);
    return sockets(loop, c).sockConnect(fd, h, p, path, done);
  }, () => undefined);
}

export function sockRecv(loop: NetLoop, sock: unknown, n: unknown): Future<Uint8Array> {
  const c = 'sockRecv';
  return pending(loop, (done) => sockets(loop, c).sockRecv(sockFd(c, sock), sizeArg(c, 'n', n), done), (v) => v as Uint8Array);
}

export function sockRecvInto(loop: NetLoop, sock: unknown, buf: unknown): Future<number> {
  const c = 'sockRecvInto';
  let view: Uint8Array | undefined;
  return pending(loop, (done) => {
    const fd = sockFd(c, sock);
    view = bufArg(c, buf);
    return sockets(loop, c).sockRecv(fd, view.byteLength, done);
  }, (v) => {
    const data = v as Uint8Array;
    view?.set(data);
    return data.byteLength;
  });
}

export function sockRecvfrom(loop: NetLoop, sock: unknown, n: unknown): Future<[Uint8Array, SocketAddress | null]> {
  const c = 'sockRecvfrom';
  return pending(loop, (done) => sockets(loop, c).sockRecvfrom(sockFd(c, sock), sizeArg(c, 'bufsize', n), done), (v) => v as [Uint8Array, SocketAddress | null]);
}

export function sockRecvfromInto(loop: NetLoop, sock: unknown, buf: unknown, nbytes: unknown): Future<[number, SocketAddress | null]> {
  const c = 'sockRecvfromInto';
  let view: Uint8Array | undefined;
  return pending(loop, (done) => {
    const fd = sockFd(c, sock);
    view = bufArg(c, buf);
    let n = nbytes === undefined || nbytes === null ? 0 : sizeArg(c, 'nbytes', nbytes);
    if (n === 0) n = view.byteLength;
    if (n > view.byteLength) throw new ValueError('nbytes is greater than the length of the buffer');
    return sockets(loop, c).sockRecvfrom(fd, n, done);
  }, (v) => {
    const [data, addr] = v as [Uint8Array, SocketAddress | null];
    view?.set(data);
    return [data.byteLength, addr];
  });
}

export function sockSendall(loop: NetLoop, sock: unknown, data: unknown): Future<void> {
  const c = 'sockSendall';
  return pending<void>(loop, (done) => {
    const fd = sockFd(c, sock);
    return sockets(loop, c).sockSendall(fd, bytesView(data as BytesLike), done);
  }, () => undefined);
}

export function sockSendto(loop: NetLoop, sock: unknown, data: unknown, addr: unknown): Future<number> {
  const c = 'sockSendto';
  return pending(loop, (done) => {
    const fd = sockFd(c, sock);
    const bytes = bytesView(data as BytesLike);
    const [h, p, path] = addrParts(c, addr);
    return sockets(loop, c).sockSendto(fd, bytes, h, p, path, done);
  }, (v) => v as number);
}

export function sockSendfile(loop: NetLoop, sock: unknown, file: unknown, offset: unknown, count: unknown, opts: unknown): Future<number> {
  const c = 'sockSendfile';
  return pending(loop, (done) => {
    const fd = sockFd(c, sock);
    const f = fileArg(c, file);
    const [o, n, fallback] = sendfileArgs(c, offset, count, opts);
    return sockets(loop, c).sockSendfile(fd, f, o, n, fallback, done);
  }, (v) => v as number);
}

export function sendfile(loop: NetLoop, transport: unknown, file: unknown, offset: unknown, count: unknown, opts: unknown): Future<number> {
  const c = 'sendfile';
  return pending(loop, (done) => {
    if (!(transport instanceof Transport)) throw new TypeError(`${c}(): transport must be a Transport, got ${typeName(transport)}`);
    const f = fileArg(c, file);
    const [o, n, fallback] = sendfileArgs(c, offset, count, opts);
    return sockets(loop, c).sendfile(transportNative(transport), f, o, n, fallback, done);
  }, (v) => v as number);
}

export function connectAcceptedSocket<P extends Protocol>(
  loop: NetLoop,
  protocolFactory: () => P,
  sock: unknown,
  opts: unknown,
): Future<[Transport, P]> {
  const c = 'connectAcceptedSocket';
  return pending(loop, (done) => {
    const s = sockets(loop, c);
    functionArg(c, 'protocolFactory', protocolFactory);
    const fd = sockFd(c, sock);
    const o = acceptedSocketArgs(c, opts);
    netOf(loop).binding.touch();
    return s.connectAcceptedSocket(protocolFactory, fd, o, done);
  }, (v) => {
    handOver(sock);
    return v as [Transport, P];
  }, (v) => {
    handOver(sock);
    (v as [Transport])[0].close();
  });
}

export type { DatagramAddress };
