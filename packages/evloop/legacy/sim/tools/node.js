// Node entry of "evloop/sim/tools": instantiates the wasm module (as
// "evloop/sim" does), then every tool, sweep included.
import '../node.js';

export * from './index.js';
export { sweep } from './sweep.js';
