// Browser entry of "evloop/sim": fetch and instantiate the wasm module once,
// before any export is used (index.ts touches nothing of it at load time).

import init from '../../wasm/evloop_wasm.js';
import { NotImplementedError } from '../core/errors.js';

await init({ module_or_path: new URL('../../wasm/evloop_wasm_bg.wasm', import.meta.url) });

export * from './index.js';

/** `sweep()` runs seeds on Node's worker threads; a page runs seeds one by one itself. */
export function sweep(_options?: unknown): Promise<never> {
  return Promise.reject(new NotImplementedError('sweep() needs Node (worker threads); in a browser, run the seeds one by one'));
}
