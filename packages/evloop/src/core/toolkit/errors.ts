// The toolkit's error classes, named after asyncio's (`err.name === "QueueEmpty"`), and
// Python's exception groups. Browser-safe; both entries export the same classes.

import { CancelledError, KeyboardInterrupt, RuntimeError, SystemExit, ValueError } from '../errors.js';

function named<T extends abstract new (...args: never[]) => Error>(cls: T, name: string): T {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
  return cls;
}

/** `getNowait()` on an empty queue. */
export class QueueEmpty extends Error {}
named(QueueEmpty, 'QueueEmpty');
/** `putNowait()` on a full queue. */
export class QueueFull extends Error {}
named(QueueFull, 'QueueFull');
/** A put (or, after `shutdown(true)` or once drained, a get) on a queue that was shut down. */
export class QueueShutDown extends Error {}
named(QueueShutDown, 'QueueShutDown');
/** A Barrier was reset or aborted while (or before) a task waited on it. */
export class BrokenBarrierError extends RuntimeError {}
named(BrokenBarrierError, 'BrokenBarrierError');

/**
 * Python's BaseExceptionGroup: several errors raised together (a TaskGroup's children). An
 * AggregateError, so JavaScript code that knows AggregateError reads `errors` as usual;
 * `exceptions` is Python's name for the same array.
 */
export class BaseExceptionGroup extends AggregateError {
  constructor(message: string, exceptions: readonly unknown[]) {
    if (typeof message !== 'string') throw new TypeError('BaseExceptionGroup(): message must be a string');
    if (!Array.isArray(exceptions) || exceptions.length === 0) {
      throw new ValueError('second argument (exceptions) must be a non-empty sequence');
    }
    super(exceptions, message);
  }

  /** The errors of the group (Python's name; the same array as `errors`). */
  get exceptions(): unknown[] {
    return this.errors as unknown[];
  }

  override toString(): string {
    const n = this.errors.length;
    return `${this.name}: ${this.message} (${n} sub-exception${n === 1 ? '' : 's'})`;
  }
}
named(BaseExceptionGroup, 'BaseExceptionGroup');

/** An exception group whose members are all Errors (Python's ExceptionGroup). */
export class ExceptionGroup extends BaseExceptionGroup {}
named(ExceptionGroup, 'ExceptionGroup');

/**
 * The group for `errors`, as Python's BaseExceptionGroup constructor chooses: ExceptionGroup
 * when every member is an Error and none is a request to stop (SystemExit, KeyboardInterrupt,
 * CancelledError: Python's BaseExceptions), else BaseExceptionGroup.
 */
export function exceptionGroup(message: string, errors: readonly unknown[]): BaseExceptionGroup {
  const base = errors.some(
    (e) => !(e instanceof Error) || e instanceof CancelledError || e instanceof SystemExit || e instanceof KeyboardInterrupt,
  );
  return base ? new BaseExceptionGroup(message, errors) : new ExceptionGroup(message, errors);
}
