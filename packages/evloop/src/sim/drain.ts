// Between two events the driver must let every promise continuation the
// last one released run to its end (simulation.ts). JavaScript cannot see
// the microtask queue, but a macrotask runs only once it is empty: Node
// drains microtasks (and nextTicks) between two `setImmediate` callbacks,
// a browser after every task (a MessageChannel message). So the driver runs
// each event in such a callback, and the next one after the drain: exact,
// whatever the depth of an await chain, and deterministic, since what runs
// in between depends only on what the program does.
//
// A macrotask of its own per event would cost a turn of the host's event
// loop (microseconds: a poll for I/O in Node). `pump` posts callbacks in
// batches instead (Node runs every immediate queued before its check phase
// in that phase, one after the other, with a drain in between), which costs
// about a microsecond per event. The last callback of a batch steps nothing:
// it hands the running loop back (`pause`) before the host's other work
// (I/O, timers, another loop's callbacks) may run, so that none of it sees a
// simulated host as its running loop.
//
// `idleTurns` keeps the rule of earlier versions, for traces recorded with
// the option `microtaskTurns`: wait until that many microtask turns in a row
// did no work for the simulation (activity.ts); a deeper chain of awaits
// goes on after the next event. Browser-safe.

import { activityCount } from './activity.js';

/** Posts `fn` as a macrotask, run after the microtask queue drained. */
type Post = (fn: () => void) => void;

/** The host's cheapest macrotask: setImmediate (Node), a MessageChannel message (browsers), else setTimeout. */
function macrotaskPoster(): Post {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return (fn) => void setImmediate(fn);
  }
  if (typeof MessageChannel === 'function') {
    // One channel, a FIFO of callbacks: one message per callback.
    const queue: (() => void)[] = [];
    let head = 0;
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      const fn = queue[head];
      queue[head++] = undefined as unknown as () => void;
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      }
      fn?.();
    };
    // Unreferenced where that exists: a pending drain must not keep a process alive by itself.
    (channel.port1 as { unref?: () => void }).unref?.();
    return (fn) => {
      queue.push(fn);
      channel.port2.postMessage(0);
    };
  }
  return (fn) => void setTimeout(fn, 0);
}

let post: Post | undefined;

/** The most callbacks posted at once (the batch grows from 1 while a run goes on). */
const MAX_BATCH = 64;

/** What `pump` does at each callback. */
export interface Pump {
  /** Runs events; true: call again once the continuations drained; false: done. May throw (the run fails). */
  tick(): boolean;
  /** Hands the running loop back (the host's other work may run next). */
  pause(): void;
  /** Takes the running loop again. */
  resume(): void;
}

/**
 * Calls `p.tick()` (now when `now`, else after the pending continuations ran),
 * then after every drain while it returns true. Resolves when it returns
 * false; rejects with what it throws.
 */
export function pump(p: Pump, now: boolean): Promise<void> {
  const postFn = (post ??= macrotaskPoster());
  return new Promise<void>((resolve, reject) => {
    let finished = false;
    let queued = 0;
    let batch = 1;
    let paused = false;
    const step = (): boolean => {
      let more: boolean;
      try {
        more = p.tick();
      } catch (e) {
        finished = true;
        reject(e);
        return false;
      }
      if (!more) {
        finished = true;
        resolve();
      }
      return more;
    };
    const run = (): void => {
      queued -= 1;
      if (finished) return;
      if (queued === 0) {
        // The batch's last callback: other macrotasks may come next.
        p.pause();
        paused = true;
        refill();
        return;
      }
      if (paused) {
        p.resume();
        paused = false;
      }
      step();
    };
    const refill = (): void => {
      batch = Math.min(batch * 2, MAX_BATCH);
      for (let i = 0; i < batch; i++) {
        queued += 1;
        postFn(run);
      }
    };
    if (now && !step()) return;
    // The first batch: one callback to step, one to pause (`step()` needs no more).
    queued += 2;
    postFn(run);
    postFn(run);
  });
}

/** Resolves once the microtask queue drained (one macrotask). */
export function drained(): Promise<void> {
  const postFn = (post ??= macrotaskPoster());
  return new Promise<void>((resolve) => postFn(resolve));
}

/**
 * The rule of `microtaskTurns`: resolves once `turns` microtask turns in a
 * row did no work for the simulation.
 */
export async function idleTurns(turns: number): Promise<void> {
  let seen = activityCount();
  let idle = 0;
  while (idle < turns) {
    await undefined;
    const now = activityCount();
    if (now !== seen) {
      seen = now;
      idle = 0;
    } else {
      idle += 1;
    }
  }
}
