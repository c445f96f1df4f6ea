// Browser entry of "evloop/sim/tools": instantiates the wasm module (as
// "evloop/sim" does), then the browser-safe tools (no sweep: it needs threads).
import '../browser.js';

export * from './index.js';
