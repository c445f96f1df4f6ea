// One life of a simulated host as a LoopBackend (core/backend.ts): the
// wasm binding's NativeHostLoop keeps the ready queue and the timers in
// the simulation's core, which runs them as events of the simulation and
// labels each in the trace with the callback's name. A restart makes a new
// life, so a Host makes a new back end each time (host.ts).
// Browser-safe.

import type { LoopBackend, LoopDriver } from '../core/backend.js';
import type { Executor } from '../core/executor.js';
import { fromNative } from '../core/errors.js';
import { handleLabel, handleSlot, setHandleSlot, type Handle, type TimerHandle } from '../core/handles.js';
import { internLabel, type NativeHostLoop } from '../../wasm/evloop_wasm.js';
import { touch } from './activity.js';

/** Label numbers (the binding's `internLabel`), by label: the same few names again and again. */
const labels = new Map<string, number>();

/** The number of `label`; -1 when the binding keeps no more. */
function labelNumber(label: string): number {
  let n = labels.get(label);
  if (n === undefined) {
    n = internLabel(label);
    labels.set(label, n);
  }
  return n;
}

/** `fn()`, with the binding's errors mapped to the package's classes. */
function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e);
  }
}

/**
 * The back end of one life. `enter()` runs before any JavaScript the life
 * calls (it makes the host the running loop); `driver` is the host's;
 * `newExecutor()` makes the life's default executor (executor.ts).
 */
export function simBackend(life: NativeHostLoop, driver: LoopDriver, enter: () => void, newExecutor: () => Executor): LoopBackend {
  // The core's own errors (a transport's, a server's) come as contexts.
  life.setReporter((context: Record<string, unknown>) => {
    enter();
    driver.report(context);
  });
  // A callback crosses to the core as two numbers (its label's, its own): the life calls
  // `dispatch(id)` when it is due. `pending[id]` holds the handle until then; ids are reused.
  const pending: (Handle | undefined)[] = [];
  const free: number[] = [];
  const take = (handle: Handle): number => {
    const id = free.length > 0 ? (free.pop() as number) : pending.length;
    pending[id] = handle;
    setHandleSlot(handle, id);
    return id;
  };
  const release = (id: number): void => {
    pending[id] = undefined;
    free.push(id);
  };
  life.setDispatch((id: number) => {
    const handle = pending[id];
    if (handle === undefined) return;
    release(id);
    setHandleSlot(handle, undefined);
    enter();
    driver.runHandle(handle);
  });
  const cancel = (handle: Handle): void => {
    const slot = handleSlot(handle) as number | { cancel(): void } | undefined;
    if (typeof slot === 'object') {
      slot.cancel();
      return;
    }
    const id = slot;
    if (id === undefined || pending[id] !== handle) return;
    release(id);
    setHandleSlot(handle, undefined);
    life.cancelScheduled(id);
  };
  // Every scheduling call is work the driver must let settle (activity.ts).
  return {
    clock: 'virtual',
    time: () => life.time(),
    scheduleSoon(handle: Handle): void {
      const label = labelNumber(handleLabel(handle));
      if (label < 0) {
        // More distinct labels than the binding keeps: the callback crosses as a function.
        const run = (): void => {
          enter();
          driver.runHandle(handle);
        };
        setHandleSlot(handle, call(() => life.callSoon(handleLabel(handle), run)));
      } else {
        const id = take(handle);
        try {
          life.scheduleSoon(label, id);
        } catch (e) {
          release(id);
          throw fromNative(e);
        }
      }
      touch();
    },
    cancelSoon: cancel,
    scheduleTimer(handle: TimerHandle, at: number, relative: boolean): number {
      const label = labelNumber(handleLabel(handle));
      let when: number;
      if (label < 0) {
        const run = (): void => {
          enter();
          driver.runHandle(handle);
        };
        const native = call(() => (relative ? life.callLater(at, handleLabel(handle), run) : life.callAt(at, handleLabel(handle), run)));
        setHandleSlot(handle, native);
        when = native.when();
      } else {
        const id = take(handle);
        try {
          when = life.scheduleAt(at, relative, label, id);
        } catch (e) {
          release(id);
          throw fromNative(e);
        }
      }
      touch();
      return when;
    },
    cancelTimer: cancel,
    stop: () => call(() => life.stop()),
    close(): void {
      touch();
      call(() => life.close());
    },
    isRunning: () => life.isRunning(),
    isClosed: () => life.isClosed(),
    raiseFatal: (exc: unknown) => life.raiseFatal(exc),
    // Time is virtual: callbacks are not timed, so debug mode only checks callbacks.
    setDebug: () => {},
    setSlowCallbackDuration: () => {},
    newDefaultExecutor: newExecutor,
    // The simulation's `signal` faults reach the life's handler, which calls `deliver`.
    watchSignal(sig: number, name: string, deliver: (() => void) | null): void {
      const run = deliver === null ? undefined : (): void => {
        enter();
        deliver();
      };
      call(() => life.watchSignal(sig, name, run));
      touch();
    },
  } satisfies LoopBackend;
}

/** Forgets the life's reporter and dispatcher (the simulation closes): breaks the cycles through the binding. */
export function releaseLife(life: NativeHostLoop): void {
  life.clearReporter();
  life.setDispatch(undefined);
}
