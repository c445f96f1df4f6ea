// Helpers shared by the modules of "evloop/sim"; not exported by the package.
// Browser-safe: no Node modules.

import { typeName } from '../src/values.js';

export { isCoroutineFunction, isFatal, isThenable, typeName } from '../src/values.js';

/** A short repr of a value for messages (strings quoted, as Python's repr). */
export function repr(value) {
  if (typeof value === 'string') {
    const s = value.length > 60 ? `${value.slice(0, 60)}...` : value;
    return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  }
  if (typeof value === 'function') return `[Function: ${value.name || '(anonymous)'}]`;
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) {
    const items = value.slice(0, 5).map((v) => (v !== null && typeof v === 'object' ? typeName(v) : repr(v)));
    if (value.length > 5) items.push(`... ${value.length - 5} more items`);
    return `[ ${items.join(', ')} ]`;
  }
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value.toString === 'function' && value.toString !== Object.prototype.toString) {
    try {
      return String(value.toString());
    } catch {
      /* fall through */
    }
  }
  return typeName(value);
}

/** A host name or an array of host names, as an array (a copy); undefined for anything else. */
export function hostGroup(value) {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((g) => typeof g === 'string')) return [...value];
  return undefined;
}

/** A latency, seconds or `[min, max]`, as `[min, max]`; undefined for anything else. */
export function latencyPair(value) {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((x) => typeof x === 'number')) return [value[0], value[1]];
  return undefined;
}

/** `name(arg, ...)` for reports, as asyncio formats a callback and its arguments. */
export function formatCallback(func, args) {
  if (typeof func !== 'function') return '<unknown>()';
  const name = func.name || '<anonymous>';
  const list = Array.isArray(args) ? args.map((a) => repr(a)).join(', ') : '';
  return `${name}(${list})`;
}

/**
 * Work done for a simulation by JavaScript: every call that schedules
 * something (a callback, a write, a completed future, a fault) bumps it.
 * The driver lets promise continuations run after a step until a number
 * of microtask turns in a row did none (simulation.js, `#settle`).
 */
export const activity = { count: 0 };

export function touch() {
  activity.count += 1;
}

/**
 * Accessors into private state, filled in by the classes' static blocks,
 * so the modules reach each other's internals without making them public.
 */
export const internal = {
  /** The pending tasks of a host. */
  tasksOf: /** @type {(host: object) => Set<object> | undefined} */ (null),
  /** Ends the host's current iteration with a fatal error. */
  raiseFatal: /** @type {(host: object, exc: unknown) => void} */ (null),
  /** The native loop of a host's current life. */
  nativeOf: /** @type {(host: object) => any} */ (null),
  /** The running host (getRunningLoop), or null. */
  runningHost: /** @type {() => object | null} */ (null),
  /** Whether a value is a host of a simulation. */
  isHost: /** @type {(value: unknown) => boolean} */ (null),
};
