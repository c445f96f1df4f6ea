// Node's async context for the loop's callbacks (core/platform.ts's AsyncContextHook): a
// callback keeps the context it was scheduled in, as asyncio copies `contextvars` per callback.
//
// A context is an AsyncResource made with requireManualDestroy (AsyncLocalStorage.snapshot()
// costs tens of µs in Node 20; no destroy hook runs for ours). Making one per callback is most
// of what callSoon costs, and a million of them scheduled at once are a million objects for the
// collector (docs/tasks.md, "Cost"). So one is made per *context*, not per callback, where Node
// keeps AsyncLocalStorage stores as properties of the current async resource (Node 20-23):
//
// - the context is cached with the resource current when it was made (executionAsyncResource())
//   and the values of that resource's own symbol properties (where the stores live). While the
//   same resource is current with the same values, capturing again returns the cached context:
//   a loop scheduling many callbacks, or a callback scheduling the next one from inside the
//   context it runs in, makes none.
// - `enterWith`/`run` change those values, so they make a new one. A store that appears on the
//   resource without a value changing (an AsyncLocalStorage enabled since) is seen through a
//   generation count bumped by every enabling.
// - a shared context could be changed by a callback running in it (`enterWith` sets the store on
//   the current resource, which is the context): before each run its values are put back to
//   what they were when it was captured, so every callback sees the context of its scheduling.
//
// Where stores do not live on resources (Node's AsyncContextFrame), every capture is a new
// AsyncResource, as before.

import { AsyncLocalStorage, AsyncResource, executionAsyncResource } from 'node:async_hooks';
import type { AsyncContextHook, ContextStore } from '../core/platform.js';

/** The description Node gives the symbol under which an AsyncLocalStorage keeps its store. */
const STORE = 'kResourceStore';

/** A captured context: the resource callbacks run in, and its stores when it was first shared. */
class Captured {
  /** Its store symbols and their values, taken when it is first shared (null: not shared yet). */
  symbols: symbol[] | null = null;
  values: unknown[] = [];
  constructor(
    readonly resource: AsyncResource,
    readonly generation: number,
  ) {}
}

/** Bumped by every AsyncLocalStorage enabling (patched below). */
let generation = 0;

/** Whether stores live on async resources, probed on the first capture (null: not yet). */
let storesOnResources: boolean | null = null;

type Enable = (this: AsyncLocalStorage<unknown>) => void;
const proto = AsyncLocalStorage.prototype as unknown as { _enable?: Enable };
const enable = proto._enable;
if (typeof enable === 'function') {
  // Node's own (undocumented) method that every first run/enterWith of a storage calls.
  proto._enable = function (this: AsyncLocalStorage<unknown>): void {
    generation += 1;
    enable.call(this);
  };
}

/** Whether a store set with enterWith shows as an own symbol property of the current resource. */
function probe(): boolean {
  if (typeof enable !== 'function') return false;
  const storage = new AsyncLocalStorage<object>();
  const mark = {};
  const r = new AsyncResource('evloop.probe', { requireManualDestroy: true });
  const found = r.runInAsyncScope(() => {
    storage.enterWith(mark);
    const own = r as unknown as Record<symbol, unknown>;
    return Object.getOwnPropertySymbols(r).some((s) => own[s] === mark && s.description === STORE);
  });
  storage.disable();
  return found;
}

function storeSymbols(o: object): symbol[] {
  return Object.getOwnPropertySymbols(o).filter((s) => s.description === STORE);
}

/** The resource the last context was made under, and that context. */
let cachedFor: object | null = null;
let cached: Captured | null = null;

/** Whether `current` still holds the stores `c` was made with (so `c` is the context now). */
function sameStores(current: object, c: Captured): boolean {
  if (c.generation !== generation) return false;
  if (c.symbols === null) {
    // First reuse: take its stores now (a callback running in it may have changed them since,
    // and then they differ from the current resource's and it is not reused).
    const own = c.resource as unknown as Record<symbol, unknown>;
    c.symbols = storeSymbols(c.resource);
    c.values = c.symbols.map((s) => own[s]);
  }
  const cur = current as Record<symbol, unknown>;
  const { symbols, values } = c;
  for (let i = 0; i < symbols.length; i++) if (cur[symbols[i]] !== values[i]) return false;
  return true;
}

/** Marks our resources with their Captured, so a callback scheduling from inside one reuses it. */
const kCaptured = Symbol('evloop.captured');

function capture(): Captured {
  storesOnResources ??= probe();
  if (!storesOnResources) return new Captured(new AsyncResource('evloop.callback', { requireManualDestroy: true }), generation);
  const current = executionAsyncResource() as Record<symbol, unknown>;
  // Scheduled from a callback running in a context of ours (one iteration scheduling the next).
  const running = current[kCaptured] as Captured | undefined;
  if (running !== undefined && sameStores(current, running)) return running;
  // Scheduled again from where the last one was (a loop scheduling many callbacks).
  if (current === cachedFor && cached !== null && sameStores(current, cached)) return cached;
  const resource = new AsyncResource('evloop.callback', { requireManualDestroy: true });
  const c = new Captured(resource, generation);
  (resource as unknown as Record<symbol, unknown>)[kCaptured] = c;
  cachedFor = current;
  cached = c;
  return c;
}

/** Puts a shared context's stores back as they were when it was shared (a callback may have changed them). */
function restore(c: Captured): void {
  const { symbols, values } = c;
  if (symbols === null) return;
  const own = c.resource as unknown as Record<symbol, unknown>;
  for (let i = 0; i < symbols.length; i++) own[symbols[i]] = values[i];
  if (c.generation !== generation) {
    // A storage enabled since may have put a store on it: drop what it did not have.
    for (const s of storeSymbols(c.resource)) if (!symbols.includes(s)) delete own[s];
  }
}

export const nodeAsyncContext: AsyncContextHook = {
  capture,
  runIn: (context, fn, args) => {
    const c = context as Captured;
    restore(c);
    const call = fn as (...a: unknown[]) => unknown;
    return args === null ? c.resource.runInAsyncScope(call) : c.resource.runInAsyncScope(call, null, ...args);
  },
  newStore: <T>(): ContextStore<T> => {
    const als = new AsyncLocalStorage<T | undefined>();
    return { run: (value, fn) => als.run(value, fn), get: () => als.getStore() };
  },
};
