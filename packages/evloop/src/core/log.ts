// The logger warnings and reports go to: the default exception handler's output, slow-callback
// reports in debug mode, "socket.send() raised exception.", errors that escaped a handler.
// Replaceable by users (`setLogger()`, exported by every entry); the default writes to the
// console, looked up at each call so that a replaced `console.error` is honoured.

/** Where the package writes what asyncio logs: `error` for reports, `warn` for warnings. */
export interface Logger {
  error(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
}

/** Writes to the console (stderr in Node). */
export const consoleLogger: Logger = Object.freeze({
  error(message: string, ...details: unknown[]): void {
    console.error(message, ...details);
  },
  warn(message: string, ...details: unknown[]): void {
    console.warn(message, ...details);
  },
});

let current: Logger = consoleLogger;

/** The logger in use. */
export function getLogger(): Logger {
  return current;
}

/** Replaces the logger (`null` restores the console). TypeError for anything without `error` and `warn`. */
export function setLogger(logger: Logger | null): void {
  if (logger === null) {
    current = consoleLogger;
    return;
  }
  if (
    typeof logger !== 'object' ||
    typeof (logger as Partial<Logger>).error !== 'function' ||
    typeof (logger as Partial<Logger>).warn !== 'function'
  ) {
    throw new TypeError('setLogger(): logger must be an object with error() and warn() methods, or null');
  }
  current = logger;
}

/** Logs without ever throwing (a logger that fails has nowhere to report to). */
export function logError(message: string, ...details: unknown[]): void {
  try {
    current.error(message, ...details);
  } catch {
    /* nowhere to report */
  }
}

/** As `logError`, for warnings. */
export function logWarning(message: string, ...details: unknown[]): void {
  try {
    current.warn(message, ...details);
  } catch {
    /* nowhere to report */
  }
}

/** A binding's log record (`setLogHook` of the addon and the wasm module): the core's `log::warn!`/`error!`. */
export function logRecord(level: string, message: string): void {
  if (level === 'error') logError(message);
  else logWarning(message);
}
