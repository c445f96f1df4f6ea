// The error classes of the package, named after Python's exceptions
// (`err.name === "RuntimeError"`), and the mapping from the native module's
// errors to them. The native module throws plain Errors whose `code` names
// the class, or "<Class>|<CODE>|<errno>|<syscall>" for OS errors.

function named(cls, name) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
  return cls;
}

export const RuntimeError = named(class RuntimeError extends Error {}, 'RuntimeError');
export const ValueError = named(class ValueError extends Error {}, 'ValueError');
export const InvalidStateError = named(class InvalidStateError extends Error {}, 'InvalidStateError');
export const CancelledError = named(class CancelledError extends Error {}, 'CancelledError');

/** A failed system call: `code` ("EADDRINUSE"), positive `errno`, `syscall` ("bind"). */
export const OSError = named(
  class OSError extends Error {
    constructor(message, { code, errno, syscall, cause } = {}) {
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
  RuntimeError, ValueError, InvalidStateError, CancelledError,
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
