// What only a runtime has, installed by each entry before it is used (`setPlatform`): how values
// are written in messages and reports, and the thread's name. The defaults are browser-safe
// (format.ts); the Node entries install `util.inspect` and the worker's thread name. The logger
// is log.ts's.

import { basicFormatException, basicRepr } from './format.js';

export interface Platform {
  /** A short repr for messages (`got 'x'`, a Future's result): Python's repr, strings quoted. */
  repr(value: unknown): string;
  /** A value of an exception context, as the default exception handler writes it (`key: value`). */
  inspect(value: unknown): string;
  /** The exception of a context, as the default exception handler writes it (with its stack). */
  formatException(exc: unknown): string;
  /** Python's name for this thread (`MainThread`), for the policy's messages. */
  threadName(): string;
}

/** The platform in use; entries change it with `setPlatform`, never by assigning. */
export const platform: Platform = {
  repr: basicRepr,
  inspect: basicRepr,
  formatException: basicFormatException,
  threadName: () => 'MainThread',
};

/** Installs a runtime's functions (those given; the others stay). */
export function setPlatform(functions: Partial<Platform>): void {
  Object.assign(platform, functions);
}

/** `platform.repr(value)`: a short repr for messages. */
export function repr(value: unknown): string {
  return platform.repr(value);
}
