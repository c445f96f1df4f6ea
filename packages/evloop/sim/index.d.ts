// Types of "evloop/sim": the wasm-bindgen declarations; both entries initialise the module first.
export * from './pkg/evloop_wasm.js';
