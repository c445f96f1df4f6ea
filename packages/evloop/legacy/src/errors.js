// The error classes of the package, named after Python's exceptions
// (`err.name === "RuntimeError"`), and the mapping from the native module's
// errors to them. The native module throws plain Errors whose `code` names
// the class, or "<Class>|<CODE>|<errno>|<syscall>" for OS errors.
// "evloop/sim" (sim/index.js) re-exports this module in browsers too: keep it
// free of imports (no Node modules, no native addon).

function named(cls, name) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
  return cls;
}

export const RuntimeError = named(class RuntimeError extends Error {}, 'RuntimeError');
export const ValueError = named(class ValueError extends Error {}, 'ValueError');
export const InvalidStateError = named(class InvalidStateError extends Error {}, 'InvalidStateError');
export const CancelledError = named(class CancelledError extends Error {}, 'CancelledError');
/** Python's NotImplementedError: the operation does not exist here (ProactorEventLoop off Windows). */
export const NotImplementedError = named(class NotImplementedError extends RuntimeError {}, 'NotImplementedError');

// The analogues of Python's BaseException subclasses that are not errors of
// the program but requests to end it: thrown by a loop callback (or ending a
// task), they do not go to the exception handler but end runForever(), whose
// promise rejects with them (reference §2.2, L-25/L-36).
/** Thrown by a callback or task, it ends the running loop: `runForever()` rejects with it. */
export const SystemExit = named(class SystemExit extends Error {}, 'SystemExit');
/** Like SystemExit: ends the running loop instead of reaching the exception handler. */
export const KeyboardInterrupt = named(class KeyboardInterrupt extends Error {}, 'KeyboardInterrupt');

/** A failed system call: `code` ("EADDRINUSE"), positive `errno`, `syscall` ("bind"). */
export const OSError = named(
  class OSError extends Error {
    constructor(message, options = undefined) {
      if (options !== undefined && options !== null && typeof options !== 'object') {
        throw new TypeError(`OSError(): options must be an object, got ${typeof options}`);
      }
      const { code, errno, syscall, cause } = options ?? {};
      super(message, cause === undefined ? undefined : { cause });
      this.code = code;
      this.errno = errno;
      this.syscall = syscall;
    }
  },
  'OSError',
);
export const ConnectionError = named(class ConnectionError extends OSError {}, 'ConnectionError');
export const ConnectionRefusedError = named(class ConnectionRefusedError extends ConnectionError {}, 'ConnectionRefusedError');
export const ConnectionResetError = named(class ConnectionResetError extends ConnectionError {}, 'ConnectionResetError');
export const ConnectionAbortedError = named(class ConnectionAbortedError extends ConnectionError {}, 'ConnectionAbortedError');
export const BrokenPipeError = named(class BrokenPipeError extends ConnectionError {}, 'BrokenPipeError');
// As in Python, TimeoutError is an OSError (ETIMEDOUT); it shadows the DOM's only inside this module.
export const TimeoutError = named(class TimeoutError extends OSError {}, 'TimeoutError');
export const gaierror = named(class gaierror extends OSError {}, 'gaierror');

const classes = {
  RuntimeError, ValueError, InvalidStateError, CancelledError, NotImplementedError,
  TypeError, RangeError,
  OSError, ConnectionError, ConnectionRefusedError, ConnectionResetError, ConnectionAbortedError,
  BrokenPipeError, TimeoutError, gaierror,
};

/**
 * The package's error for an error thrown (or passed) by the native module;
 * anything else (a JS exception passing through) is returned unchanged.
 */
export function fromNative(err) {
  if (!(err instanceof Error) || typeof err.code !== 'string') return err;
  const [name, code, errno, syscall] = err.code.split('|');
  const cls = classes[name];
  if (cls === undefined) return err;
  if (code !== undefined) {
    return new cls(err.message, { code: code || undefined, errno: Number(errno), syscall: syscall || undefined });
  }
  return new cls(err.message);
}

// ----- appended for networking and streams (net.js) -----
// The OSError subclasses the core names for other errnos (PEP 3151), and
// the two stream errors. `fromNative` maps the OSError ones too.

export const FileNotFoundError = named(class FileNotFoundError extends OSError {}, 'FileNotFoundError');
export const FileExistsError = named(class FileExistsError extends OSError {}, 'FileExistsError');
export const PermissionError = named(class PermissionError extends OSError {}, 'PermissionError');
export const InterruptedError = named(class InterruptedError extends OSError {}, 'InterruptedError');
export const BlockingIOError = named(class BlockingIOError extends OSError {}, 'BlockingIOError');
Object.assign(classes, { FileNotFoundError, FileExistsError, PermissionError, InterruptedError, BlockingIOError });

/**
 * asyncio.IncompleteReadError: EOF came before a stream read got what it
 * needed. `partial` holds the bytes read; `expected` the count wanted
 * (null for `readuntil`).
 */
export const IncompleteReadError = named(
  class IncompleteReadError extends Error {
    constructor(partial, expected) {
      if (!ArrayBuffer.isView(partial)) {
        throw new TypeError(`IncompleteReadError(): partial must be a Uint8Array, got ${partial === null ? 'null' : typeof partial}`);
      }
      const exp = expected === null || expected === undefined ? 'undefined' : String(expected);
      super(`${partial.length} bytes read on a total of ${exp} expected bytes`);
      this.partial = partial;
      this.expected = expected ?? null;
    }
  },
  'IncompleteReadError',
);

/** asyncio.LimitOverrunError: a separator search went past the reader's limit. */
export const LimitOverrunError = named(
  class LimitOverrunError extends Error {
    constructor(message, consumed) {
      super(message);
      this.consumed = consumed;
    }
  },
  'LimitOverrunError',
);
