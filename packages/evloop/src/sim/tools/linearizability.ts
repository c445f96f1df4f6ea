// A linearizability checker for recorded histories (Wing & Gong's search with
// Lowe's memoisation, the approach Porcupine takes): walk the history's call
// and return events in time order; at a call, try to take the operation's
// effect now (its linearization point) if the model allows its output from the
// current state; at a return whose operation has not taken effect yet, undo the
// last choice and try the next call instead. A cache of (set of operations
// already linearized, model state) prunes the search: two paths reaching the
// same set with the same state have the same future. Browser-safe.
import { canonical, registerModel } from './register-model.js';

export { registerModel } from './register-model.js';

/** A recorded operation: `return` null (or absent) when it never returned. */
export interface Operation<I = unknown, O = unknown> {
  client?: string | number;
  op: string;
  input: I;
  output: O;
  call: number;
  return?: number | null;
}

/** A sequential specification. `step` gets `output: undefined` for a pending operation. */
export interface Model<S = unknown> {
  name?: string;
  init(): S;
  step(state: S, op: Operation): { ok: boolean; state: S };
  /** A string equal for equal states (default: canonical JSON). */
  key?(state: S): string;
  describe?(op: Operation): string;
}

export type LinearizabilityResult =
  | { ok: true; linearization: Operation[] }
  | { ok: false; counterexample: { prefix: Operation[]; state: unknown; unplaced: Operation[] } };

/** Operations that have not returned (a crash, a timeout) have no `return`. */
export function isPending(op: Operation): boolean {
  return op.return === null || op.return === undefined || op.return === Infinity;
}

function checkHistory(history: unknown): asserts history is Operation[] {
  if (!Array.isArray(history)) throw new TypeError('checkLinearizable(): history must be an array of operations');
  history.forEach((op: unknown, i) => {
    if (op === null || typeof op !== 'object') throw new TypeError(`checkLinearizable(): history[${i}] must be an operation object`);
    const o = op as Operation;
    if (typeof o.call !== 'number' || Number.isNaN(o.call)) throw new TypeError(`checkLinearizable(): history[${i}].call must be a time`);
    if (!isPending(o) && !(typeof o.return === 'number' && o.return >= o.call)) {
      throw new TypeError(`checkLinearizable(): history[${i}].return must be a time >= call, or null for a pending operation`);
    }
  });
}

/** A fixed-size set of operation indices, keyed as a string for the cache. */
class Bits {
  readonly #words: Uint32Array;
  constructor(n: number) {
    this.#words = new Uint32Array(Math.ceil(n / 32) || 1);
  }
  set(i: number): void {
    this.#words[i >>> 5]! |= 1 << (i & 31);
  }
  clear(i: number): void {
    this.#words[i >>> 5]! &= ~(1 << (i & 31));
  }
  key(): string {
    return this.#words.join(',');
  }
}

/** A call or a return of operation `id`, linked in time order. */
interface Event {
  id: number;
  isCall: boolean;
  time: number;
  prev: Event | Head;
  next: Event | null;
}

/** The list's head: a sentinel before the first event. */
interface Head {
  next: Event | null;
}

/**
 * Events in time order: calls and returns of the operations, as a doubly
 * linked list so that a linearized operation's two events can be unlinked and
 * put back in O(1). At equal times a call comes before a return: touching
 * intervals count as concurrent, the lenient reading of a clock's resolution.
 */
function eventList(ops: Operation[]): { head: Head; returnOf: Event[] } {
  const head: Head = { next: null };
  const events: Event[] = [];
  ops.forEach((op, id) => {
    events.push({ id, isCall: true, time: op.call, prev: head, next: null });
    events.push({ id, isCall: false, time: isPending(op) ? Infinity : (op.return as number), prev: head, next: null });
  });
  events.sort((x, y) => x.time - y.time || Number(!x.isCall) - Number(!y.isCall) || x.id - y.id);
  let prev: Event | Head = head;
  const returnOf = new Array<Event>(ops.length);
  for (const e of events) {
    e.prev = prev;
    e.next = null;
    prev.next = e;
    prev = e;
    if (!e.isCall) returnOf[e.id] = e;
  }
  return { head, returnOf };
}

function unlink(e: Event): void {
  e.prev.next = e.next;
  if (e.next !== null) e.next.prev = e.prev;
}

function relink(e: Event): void {
  e.prev.next = e;
  if (e.next !== null) e.next.prev = e;
}

/**
 * Whether `history` is linearizable under `model` (default: a register).
 * history: `[{ client, op, input, output, call, return }]`, times in any unit;
 * `return: null` for an operation that never returned (it may or may not have
 * taken effect, and its output is unknown).
 * Result: `{ ok: true, linearization }` (the operations in an order that
 * explains every output), or `{ ok: false, counterexample }` where
 * `counterexample` holds the longest prefix the search could explain, the
 * state after it and the completed operations it could not place.
 */
export function checkLinearizable(history: Operation[], model: Model = registerModel(), options: { maxSteps?: number } = {}): LinearizabilityResult {
  checkHistory(history);
  const m: unknown = model;
  if (m === null || typeof m !== 'object' || typeof model.init !== 'function' || typeof model.step !== 'function') {
    throw new TypeError('checkLinearizable(): model must be { init(), step(state, op), key?(state) }');
  }
  const maxSteps = options.maxSteps ?? Infinity;
  const key = typeof model.key === 'function' ? (s: unknown) => (model.key as (s: unknown) => string)(s) : canonical;
  const ops = history.map((op) => (isPending(op) ? { ...op, output: undefined } : op));
  const required = ops.filter((op) => !isPending(op)).length;
  const { head, returnOf } = eventList(ops);
  const linearized = new Bits(ops.length);
  const cache = new Set<string>();
  /** The choices made: the call event linearized and the state before it. */
  const stack: { call: Event; state: unknown }[] = [];
  let state = model.init();
  let done = 0;
  let best: { ids: number[]; state: unknown } = { ids: [], state };
  let steps = 0;
  let entry = head.next;

  for (;;) {
    if (done === required) {
      return { ok: true, linearization: stack.map((s) => history[s.call.id] as Operation) };
    }
    if (++steps > maxSteps) {
      throw new RangeError(`checkLinearizable(): gave up after ${maxSteps} steps (options.maxSteps)`);
    }
    if (entry !== null && entry.isCall) {
      const op = ops[entry.id] as Operation;
      const next = model.step(state, op);
      if (next.ok) {
        linearized.set(entry.id);
        const k = `${linearized.key()}|${key(next.state)}`;
        if (!cache.has(k)) {
          cache.add(k);
          stack.push({ call: entry, state });
          state = next.state;
          if (!isPending(op)) done += 1;
          unlink(entry);
          unlink(returnOf[entry.id] as Event);
          if (stack.length > best.ids.length) best = { ids: stack.map((s) => s.call.id), state };
          entry = head.next;
          continue;
        }
        linearized.clear(entry.id);
      }
      entry = entry.next;
      continue;
    }
    // A return (or the end) reached with its operation not yet placed: undo the last choice.
    const last = stack.pop();
    if (last === undefined) break;
    relink(returnOf[last.call.id] as Event);
    relink(last.call);
    linearized.clear(last.call.id);
    state = last.state;
    if (!isPending(ops[last.call.id] as Operation)) done -= 1;
    entry = last.call.next;
  }

  const placed = new Set(best.ids);
  const unplaced = history.filter((op, i) => !placed.has(i) && !isPending(op));
  unplaced.sort((x, y) => (x.return as number) - (y.return as number));
  return {
    ok: false,
    counterexample: { prefix: best.ids.map((i) => history[i] as Operation), state: best.state, unplaced },
  };
}

/** A few lines explaining a failed check, with the model's `describe` when it has one. */
export function describeCounterexample(result: LinearizabilityResult, model: Model = registerModel()): string {
  if (result.ok) return 'linearizable';
  const fmt = (op: Operation): string => {
    const what = typeof model.describe === 'function' ? model.describe(op) : `${op.op}(${JSON.stringify(op.input)}) -> ${JSON.stringify(op.output)}`;
    const end = isPending(op) ? '...' : op.return;
    return `${op.client ?? '?'}: ${what} [${op.call}, ${end}]`;
  };
  const c = result.counterexample;
  return [
    'not linearizable',
    `  explained prefix (${c.prefix.length} operations):`,
    ...c.prefix.map((op) => `    ${fmt(op)}`),
    `  state then: ${JSON.stringify(c.state)}`,
    '  could not place next:',
    ...c.unplaced.slice(0, 3).map((op) => `    ${fmt(op)}`),
  ].join('\n');
}
