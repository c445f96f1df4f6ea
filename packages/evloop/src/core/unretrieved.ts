// "Future exception was never retrieved" / "Task exception was never retrieved": asyncio logs a
// failed future whose exception nobody retrieved when the future is garbage-collected
// (`__del__`). JavaScript has no destructor; a FinalizationRegistry calls back after the
// collection, with a small record registered when the future fails. The record must not hold
// the future (that would keep it alive forever), so the report's `future` is a stand-in that
// shows the future's repr. Browser-safe.

import type { BaseLoop } from './base-loop.js';
import { inspectCustom } from './format.js';
import { loopInternals } from './internal.js';

interface Unretrieved {
  loop: BaseLoop;
  exception: unknown;
  /** `Task exception was never retrieved`. */
  message: string;
  /** The future's repr when it failed. */
  repr: string;
  /** Where the future was made (debug mode): asyncio's `source_traceback`. */
  createdAt: string | undefined;
}

/** What the report's `future` is once the future itself is gone: its repr. */
class CollectedFuture {
  readonly #repr: string;
  constructor(repr: string) {
    this.#repr = repr;
  }
  toString(): string {
    return this.#repr;
  }
  [inspectCustom](): string {
    return this.#repr;
  }
}

function report(record: Unretrieved): void {
  const { loop, exception, message, repr, createdAt } = record;
  loopInternals.guard(loop, () => {
    const context: Record<string, unknown> = { message, exception, future: new CollectedFuture(repr) };
    if (createdAt !== undefined) context.source_traceback = createdAt;
    loop.callExceptionHandler(context);
  });
}

const registry = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<Unretrieved>(report) : null;

/** `future` failed: report its exception when it is collected, unless `retrieved(future)` is called first. */
export function watchUnretrieved(future: object, record: Unretrieved): void {
  registry?.register(future, record, future);
}

/** The exception of `future` was retrieved (result(), exception(), await): no report. */
export function retrieved(future: object): void {
  registry?.unregister(future);
}
