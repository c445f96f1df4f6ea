// The register, the sequential specification most histories are checked
// against (linearizability.ts), and the canonical JSON both compare with.
// Browser-safe.
import type { Model, Operation } from './linearizability.js';

/** Canonical JSON, to compare and cache states and values whatever their key order. */
export function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`;
}

/**
 * A register: `write` (input: the value), `read` (output: the value read) and,
 * with `cas: true`, `cas` (input: `[expected, next]`, output: whether it
 * swapped). `initial` is the value before any write (default null). A pending
 * operation (no output) may take effect or not.
 */
export function registerModel(options: { cas?: boolean; initial?: unknown } = {}): Model {
  const cas = options.cas ?? false;
  const initial = options.initial ?? null;
  return {
    name: cas ? 'cas-register' : 'register',
    init: () => initial,
    step(state: unknown, op: Operation) {
      switch (op.op) {
        case 'write':
          return { ok: true, state: op.input };
        case 'read':
          return { ok: op.output === undefined || canonical(op.output) === canonical(state), state };
        case 'cas': {
          if (!cas) return { ok: false, state };
          const input = op.input;
          if (!Array.isArray(input) || input.length !== 2) throw new TypeError('registerModel: cas input must be [expected, next]');
          const swaps = canonical(input[0]) === canonical(state);
          if (op.output !== undefined && op.output !== swaps) return { ok: false, state };
          return { ok: true, state: swaps ? input[1] : state };
        }
        default:
          throw new TypeError(`registerModel: unknown operation ${JSON.stringify(op.op)}`);
      }
    },
    key: canonical,
    describe(op: Operation) {
      const out = op.output === undefined ? '?' : JSON.stringify(op.output);
      if (op.op === 'write') return `write(${JSON.stringify(op.input)})`;
      if (op.op === 'read') return `read() -> ${out}`;
      const input = Array.isArray(op.input) ? op.input : [];
      return `cas(${JSON.stringify(input[0])}, ${JSON.stringify(input[1])}) -> ${out}`;
    },
  };
}
