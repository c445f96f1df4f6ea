// A linearizability checker for recorded histories (Wing & Gong's search with
// Lowe's memoisation, the approach Porcupine takes): walk the history's call
// and return events in time order; at a call, try to take the operation's
// effect now (its linearization point) if the model allows its output from the
// current state; at a return whose operation has not taken effect yet, undo the
// last choice and try the next call instead. A cache of (set of operations
// already linearized, model state) prunes the search: two paths reaching the
// same set with the same state have the same future. Browser-safe.

/** Operations that have not returned (a crash, a timeout) have no `return`. */
function isPending(op) {
  return op.return === null || op.return === undefined || op.return === Infinity;
}

/** Canonical JSON, to compare and cache states and values whatever their key order. */
function canonical(value) {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
}

/**
 * A register: `write` (input: the value), `read` (output: the value read) and,
 * with `cas: true`, `cas` (input: `[expected, next]`, output: whether it
 * swapped). `initial` is the value before any write (default null). A pending
 * operation (no output) may take effect or not.
 */
export function registerModel(options = {}) {
  const cas = options.cas ?? false;
  const initial = options.initial ?? null;
  return {
    name: cas ? 'cas-register' : 'register',
    init: () => initial,
    step(state, op) {
      switch (op.op) {
        case 'write':
          return { ok: true, state: op.input };
        case 'read':
          return { ok: op.output === undefined || canonical(op.output) === canonical(state), state };
        case 'cas': {
          if (!cas) return { ok: false, state };
          if (!Array.isArray(op.input) || op.input.length !== 2) throw new TypeError('registerModel: cas input must be [expected, next]');
          const swaps = canonical(op.input[0]) === canonical(state);
          if (op.output !== undefined && op.output !== swaps) return { ok: false, state };
          return { ok: true, state: swaps ? op.input[1] : state };
        }
        default:
          throw new TypeError(`registerModel: unknown operation ${JSON.stringify(op.op)}`);
      }
    },
    key: canonical,
    describe(op) {
      const out = op.output === undefined ? '?' : JSON.stringify(op.output);
      if (op.op === 'write') return `write(${JSON.stringify(op.input)})`;
      if (op.op === 'read') return `read() -> ${out}`;
      return `cas(${JSON.stringify(op.input?.[0])}, ${JSON.stringify(op.input?.[1])}) -> ${out}`;
    },
  };
}

function checkHistory(history) {
  if (!Array.isArray(history)) throw new TypeError('checkLinearizable(): history must be an array of operations');
  history.forEach((op, i) => {
    if (op === null || typeof op !== 'object') throw new TypeError(`checkLinearizable(): history[${i}] must be an operation object`);
    if (typeof op.call !== 'number' || Number.isNaN(op.call)) throw new TypeError(`checkLinearizable(): history[${i}].call must be a time`);
    if (!isPending(op) && !(typeof op.return === 'number' && op.return >= op.call)) {
      throw new TypeError(`checkLinearizable(): history[${i}].return must be a time >= call, or null for a pending operation`);
    }
  });
}

/** A fixed-size set of operation indices, keyed as a string for the cache. */
class Bits {
  constructor(n) {
    this.words = new Uint32Array(Math.ceil(n / 32) || 1);
  }
  set(i) {
    this.words[i >>> 5] |= 1 << (i & 31);
  }
  clear(i) {
    this.words[i >>> 5] &= ~(1 << (i & 31));
  }
  key() {
    return this.words.join(',');
  }
}

/**
 * Events in time order: calls and returns of the operations, as a doubly
 * linked list so that a linearized operation's two events can be unlinked and
 * put back in O(1). At equal times a call comes before a return: touching
 * intervals count as concurrent, the lenient reading of a clock's resolution.
 */
function eventList(ops) {
  const events = [];
  ops.forEach((op, id) => {
    events.push({ id, isCall: true, time: op.call });
    events.push({ id, isCall: false, time: isPending(op) ? Infinity : op.return });
  });
  events.sort((x, y) => x.time - y.time || Number(!x.isCall) - Number(!y.isCall) || x.id - y.id);
  const head = { next: null, prev: null };
  let prev = head;
  const returnOf = new Array(ops.length);
  for (const e of events) {
    e.prev = prev;
    e.next = null;
    prev.next = e;
    prev = e;
    if (!e.isCall) returnOf[e.id] = e;
  }
  return { head, returnOf };
}

function unlink(e) {
  e.prev.next = e.next;
  if (e.next !== null) e.next.prev = e.prev;
}

function relink(e) {
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
export function checkLinearizable(history, model = registerModel(), options = {}) {
  checkHistory(history);
  if (model === null || typeof model !== 'object' || typeof model.init !== 'function' || typeof model.step !== 'function') {
    throw new TypeError('checkLinearizable(): model must be { init(), step(state, op), key?(state) }');
  }
  const maxSteps = options.maxSteps ?? Infinity;
  const key = typeof model.key === 'function' ? model.key : canonical;
  const ops = history.map((op) => (isPending(op) ? { ...op, output: undefined } : op));
  const required = ops.filter((op) => !isPending(op)).length;
  const { head, returnOf } = eventList(ops);
  const linearized = new Bits(ops.length);
  const cache = new Set();
  /** The choices made: the call event linearized and the state before it. */
  const stack = [];
  let state = model.init();
  let done = 0;
  let best = { ids: [], state };
  let steps = 0;
  let entry = head.next;

  for (;;) {
    if (done === required) {
      return { ok: true, linearization: stack.map((s) => history[s.call.id]) };
    }
    if (++steps > maxSteps) {
      throw new RangeError(`checkLinearizable(): gave up after ${maxSteps} steps (options.maxSteps)`);
    }
    if (entry !== null && entry.isCall) {
      const op = ops[entry.id];
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
          unlink(returnOf[entry.id]);
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
    if (stack.length === 0) break;
    const last = stack.pop();
    relink(returnOf[last.call.id]);
    relink(last.call);
    linearized.clear(last.call.id);
    state = last.state;
    if (!isPending(ops[last.call.id])) done -= 1;
    entry = last.call.next;
  }

  const placed = new Set(best.ids);
  const unplaced = history.filter((op, i) => !placed.has(i) && !isPending(op));
  unplaced.sort((x, y) => x.return - y.return);
  return {
    ok: false,
    counterexample: { prefix: best.ids.map((i) => history[i]), state: best.state, unplaced },
  };
}

/** A few lines explaining a failed check, with the model's `describe` when it has one. */
export function describeCounterexample(result, model = registerModel()) {
  if (result.ok) return 'linearizable';
  const fmt = (op) => {
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
