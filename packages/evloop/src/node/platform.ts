// Node's platform (core/platform.ts): util.inspect for messages and reports, the worker's
// thread name, and async context. Installed on load by every Node entry (the loops through
// loop.ts, evloop/sim through sim.ts), without loading the addon.

import { constants } from 'node:os';
import { inspect } from 'node:util';
import { isMainThread, threadId } from 'node:worker_threads';
import { setPlatform } from '../core/platform.js';
import { nodeAsyncContext } from './async-context.js';

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
