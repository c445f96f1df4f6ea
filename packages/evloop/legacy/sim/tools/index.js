// The browser-safe simulation tools (also re-exported by "evloop/sim"): trace
// files, trace diff, replay, shrinking, the swarm's fault plans and the
// linearizability checker. None touches the wasm module at load time.
export { ddmin } from './ddmin.js';
export { diffTraces, renderDiff } from './diff.js';
export { loadProgram, planInput, runProgram } from './harness.js';
export { checkLinearizable, describeCounterexample, registerModel } from './linearizability.js';
export { FAULT_FAMILIES, pickFamilies, planFaults } from './nemesis.js';
export { seededRandom } from './random.js';
export { formatRecord } from './records.js';
export { renderReplay, replay } from './replay.js';
export { shrink } from './shrink.js';
export { exportTrace, parseTrace, stringifyTrace, TRACE_FORMAT, TRACE_VERSION, validateTrace } from './trace-file.js';
