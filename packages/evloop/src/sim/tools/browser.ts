// Browser entry of "evloop/sim/tools": the simulation's browser entry
// instantiates the wasm module (fetch + top-level await), then the
// browser-safe tools (no sweep: it needs worker threads).
import '../browser.js';

export * from './index.js';
