// Argument checks of the process calls, in the words of the call.
// Browser-safe.

import { ValueError } from '../errors.js';
import { typeName } from '../values.js';
import type { NativeSubprocessOptions } from './backend.js';

/** A new pipe (asyncio's `subprocess.PIPE`). */
export const PIPE = -1;
/** stderr only: wherever stdout goes (`subprocess.STDOUT`). */
export const STDOUT = -2;
/** The null device (`subprocess.DEVNULL`). */
export const DEVNULL = -3;

/** Where a child's stream goes: PIPE, DEVNULL, STDOUT (stderr only), an fd of ours, or null (inherit ours). */
export type StdioTarget = number | null;

/** The options of the subprocess calls. */
export interface SubprocessOptions {
  /** Default: PIPE for `loop.subprocessExec`, null (inherit) for `createSubprocessExec`. */
  stdin?: StdioTarget;
  stdout?: StdioTarget;
  stderr?: StdioTarget;
  /** The working directory (default: ours). */
  cwd?: string | URL | null;
  /** The whole environment (default: ours); entries whose value is undefined are left out. */
  env?: Record<string, string | undefined> | null;
}

/** `createSubprocessExec` / `createSubprocessShell` options: also the readers' buffer limit. */
export interface ProcessOptions extends SubprocessOptions {
  /** The stdout/stderr readers' buffer limit (default 64 KiB). */
  limit?: number;
}

/** The binding's value: undefined means inherit. */
function stdio(call: string, what: string, v: unknown, dflt: StdioTarget): number | undefined {
  if (v === undefined) return dflt ?? undefined;
  if (v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < DEVNULL) {
    throw new ValueError(`${call}(): ${what} must be PIPE, DEVNULL, STDOUT, an fd or null, got ${typeof v === 'number' ? v : typeName(v)}`);
  }
  return v;
}

function cwdArg(call: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (v instanceof URL) {
    if (v.protocol !== 'file:') throw new TypeError(`${call}(): cwd must be a file: URL, got ${v.protocol}`);
    return decodeURIComponent(v.pathname);
  }
  throw new TypeError(`${call}(): cwd must be a string or a file: URL, got ${typeName(v)}`);
}

function envArg(call: string, v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object') throw new TypeError(`${call}(): env must be an object, got ${typeName(v)}`);
  const out: string[] = [];
  for (const [k, value] of Object.entries(v as Record<string, unknown>)) {
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new TypeError(`${call}(): env.${k} must be a string, got ${typeName(value)}`);
    if (k.includes('=') || k === '') throw new ValueError(`${call}(): illegal environment variable name '${k}'`);
    out.push(`${k}=${value}`);
  }
  return out;
}

/** The binding's options; `dflt` is what an absent stream means. */
export function subprocessOptions(call: string, opts: unknown, dflt: StdioTarget): NativeSubprocessOptions {
  if (opts !== undefined && opts !== null && typeof opts !== 'object') {
    throw new TypeError(`${call}(): opts must be an object, got ${typeName(opts)}`);
  }
  const o = (opts ?? {}) as SubprocessOptions;
  return {
    stdin: stdio(call, 'stdin', o.stdin, dflt),
    stdout: stdio(call, 'stdout', o.stdout, dflt),
    stderr: stdio(call, 'stderr', o.stderr, dflt),
    cwd: cwdArg(call, o.cwd),
    env: envArg(call, o.env),
  };
}

/** The program: a non-empty string. */
export function programArg(call: string, program: unknown): string {
  if (typeof program !== 'string') throw new TypeError(`${call}(): program must be a string, got ${typeName(program)}`);
  return program;
}

/** The arguments after the program: strings (as asyncio: "program arguments must be a bytes or text string"). */
export function argsArg(call: string, args: unknown): string[] {
  if (args === undefined || args === null) return [];
  if (!Array.isArray(args)) throw new TypeError(`${call}(): args must be an array of strings, got ${typeName(args)}`);
  for (const a of args) {
    if (typeof a !== 'string') throw new TypeError(`${call}(): program arguments must be strings, not ${typeName(a)}`);
  }
  return args as string[];
}

/** The shell command (asyncio: ValueError('cmd must be a string')). */
export function cmdArg(call: string, cmd: unknown): string {
  if (typeof cmd !== 'string') throw new ValueError(`${call}(): cmd must be a string, got ${typeName(cmd)}`);
  return cmd;
}

/** An fd number, or an object's `fileno()` (asyncio's `pipe.fileno()`). */
export function pipeArg(call: string, pipe: unknown): number {
  let fd: unknown = pipe;
  if (pipe !== null && typeof pipe === 'object' && typeof (pipe as { fileno?: unknown }).fileno === 'function') {
    fd = (pipe as { fileno(): unknown }).fileno();
  }
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) {
    throw new TypeError(`${call}(): pipe must be an fd (an integer >= 0) or an object with fileno(), got ${typeName(pipe)}`);
  }
  return fd;
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14,
  SIGTERM: 15, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20,
};

/** A signal number, or its name ("SIGTERM"; Linux numbering, where processes run). */
export function signalArg(call: string, sig: unknown): number {
  if (typeof sig === 'number' && Number.isInteger(sig)) return sig;
  if (typeof sig === 'string') {
    const n = SIGNALS[sig];
    if (n !== undefined) return n;
    throw new ValueError(`${call}(): unknown signal name '${sig}'`);
  }
  throw new TypeError(`${call}(): sig must be a signal number or name, got ${typeName(sig)}`);
}
