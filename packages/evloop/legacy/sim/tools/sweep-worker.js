// A sweep worker: imports the program module once, then runs the seeds the
// pool sends, one at a time, and reports each outcome (with the trace file of
// a failing run). Node only.

import { parentPort, workerData } from 'node:worker_threads';
import '../node.js';
import { planInput, runProgram } from './harness.js';
import { describeFailure } from './trace-file.js';

const { programUrl, swarm, families } = workerData;
const program = await import(programUrl);

parentPort.on('message', async ({ seed }) => {
  try {
    const input = await planInput(program, seed, { swarm, families });
    const { trace, error } = await runProgram(program, { seed, input });
    parentPort.postMessage({
      seed,
      families: input.families,
      error: describeFailure(error) ?? null,
      trace: error === null ? null : trace,
    });
  } catch (e) {
    // The harness itself failed (a bad fault, a broken module): not a finding, an error of the sweep.
    parentPort.postMessage({ seed, crashed: describeFailure(e) });
  }
});
parentPort.postMessage({ ready: true });
