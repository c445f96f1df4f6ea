export declare class RuntimeError extends Error {}
export declare class ValueError extends Error {}
export declare class InvalidStateError extends Error {}
export declare class CancelledError extends Error {}
/** Python's NotImplementedError (a RuntimeError): the operation does not exist on this platform. */
export declare class NotImplementedError extends RuntimeError {}
/**
 * Thrown by a loop callback or ending a task, it does not reach the exception
 * handler: it ends the running loop, and `runForever()` rejects with it
 * (Python's SystemExit, a BaseException).
 */
export declare class SystemExit extends Error {}
/** Like SystemExit: ends the running loop instead of reaching the exception handler. */
export declare class KeyboardInterrupt extends Error {}
export interface OSErrorOptions {
  code?: string;
  errno?: number;
  syscall?: string;
  cause?: unknown;
}
/** A failed system call: `code` ("EADDRINUSE"), positive `errno`, `syscall` ("bind"). */
export declare class OSError extends Error {
  constructor(message?: string, options?: OSErrorOptions);
  code: string | undefined;
  errno: number | undefined;
  syscall: string | undefined;
}
export declare class ConnectionError extends OSError {}
export declare class ConnectionRefusedError extends ConnectionError {}
export declare class ConnectionResetError extends ConnectionError {}
export declare class ConnectionAbortedError extends ConnectionError {}
export declare class BrokenPipeError extends ConnectionError {}
/** Python's TimeoutError, an OSError (ETIMEDOUT). */
export declare class TimeoutError extends OSError {}
export declare class gaierror extends OSError {}
/** Maps an error from the native module to the package's class. */
export declare function fromNative(err: unknown): unknown;

// ----- appended for networking and streams -----
export declare class FileNotFoundError extends OSError {}
export declare class FileExistsError extends OSError {}
export declare class PermissionError extends OSError {}
export declare class InterruptedError extends OSError {}
export declare class BlockingIOError extends OSError {}
/** EOF came before a stream read got what it needed (asyncio.IncompleteReadError). */
export declare class IncompleteReadError extends Error {
  constructor(partial: Uint8Array, expected: number | null);
  /** The bytes read before EOF. */
  partial: Uint8Array;
  /** The bytes wanted; null for `readuntil`. */
  expected: number | null;
}
/** A separator search went past the reader's limit (asyncio.LimitOverrunError). */
export declare class LimitOverrunError extends Error {
  constructor(message: string, consumed: number);
  /** How many bytes are to be consumed. */
  consumed: number;
}
