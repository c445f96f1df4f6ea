// asyncio's streams-level subprocesses: createSubprocessExec and
// createSubprocessShell (package functions on the running loop) and the
// Process they resolve to. The core's Process does the protocol work
// (crates/evloop/src/streams/subprocess.rs); `communicate` is here.
// Browser-safe (a simulated host refuses these calls).

import { BrokenPipeError, ConnectionResetError, NotImplementedError } from '../errors.js';
import type { BytesLike, NetBinding } from '../net/backend.js';
import type { NetLoop } from '../net/net-loop.js';
import { netOf } from '../net/net-loop.js';
import { pending } from '../net/pending.js';
import { adoptStream, onRunningLoop, type StreamReader, type StreamWriter } from '../net/streams.js';
import { inspectCustom } from '../net/transport.js';
import { argsArg, cmdArg, programArg, subprocessOptions, type ProcessOptions } from './args.js';
import type { NativeProcessLike, ProcessBackend } from './backend.js';
import { SubprocessTransport, waitFor } from './subprocess-transport.js';

/** A child started by createSubprocessExec/createSubprocessShell (asyncio.subprocess.Process). */
export class Process {
  readonly #n: NativeProcessLike;
  readonly #loop: NetLoop;
  readonly #binding: NetBinding;
  /** The child's process id. */
  readonly pid: number;
  /** The child's stdin, if it is a pipe. */
  readonly stdin: StreamWriter | null;
  /** The child's stdout, if it is a pipe. */
  readonly stdout: StreamReader | null;
  /** The child's stderr, if it is a pipe. */
  readonly stderr: StreamReader | null;
  #transport: SubprocessTransport | null = null;

  /** @internal Made by the layer from the binding's object. */
  constructor(loop: NetLoop, binding: NetBinding, n: NativeProcessLike) {
    this.#loop = loop;
    this.#binding = binding;
    this.#n = n;
    this.pid = n.pid;
    const stdin = n.stdin();
    const stdout = n.stdout();
    const stderr = n.stderr();
    this.stdin = stdin === null ? null : adoptStream(loop, null, stdin);
    this.stdout = stdout === null ? null : adoptStream(loop, stdout);
    this.stderr = stderr === null ? null : adoptStream(loop, stderr);
  }

  /** The exit code, or minus the signal that ended the child; null while it runs. */
  get returncode(): number | null {
    return this.#n.returncode();
  }

  /** The transport underneath (its pipe transports are the streams'). */
  get transport(): SubprocessTransport {
    this.#transport ??= new SubprocessTransport(this.#binding, this.#n.transport());
    return this.#transport;
  }

  /** Waits until the child exits (and its output pipes close); resolves to `returncode`. */
  wait(): Promise<number> {
    return waitFor(this.#loop, this.#binding, this.#n);
  }

  /**
   * Writes `input` (if given) to stdin and closes it, reads stdout and stderr to their end,
   * and waits for the child: `[stdout, stderr]`, null for a stream that is no pipe. A child
   * that exits without reading its stdin is not an error (BrokenPipeError is ignored).
   */
  async communicate(input?: BytesLike | null): Promise<[Uint8Array | null, Uint8Array | null]> {
    const feed = async (): Promise<void> => {
      const stdin = this.stdin;
      if (stdin === null) return;
      try {
        if (input !== undefined && input !== null) {
          stdin.write(input);
          await stdin.drain();
        }
      } catch (e) {
        if (!(e instanceof BrokenPipeError || e instanceof ConnectionResetError)) throw e;
      }
      stdin.close();
    };
    const read = async (fd: number, stream: StreamReader | null): Promise<Uint8Array | null> => {
      if (stream === null) return null;
      const out = await stream.read();
      this.transport.getPipeTransport(fd)?.close();
      return out;
    };
    const [, out, err] = await Promise.all([feed(), read(1, this.stdout), read(2, this.stderr)]);
    await this.wait();
    return [out, err];
  }

  // The signals go through the transport, as asyncio's Process sends them
  // (and as the core's Process does): one place checks and sends them.

  /** Sends `sig` (a number or a name such as 'SIGTERM'); a no-op once the child was reaped. */
  sendSignal(sig: number | string): void {
    this.transport.sendSignal(sig);
  }

  /** SIGTERM. */
  terminate(): void {
    this.transport.terminate();
  }

  /** SIGKILL. */
  kill(): void {
    this.transport.kill();
  }

  toString(): string {
    return this.#n.describe();
  }

  [inspectCustom](): string {
    return this.toString();
  }
}

/** The loop's process back end; NotImplementedError naming `callName` where there is none (a simulated host). */
export function processBackend(loop: NetLoop, callName: string): ProcessBackend {
  const p = netOf(loop).process;
  if (p === undefined) throw new NotImplementedError(`${callName}() is not supported on a simulated host`);
  return p;
}

function startProcess(
  loop: NetLoop,
  c: string,
  argv: () => [string, string[]],
  opts: ProcessOptions | undefined,
): Promise<Process> {
  const binding = netOf(loop).binding;
  return pending(loop, (done) => {
    const [program, args] = argv();
    const o = subprocessOptions(c, opts, null);
    const backend = processBackend(loop, c);
    binding.touch();
    return backend.createSubprocessExec(program, args, o, opts?.limit, done);
  }, (v) => new Process(loop, binding, v as NativeProcessLike), (v) => (v as NativeProcessLike).transport().close());
}

/**
 * Starts `program` with `args` on the running loop; its stdin/stdout/stderr are streams where
 * they are PIPE (each defaults to inheriting ours, as asyncio's).
 */
export function createSubprocessExec(program: string, args: readonly string[] = [], opts?: ProcessOptions): Promise<Process> {
  const c = 'createSubprocessExec';
  return onRunningLoop((loop) => startProcess(loop, c, () => [programArg(c, program), argsArg(c, args)], opts));
}

/** `cmd` run by `/bin/sh -c` on the running loop, as createSubprocessExec. */
export function createSubprocessShell(cmd: string, opts?: ProcessOptions): Promise<Process> {
  const c = 'createSubprocessShell';
  return onRunningLoop((loop) => startProcess(loop, c, () => ['/bin/sh', ['-c', cmdArg(c, cmd)]], opts));
}
