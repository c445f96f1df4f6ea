// How values are written in messages, without any runtime's help: the browser-safe default
// of `platform.repr` (platform.ts; Node installs `util.inspect` instead), and asyncio's
// `cb(arg, ...)` form of a callback.

import { typeName } from './values.js';

/**
 * Node's `util.inspect.custom`, by its registered name: classes define it so that
 * `console.log` shows their repr, without importing `node:util` here.
 */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom') as typeof inspectCustom;

/** A short repr of a value for messages (strings quoted, as Python's repr). */
export function basicRepr(value: unknown): string {
  if (typeof value === 'string') {
    const s = value.length > 60 ? `${value.slice(0, 60)}...` : value;
    return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  }
  if (typeof value === 'function') return `[Function: ${value.name || '(anonymous)'}]`;
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) {
    const items = value.slice(0, 5).map((v: unknown) => (v !== null && typeof v === 'object' ? typeName(v) : basicRepr(v)));
    if (value.length > 5) items.push(`... ${value.length - 5} more items`);
    return `[ ${items.join(', ')} ]`;
  }
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  const toString = (value as { toString?: unknown }).toString;
  if (typeof toString === 'function' && toString !== Object.prototype.toString) {
    try {
      return String(toString.call(value));
    } catch {
      /* fall through to the type's name */
    }
  }
  return typeName(value);
}

/** An error as the default exception handler writes it: its stack when it has one. */
export function basicFormatException(exc: unknown): string {
  return exc instanceof Error && exc.stack ? exc.stack : basicRepr(exc);
}

/** `name(arg, ...)` for reports, as asyncio formats a callback and its arguments. */
export function formatCallback(func: unknown, args: readonly unknown[] | null | undefined, repr: (value: unknown) => string): string {
  if (typeof func !== 'function') return '<unknown>()';
  const name = (func as { name?: string }).name || '<anonymous>';
  const list = Array.isArray(args) ? args.map((a: unknown) => repr(a)).join(', ') : '';
  return `${name}(${list})`;
}

/**
 * The browser-safe repr itself, whatever the platform installed: for output that must not
 * depend on the runtime (a simulation's traces). Messages use platform.ts's `repr`.
 */
export const repr: (value: unknown) => string = basicRepr;
