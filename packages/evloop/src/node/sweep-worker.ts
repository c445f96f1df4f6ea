// A sweep worker (sweep.ts starts it from the built file next to it): imports
// the program module once, then runs the seeds the pool sends, one at a time,
// and reports each outcome (with the trace file of a failing run).
import { parentPort, workerData } from 'node:worker_threads';
import './sim.js';
import { planInput, runProgram } from '../sim/tools/harness.js';
import type { ProgramModule } from '../sim/tools/program.js';
import { describeFailure } from '../sim/tools/trace-file.js';
import type { SweepReply, SweepWorkerData } from './sweep.js';

const port = parentPort;
if (port === null) throw new Error('sweep-worker.js runs as a worker thread of sweep()');
const { programUrl, swarm, families } = workerData as SweepWorkerData;
// A program module is whatever the file exports: loadProgram checks its shape on each run.
const program = (await import(programUrl)) as ProgramModule;

const reply = (message: SweepReply): void => port.postMessage(message);

port.on('message', async ({ seed }: { seed: number }) => {
  try {
    const input = await planInput(program, seed, { swarm, families });
    const { trace, error } = await runProgram(program, { seed, input });
    reply({
      seed,
      families: input.families,
      error: describeFailure(error) ?? null,
      trace: error === null ? null : trace,
    });
  } catch (e) {
    // The harness itself failed (a bad fault, a broken module): not a finding, an error of the sweep.
    reply({ seed, crashed: describeFailure(e) ?? { name: 'undefined', message: 'undefined' } });
  }
});
reply({ ready: true });
