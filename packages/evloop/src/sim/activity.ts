// Work done for a simulation by JavaScript. Every call that schedules
// something for the core (a callback, a write, a completed future, a fault)
// calls `touch()`. After a step, the driver lets promise continuations run
// until a number of microtask turns in a row touched nothing
// (simulation.ts, `#settle`): the count depends only on what the program's
// continuations do, never on real time, which keeps runs deterministic.
// Browser-safe.

let count = 0;

/** Records one piece of work for the simulation (cheap: called on every scheduling call). */
export function touch(): void {
  count += 1;
}

/** The number of `touch()` calls so far (only differences matter). */
export function activityCount(): number {
  return count;
}
