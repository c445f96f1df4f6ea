// The browser-safe simulation tools (also re-exported by "evloop/sim"): trace
// files, trace diff, replay, shrinking, the swarm's fault plans and the
// linearizability checker. None touches the wasm module at load time, so the
// entries (browser.ts here, node/sim-tools.ts) instantiate it first.
// docs/simulation.md, "Tools".
export { ddmin } from './ddmin.js';
export { diffTraces, renderDiff, type HostDivergence, type IndexedRecord, type TraceDiff } from './diff.js';
export { planInput, runProgram, type ProgramRun } from './harness.js';
export {
  checkLinearizable,
  describeCounterexample,
  registerModel,
  type LinearizabilityResult,
  type Model,
  type Operation,
} from './linearizability.js';
export { liveObjects, type LiveObjects } from './live.js';
export { FAULT_FAMILIES, pickFamilies, planFaults } from './nemesis.js';
export {
  loadProgram,
  type FaultFamily,
  type ProgramInput,
  type ProgramModule,
  type ProgramParts,
  type ScheduledFault,
} from './program.js';
export { seededRandom } from './random.js';
export { formatRecord } from './records.js';
export { renderReplay, replay, type ReplayReport } from './replay.js';
export { shrink, type ShrinkOptions } from './shrink.js';
export {
  exportTrace,
  parseTrace,
  stringifyTrace,
  TRACE_FORMAT,
  TRACE_VERSION,
  validateTrace,
  type FailureInfo,
  type TraceFile,
} from './trace-file.js';
