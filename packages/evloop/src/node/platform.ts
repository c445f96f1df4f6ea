// Node's platform (core/platform.ts): util.inspect for messages and reports, the worker's
// thread name, and async context. Installed on load by every Node entry (the loops through
// loop.ts, evloop/sim through sim.ts), without loading the addon.

import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { constants } from 'node:os';
import { inspect } from 'node:util';
import { isMainThread, threadId } from 'node:worker_threads';
import { type AsyncContextHook, type ContextStore, setPlatform } from '../core/platform.js';

/**
 * Node's async context: a callback keeps the context it was scheduled in as an AsyncResource
 * (made with requireManualDestroy: about 0.1 µs, where AsyncLocalStorage.snapshot() costs tens
 * of µs in Node 20; no destroy hook runs for it), and the current task is an AsyncLocalStorage
 * store, which follows a task's function into the promise jobs that `await` starts.
 */
const nodeAsyncContext: AsyncContextHook = {
  capture: () => new AsyncResource('evloop.callback', { requireManualDestroy: true }),
  runIn: (context, fn, args) => {
    const call = fn as (...a: unknown[]) => unknown;
    return args === null
      ? (context as AsyncResource).runInAsyncScope(call)
      : (context as AsyncResource).runInAsyncScope(call, null, ...args);
  },
  newStore: <T>(): ContextStore<T> => {
    const als = new AsyncLocalStorage<T | undefined>();
    return { run: (value, fn) => als.run(value, fn), get: () => als.getStore() };
  },
};

/** How Node shows values in messages and reports (`util.inspect`, as the legacy layer did), and its async context. */
export function installNodePlatform(): void {
  setPlatform({
    asyncContext: nodeAsyncContext,
    repr: (value) => inspect(value, { depth: 0, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 60 }),
    inspect: (value) => inspect(value, { depth: 2, breakLength: Infinity }),
    formatException: (exc) => inspect(exc),
    threadName: () => (isMainThread ? 'MainThread' : `Worker-${threadId}`),
    signals: constants.signals as Readonly<Record<string, number>>,
  });
}

installNodePlatform();
