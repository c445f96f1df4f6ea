// Future and Task of "evloop/sim", bound to a simulated host: the shared
// model (../src/future-model.js) given this entry's host lookups.

import { defineFutures } from '../src/future-model.js';
import { internal, repr, touch } from './util.js';

// Lambdas: host.js and simulation.js fill `internal` in after this module loads.
const futures = defineFutures({
  defaultLoop: () => internal.runningHost(),
  runningLoop: () => internal.runningHost(),
  isLoop: (value) => internal.isHost(value),
  loopKind: 'a host of a Simulation',
  internal,
  repr,
  // A completed future is work the driver must let settle (util.js, `activity`).
  onComplete: touch,
  // The trace records callback names (host.js labels), and task names count
  // up across the simulations of a process: naming the task here would make
  // two runs of one seed differ.
  stepName: () => 'Task.step',
});

export const { Future, Task, isFuture, allTasks, sleepOn } = futures;

/**
 * A Future of the running host that completes with `value` after `delay`
 * virtual seconds (asyncio.sleep). Also `host.sleep(delay, value)`.
 */
export function sleep(delay, value = undefined) {
  return sleepOn(internal.runningHost(), delay, value);
}
