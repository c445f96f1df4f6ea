// The error classes of the package, named after Python's exceptions
// (`err.name === "RuntimeError"`), and the mapping from the bindings' error
// codes to them. Both bindings throw (or pass) plain Errors whose `code` names
// the class, or "<Class>|<CODE>|<errno>|<syscall>" for OS errors.
// Browser-safe: "evloop" and "evloop/sim" export the same classes.

function named<T extends abstract new (...args: never[]) => Error>(cls: T, name: string): T {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
  return cls;
}

export class RuntimeError extends Error {}
named(RuntimeError, 'RuntimeError');
export class ValueError extends Error {}
named(ValueError, 'ValueError');
export class InvalidStateError extends Error {}
named(InvalidStateError, 'InvalidStateError');
export class CancelledError extends Error {}
named(CancelledError, 'CancelledError');
/** Python's NotImplementedError (a RuntimeError): the operation does not exist here. */
export class NotImplementedError extends RuntimeError {}
named(NotImplementedError, 'NotImplementedError');

// The analogues of Python's BaseException subclasses that are not errors of
// the program but requests to end it: thrown by a loop callback (or ending a
// task), they do not go to the exception handler but end runForever(), whose
// promise rejects with them.
/** Thrown by a callback or task, it ends the running loop: `runForever()` rejects with it. */
export class SystemExit extends Error {}
named(SystemExit, 'SystemExit');
/** Like SystemExit: ends the running loop instead of reaching the exception handler. */
export class KeyboardInterrupt extends Error {}
named(KeyboardInterrupt, 'KeyboardInterrupt');

export interface OSErrorOptions {
  code?: string | undefined;
  errno?: number | undefined;
  syscall?: string | undefined;
  cause?: unknown;
}

/** A failed system call: `code` ("EADDRINUSE"), positive `errno`, `syscall` ("bind"). */
export class OSError extends Error {
  code: string | undefined;
  errno: number | undefined;
  syscall: string | undefined;

  constructor(message?: string, options?: OSErrorOptions) {
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw new TypeError(`OSError(): options must be an object, got ${typeof options}`);
    }
    const { code, errno, syscall, cause } = options ?? {};
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}
named(OSError, 'OSError');
export class ConnectionError extends OSError {}
named(ConnectionError, 'ConnectionError');
export class ConnectionRefusedError extends ConnectionError {}
named(ConnectionRefusedError, 'ConnectionRefusedError');
export class ConnectionResetError extends ConnectionError {}
named(ConnectionResetError, 'ConnectionResetError');
export class ConnectionAbortedError extends ConnectionError {}
named(ConnectionAbortedError, 'ConnectionAbortedError');
export class BrokenPipeError extends ConnectionError {}
named(BrokenPipeError, 'BrokenPipeError');
/** Python's TimeoutError, an OSError (ETIMEDOUT); it shadows the DOM's only inside this module. */
export class TimeoutError extends OSError {}
named(TimeoutError, 'TimeoutError');
export class gaierror extends OSError {}
named(gaierror, 'gaierror');
// The OSError subclasses the core names for other errnos (PEP 3151).
export class FileNotFoundError extends OSError {}
named(FileNotFoundError, 'FileNotFoundError');
export class FileExistsError extends OSError {}
named(FileExistsError, 'FileExistsError');
export class PermissionError extends OSError {}
named(PermissionError, 'PermissionError');
export class InterruptedError extends OSError {}
named(InterruptedError, 'InterruptedError');
export class BlockingIOError extends OSError {}
named(BlockingIOError, 'BlockingIOError');
/** ESRCH: no such process (a signal to a child that is gone). */
export class ProcessLookupError extends OSError {}
named(ProcessLookupError, 'ProcessLookupError');
/** ECHILD: the child's status was read by someone else. */
export class ChildProcessError extends OSError {}
named(ChildProcessError, 'ChildProcessError');
export class IsADirectoryError extends OSError {}
named(IsADirectoryError, 'IsADirectoryError');
export class NotADirectoryError extends OSError {}
named(NotADirectoryError, 'NotADirectoryError');

/**
 * asyncio.IncompleteReadError: EOF came before a stream read got what it
 * needed. `partial` holds the bytes read; `expected` the count wanted
 * (null for `readuntil`).
 */
export class IncompleteReadError extends Error {
  /** The bytes read before EOF. */
  partial: Uint8Array;
  /** The bytes wanted; null for `readuntil`. */
  expected: number | null;

  constructor(partial: Uint8Array, expected: number | null | undefined) {
    if (!ArrayBuffer.isView(partial)) {
      throw new TypeError(`IncompleteReadError(): partial must be a Uint8Array, got ${partial === null ? 'null' : typeof partial}`);
    }
    const exp = expected === null || expected === undefined ? 'undefined' : String(expected);
    super(`${partial.length} bytes read on a total of ${exp} expected bytes`);
    this.partial = partial;
    this.expected = expected ?? null;
  }
}
named(IncompleteReadError, 'IncompleteReadError');

/** asyncio.LimitOverrunError: a separator search went past the reader's limit. */
export class LimitOverrunError extends Error {
  /** How many bytes are to be consumed. */
  consumed: number;

  constructor(message: string, consumed: number) {
    super(message);
    this.consumed = consumed;
  }
}
named(LimitOverrunError, 'LimitOverrunError');

/** Options of `new SSLError()`: an OSError's, and `reason` ("CERTIFICATE_VERIFY_FAILED"). */
export interface SSLErrorOptions extends OSErrorOptions {
  reason?: string | undefined;
  verifyCode?: number | undefined;
  verifyMessage?: string | undefined;
}

/** ssl.SSLError: a TLS failure (an OSError with errno 1), with OpenSSL's `reason` code. */
export class SSLError extends OSError {
  reason: string | undefined;

  constructor(message?: string, options?: SSLErrorOptions) {
    super(message, options);
    this.reason = options?.reason;
  }
}
named(SSLError, 'SSLError');

/** ssl.SSLCertVerificationError: the peer's certificate did not verify (`verifyMessage` says why). */
export class SSLCertVerificationError extends SSLError {
  verifyCode: number | undefined;
  verifyMessage: string | undefined;

  constructor(message?: string, options?: SSLErrorOptions) {
    super(message, options);
    this.verifyCode = options?.verifyCode;
    this.verifyMessage = options?.verifyMessage;
  }
}
named(SSLCertVerificationError, 'SSLCertVerificationError');

type ErrorClass = new (message?: string, options?: OSErrorOptions) => Error;

/** The classes a binding's code may name. */
const classes: Record<string, ErrorClass> = {
  RuntimeError, ValueError, InvalidStateError, CancelledError, NotImplementedError,
  TypeError, RangeError,
  OSError, ConnectionError, ConnectionRefusedError, ConnectionResetError, ConnectionAbortedError,
  BrokenPipeError, TimeoutError, gaierror,
  FileNotFoundError, FileExistsError, PermissionError, InterruptedError, BlockingIOError,
  ProcessLookupError, ChildProcessError, IsADirectoryError, NotADirectoryError,
};

/** What a binding passes beside a code, for the stream errors. */
export interface ErrorExtra {
  partial?: Uint8Array;
  expected?: number | null;
  consumed?: number;
  /** ExceptionGroup: its errors (already the package's). */
  errors?: unknown[];
  /** SSL errors. */
  reason?: string;
  verifyCode?: number;
  verifyMessage?: string;
}

/**
 * The package's error for a binding's code string ("ValueError",
 * "ConnectionRefusedError|ECONNREFUSED|111|connect") and message. An unknown
 * class name gives a plain Error.
 */
export function makeError(code: string, message: string, extra?: ErrorExtra): Error {
  const [name = '', ecode, errno, syscall] = String(code).split('|');
  if (name === 'IncompleteReadError') return new IncompleteReadError(extra?.partial ?? new Uint8Array(0), extra?.expected ?? null);
  if (name === 'LimitOverrunError') return new LimitOverrunError(message, extra?.consumed ?? 0);
  // Python's ExceptionGroup (createConnection's allErrors): JS's AggregateError of the errors.
  if (name === 'ExceptionGroup') return new AggregateError(extra?.errors ?? [], message);
  if (name === 'SSLError' || name === 'SSLCertVerificationError') {
    const cls = name === 'SSLError' ? SSLError : SSLCertVerificationError;
    return new cls(message, { errno: 1, reason: extra?.reason ?? (ecode || undefined), verifyCode: extra?.verifyCode, verifyMessage: extra?.verifyMessage });
  }
  const cls = Object.hasOwn(classes, name) ? classes[name] : undefined;
  if (cls === undefined) return new Error(message);
  if (ecode === undefined) return new cls(message);
  return new cls(message, {
    code: ecode || undefined,
    errno: errno ? Number(errno) : undefined,
    syscall: syscall || undefined,
  });
}

/**
 * The package's error for an error thrown (or passed) by a binding, whose
 * `code` names the class; anything else (a JS exception passing through, an
 * error already mapped) is returned unchanged.
 */
export function fromNative(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof OSError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return err;
  const mapped = makeError(code, err.message);
  return mapped.constructor === Error ? err : mapped;
}
