// Node entry of "evloop/sim/tools": the simulation's Node entry instantiates
// the wasm module from its file, then every tool, sweep included.
import './sim.js';

export * from '../sim/tools/index.js';
export { sweep, type SweepFailure, type SweepOptions } from './sweep.js';
