// Node entry of "evloop/sim": Node 20's fetch cannot load file: URLs, so the
// wasm module is instantiated synchronously from the file's bytes. The
// exports (../sim/index.js) touch nothing of the module at load time, so
// evaluating them before this body is safe.

import { readFileSync } from 'node:fs';
// Node's platform (util.inspect, AsyncLocalStorage for tasks and callbacks), without the addon.
import './platform.js';
import { initSync } from '../../wasm/evloop_wasm.js';

initSync({ module: readFileSync(new URL('../../wasm/evloop_wasm_bg.wasm', import.meta.url)) });

export * from '../sim/index.js';
// Swarm sweeps run seeds on worker threads: Node only.
export { sweep, type SweepFailure, type SweepOptions } from './sweep.js';
