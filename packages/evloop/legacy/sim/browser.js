// Browser entry of "evloop/sim": fetch and instantiate the module once, before any export is used.
import init from '../../wasm/evloop_wasm.js';

await init({ module_or_path: new URL('../../wasm/evloop_wasm_bg.wasm', import.meta.url) });

export * from './index.js';
import { NotImplementedError } from '../src/errors.js';

/** `sim.sweep()` runs seeds on Node's worker threads; a page runs seeds one by one itself. */
export function sweep() {
  return Promise.reject(new NotImplementedError('sweep() needs Node (worker threads); in a browser, run the seeds one by one'));
}
