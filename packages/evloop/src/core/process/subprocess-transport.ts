// asyncio's SubprocessTransport and SubprocessProtocol: the package's side
// of `loop.subprocessExec`. The binding drives an adapter made here, which
// wraps the native transport once and calls the user's protocol with it.
// Browser-safe.

import type { AbstractEventLoop } from '../base-loop.js';
import type { NetBinding } from '../net/backend.js';
import { call, pending } from '../net/pending.js';
import { inspectCustom, wrapTransport, type Transport } from '../net/transport.js';
import { signalArg } from './args.js';
import type { NativeSubprocessTransportLike } from './backend.js';

/** Receives a child's events; every method is optional. The order is asyncio's (docs/processes.md). */
export interface SubprocessProtocol {
  /** The pipes are connected; keep `transport`. */
  connectionMade?(transport: SubprocessTransport): void;
  /** The child wrote `data` to its stdout (`fd` 1) or stderr (2). */
  pipeDataReceived?(fd: number, data: Uint8Array): void;
  /** Pipe `fd` closed: null for a clean close, else the error. */
  pipeConnectionLost?(fd: number, exc: Error | null): void;
  /** The child exited: `transport.getReturncode()` has its code. */
  processExited?(): void;
  /** The child exited and every pipe closed: the last call. */
  connectionLost?(exc: Error | null): void;
  /** The stdin pipe's buffer went over its high-water mark. */
  pauseWriting?(): void;
  /** The stdin pipe's buffer drained to its low-water mark. */
  resumeWriting?(): void;
}

/** A child process started by `loop.subprocessExec` (asyncio's SubprocessTransport). */
export class SubprocessTransport {
  readonly #n: NativeSubprocessTransportLike;
  readonly #binding: NetBinding;
  readonly #pipes = new Map<number, Transport | null>();

  /** @internal Made by the layer from the binding's object. */
  constructor(binding: NetBinding, n: NativeSubprocessTransportLike) {
    this.#binding = binding;
    this.#n = n;
  }

  /** The child's process id. */
  getPid(): number {
    return this.#n.getPid();
  }

  /** The exit code, or minus the signal that ended the child; null while it runs. */
  getReturncode(): number | null {
    return this.#n.getReturncode();
  }

  /** The transport of pipe `fd` (0 stdin, 1 stdout, 2 stderr), or null if that stream is no pipe. */
  getPipeTransport(fd: number): Transport | null {
    let t = this.#pipes.get(fd);
    if (t === undefined) {
      const n = this.#n.getPipeTransport(fd);
      t = n === null ? null : wrapTransport(this.#binding, n);
      this.#pipes.set(fd, t);
    }
    return t;
  }

  /** Sends `sig` (a number or a name such as 'SIGTERM'); a no-op once the child was reaped. */
  sendSignal(sig: number | string): void {
    const n = signalArg('sendSignal', sig);
    this.#binding.touch();
    call(() => this.#n.sendSignal(n));
  }

  /** SIGTERM. */
  terminate(): void {
    this.#binding.touch();
    call(() => this.#n.terminate());
  }

  /** SIGKILL. */
  kill(): void {
    this.#binding.touch();
    call(() => this.#n.kill());
  }

  /** Closes the pipes and kills the child if it still runs; it is still reaped. Idempotent. */
  close(): void {
    this.#binding.touch();
    this.#n.close();
  }

  isClosing(): boolean {
    return this.#n.isClosing();
  }

  toString(): string {
    return this.#n.describe();
  }

  [inspectCustom](): string {
    return this.toString();
  }
}

/** Resolves to the return code once the child exited and its pipes closed (asyncio's `_wait`). */
export function waitFor(loop: AbstractEventLoop, binding: NetBinding, n: { wait(done: (ok: boolean, value: unknown) => void): void }): Promise<number> {
  return pending(loop, (done) => {
    binding.touch();
    n.wait(done);
  }, (v) => v as number);
}

/**
 * The object the binding drives for one `subprocessExec`: forwards its calls to `user` with
 * the package's transport (`transport(native)` makes it once).
 */
export function adapter(binding: NetBinding, user: SubprocessProtocol) {
  let wrapper: SubprocessTransport | null = null;
  const transport = (n: NativeSubprocessTransportLike): SubprocessTransport => (wrapper ??= new SubprocessTransport(binding, n));
  return {
    transport,
    connectionMade: (n: NativeSubprocessTransportLike) => user.connectionMade?.(transport(n)),
    pipeDataReceived: (fd: number, data: Uint8Array) => user.pipeDataReceived?.(fd, data),
    pipeConnectionLost: (fd: number, exc: Error | null) => user.pipeConnectionLost?.(fd, exc),
    processExited: () => user.processExited?.(),
    connectionLost: (exc: Error | null) => user.connectionLost?.(exc),
    pauseWriting: () => user.pauseWriting?.(),
    resumeWriting: () => user.resumeWriting?.(),
  };
}
