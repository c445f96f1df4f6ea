// Node entry of "evloop/sim": Node 20's fetch cannot load file: URLs, so instantiate
// synchronously from the file's bytes, then export the API.
import { readFileSync } from 'node:fs';
import { initSync } from '../../wasm/evloop_wasm.js';

initSync({ module: readFileSync(new URL('../../wasm/evloop_wasm_bg.wasm', import.meta.url)) });

export * from './index.js';
// Swarm sweeps run seeds on worker threads: Node only.
export { sweep } from './tools/sweep.js';
