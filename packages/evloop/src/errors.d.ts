export declare class RuntimeError extends Error {}
export declare class ValueError extends Error {}
export declare class InvalidStateError extends Error {}
export declare class CancelledError extends Error {}
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
