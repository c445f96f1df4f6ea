// Browser entry of "evloop/sim": fetch and instantiate the module once, before any export is used.
import init from './pkg/evloop_wasm.js';

await init({ module_or_path: new URL('./pkg/evloop_wasm_bg.wasm', import.meta.url) });

export * from './index.js';
