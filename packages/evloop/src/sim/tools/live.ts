// What the simulation's wasm module holds now: for leak checks in tests and
// sweeps (a worker that runs thousands of seeds must come back to zero after
// each simulation is closed or collected). Browser-safe.

import { liveObjects as nativeLiveObjects } from '../../../wasm/evloop_wasm.js';

/** Live objects of the wasm module (all simulations of this thread). */
export interface LiveObjects {
  /** Simulations not yet freed (closed ones stay until they are garbage-collected). */
  simulations: number;
  /** Protocol objects the module holds for transports. */
  protocols: number;
  /** Host loops (each life of each host), open or closed, not yet freed. */
  loops: number;
  /** Core tasks still held by their loop (a pending connect, a server's accept). */
  tasks: number;
  /** Core futures. */
  futures: number;
  /** Stream transports. */
  transports: number;
  /** Servers. */
  servers: number;
  /** Bytes the module's allocator has handed out and not got back (the wasm memory itself never shrinks). */
  heapBytes: number;
}

/**
 * The module's live objects now. Once every simulation was closed, or
 * dropped and garbage-collected, the counts are back to zero (heapBytes to
 * a small constant: a read buffer kept per thread).
 */
export function liveObjects(): LiveObjects {
  // The binding builds a plain object with exactly these keys (crates/evloop-wasm/src/live.rs).
  return nativeLiveObjects() as LiveObjects;
}
