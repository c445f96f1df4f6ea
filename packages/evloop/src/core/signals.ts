// Signal handlers (asyncio's add_signal_handler/remove_signal_handler), written once for every
// loop: the checks, the table of handlers, and delivery as a loop callback. Where signals come
// from is the back end's business (LoopBackend.watchSignal): Node's libuv signal handles
// (`process.on`), or a simulation's `signal` faults. Browser-safe.

import type { LoopBackend } from './backend.js';
import { RuntimeError, ValueError } from './errors.js';
import type { AnyCallback } from './handles.js';
import { platform, repr } from './platform.js';
import { captureContext } from './task-context.js';
import { isCoroutineFunction, isThenable, typeName } from './values.js';

/** A signal, resolved: its number and its name. */
export interface Signal {
  readonly num: number;
  readonly name: string;
}

/** A number or a name (`'SIGTERM'`) of the runtime's table; asyncio's words for a bad number. */
export function resolveSignal(call: string, sig: unknown): Signal {
  const table = platform.signals;
  if (typeof sig === 'string') {
    const num = Object.hasOwn(table, sig) ? table[sig] : undefined;
    if (num === undefined) throw new ValueError(`${call}(): unknown signal name ${repr(sig)}`);
    return { num, name: sig };
  }
  if (typeof sig !== 'number' || !Number.isInteger(sig)) {
    throw new TypeError(`${call}(): sig must be a signal number or name, got ${typeName(sig)}`);
  }
  for (const name of Object.keys(table)) {
    if (table[name] === sig) return { num: sig, name };
  }
  throw new ValueError(`invalid signal number ${sig}`);
}

interface Entry {
  readonly callback: AnyCallback;
  readonly args: readonly unknown[];
  /** The async context the handler was added in; every run uses it (asyncio's Handle context). */
  readonly context: object | null;
}

/** How the table schedules a handler's run: the loop's callSoon in a given context. */
export type ScheduleIn = (context: object | null, callback: AnyCallback, args: readonly unknown[]) => void;

/** One loop's signal handlers. */
export class SignalHandlers {
  #entries = new Map<number, Entry>();
  #names = new Map<number, string>();
  readonly #schedule: ScheduleIn;

  constructor(schedule: ScheduleIn) {
    this.#schedule = schedule;
  }

  /** asyncio's order of checks: the signal, the closed loop, the callback, then catchability. */
  add(backend: LoopBackend, sig: unknown, callback: unknown, args: readonly unknown[]): void {
    const { num, name } = resolveSignal('addSignalHandler', sig);
    if (backend.isClosed()) throw new RuntimeError('Event loop is closed');
    if (typeof callback !== 'function') {
      throw new TypeError(`a callable object was expected by addSignalHandler(), got ${repr(callback)}`);
    }
    if (isCoroutineFunction(callback) || isThenable(callback)) {
      throw new TypeError('coroutines cannot be used with addSignalHandler()');
    }
    if (name === 'SIGKILL' || name === 'SIGSTOP') throw new RuntimeError(`sig ${num} cannot be caught`);
    const watched = this.#entries.has(num);
    this.#entries.set(num, { callback: callback as AnyCallback, args, context: captureContext() });
    if (watched) return;
    try {
      backend.watchSignal(num, name, () => this.#deliver(num));
    } catch (e) {
      this.#entries.delete(num);
      throw e;
    }
    this.#names.set(num, name);
  }

  /** Whether a handler was installed; the back end gives the signal its default behaviour back. */
  remove(backend: LoopBackend, sig: unknown): boolean {
    const { num } = resolveSignal('removeSignalHandler', sig);
    if (!this.#entries.delete(num)) return false;
    const name = this.#names.get(num) as string;
    this.#names.delete(num);
    backend.watchSignal(num, name, null);
    return true;
  }

  /** At close(): every handler goes. */
  clear(backend: LoopBackend): void {
    for (const num of [...this.#entries.keys()]) this.remove(backend, num);
  }

  /** A new life of a simulated host (a new process) starts with no handler. */
  forget(): void {
    this.#entries.clear();
    this.#names.clear();
  }

  /** The signal numbers with a handler, in increasing order. */
  signals(): number[] {
    return [...this.#entries.keys()].sort((a, b) => a - b);
  }

  /** A signal arrived: its handler runs as a loop callback, after those already queued. */
  #deliver(num: number): void {
    const entry = this.#entries.get(num);
    if (entry === undefined) return;
    this.#schedule(entry.context, entry.callback, entry.args);
  }
}
