// The contract between the process layer (core/process) and a binding that
// can start processes and wrap pipes: the napi addon (node/net-backend.ts).
// A simulated host has none, so its calls throw NotImplementedError.
// Browser-safe.

import type { Done, NativeCallLike, NativeStreamReaderLike, NativeStreamWriterLike, NativeTransportLike } from '../net/backend.js';

/** A child process as the binding hands it over (the package's SubprocessTransport wraps it). */
export interface NativeSubprocessTransportLike {
  getPid(): number;
  getReturncode(): number | null;
  /** A new native transport of pipe `fd` (the layer keeps one wrapper per fd), or null. */
  getPipeTransport(fd: number): NativeTransportLike | null;
  sendSignal(sig: number): void;
  terminate(): void;
  kill(): void;
  close(): void;
  isClosing(): boolean;
  /** `done(ok, returncode)` once the child exited and its pipes closed. */
  wait(done: Done): void;
  describe(): string;
}

/** A child whose pipes are streams (the package's Process wraps it). */
export interface NativeProcessLike {
  readonly pid: number;
  returncode(): number | null;
  stdin(): NativeStreamWriterLike | null;
  stdout(): NativeStreamReaderLike | null;
  stderr(): NativeStreamReaderLike | null;
  wait(done: Done): void;
  /** Its transport, which also sends its signals. */
  transport(): NativeSubprocessTransportLike;
  describe(): string;
}

/**
 * The options as the binding takes them: each stream -1 (PIPE), -2
 * (STDOUT), -3 (DEVNULL), an fd, or undefined (inherit); `env` as
 * `KEY=value` strings (the whole environment), undefined for ours.
 */
export interface NativeSubprocessOptions {
  stdin?: number | undefined;
  stdout?: number | undefined;
  stderr?: number | undefined;
  cwd?: string | undefined;
  env?: string[] | undefined;
}

/** One loop's processes and pipes. */
export interface ProcessBackend {
  /** `done(ok, [NativeSubprocessTransportLike, adapter])`; the adapter is what `factory` returned. */
  subprocessExec(factory: () => object, program: string, args: string[], opts: NativeSubprocessOptions, done: Done): NativeCallLike;
  /** `done(ok, NativeProcessLike)`. */
  createSubprocessExec(program: string, args: string[], opts: NativeSubprocessOptions, limit: number | undefined, done: Done): NativeCallLike;
  /** `done(ok, [Transport (wrapped by the hook), protocol])`; the transport owns `fd`. */
  connectPipe(factory: () => object, fd: number, write: boolean, done: Done): NativeCallLike;
}
