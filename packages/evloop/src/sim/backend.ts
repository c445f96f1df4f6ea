// One life of a simulated host as a LoopBackend (core/backend.ts): the
// wasm binding's NativeHostLoop keeps the ready queue and the timers in
// the simulation's core, which runs them as events of the simulation and
// labels each in the trace with the callback's name. A restart makes a new
// life, so a Host makes a new back end each time (host.ts).
// Browser-safe.

import type { LoopBackend, LoopDriver } from '../core/backend.js';
import { fromNative } from '../core/errors.js';
import { handleLabel, handleSlot, setHandleSlot, type Handle, type TimerHandle } from '../core/handles.js';
import type {
  NativeHostLoop,
  Handle as NativeHandle,
  TimerHandle as NativeTimerHandle,
} from '../../wasm/evloop_wasm.js';
import { touch } from './activity.js';

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
 * calls (it makes the host the running loop); `driver` is the host's.
 */
export function simBackend(life: NativeHostLoop, driver: LoopDriver, enter: () => void): LoopBackend {
  // The core's own errors (a transport's, a server's) come as contexts.
  life.setReporter((context: Record<string, unknown>) => {
    enter();
    driver.report(context);
  });
  // Every scheduling call is work the driver must let settle (activity.ts).
  return {
    clock: 'virtual',
    time: () => life.time(),
    scheduleSoon(handle: Handle): void {
      const run = (): void => {
        enter();
        driver.runHandle(handle);
      };
      setHandleSlot(handle, call(() => life.callSoon(handleLabel(handle), run)));
      touch();
    },
    cancelSoon(handle: Handle): void {
      (handleSlot(handle) as NativeHandle | undefined)?.cancel();
    },
    scheduleTimer(handle: TimerHandle, at: number, relative: boolean): number {
      const run = (): void => {
        enter();
        driver.runHandle(handle);
      };
      const label = handleLabel(handle);
      const native = call(() => (relative ? life.callLater(at, label, run) : life.callAt(at, label, run)));
      setHandleSlot(handle, native);
      touch();
      return native.when();
    },
    cancelTimer(handle: TimerHandle): void {
      (handleSlot(handle) as NativeTimerHandle | undefined)?.cancel();
    },
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
  } satisfies LoopBackend;
}

/** Forgets the life's reporter (the simulation closes): breaks the cycle through the binding. */
export function releaseLife(life: NativeHostLoop): void {
  life.clearReporter();
}
