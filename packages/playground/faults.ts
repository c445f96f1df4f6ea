// The faults a user can apply from the page, as plain data: the shape of a trace `fault`
// record, the one `sim.schedule` takes and trace files keep (`input.faults`), so a run can be
// re-created from a list of them, exported, and replayed by `evloop-sim`.
import type { Fault as SimFault } from 'evloop/sim';

/**
 * A fault as a trace `fault` record has it. Looser than evloop/sim's `Fault` union, so that a
 * record read back (a trace file's `input.faults`) is one without a check: `sim.schedule`
 * checks the shape when the fault is applied.
 */
export interface Fault {
  fault: string;
  host?: string;
  a?: string | string[];
  b?: string | string[];
  oneWay?: boolean;
  latency?: number | [number, number];
  loss?: number;
  seconds?: number;
}

/** A fault with the virtual time it is scheduled at (a trace file's `input.faults`). */
export type TimedFault = Fault & { at: number };

/** The fault as `sim.schedule` types it: the simulation checks the shape itself. */
export const asSimFault = (fault: Fault): SimFault => fault as SimFault;

/** Timed faults as the tools' trace files type them (`input.faults`). */
export const asScheduledFaults = (faults: TimedFault[]): (SimFault & { at: number })[] => faults as (SimFault & { at: number })[];

const asGroup = (g: string | string[]): string[] => (Array.isArray(g) ? g : [g]);

/** One line for the page: "partition client | server", "crash server". */
export function describeFault(fault: Fault): string {
  const group = (g: string | string[]): string => asGroup(g).join(',');
  if (fault.host !== undefined) return `${fault.fault} ${fault.host}${fault.seconds !== undefined ? ` ${fault.seconds}s` : ''}`;
  if (fault.a === undefined) return fault.fault;
  return `${fault.fault} ${group(fault.a)}${fault.b === undefined ? '' : ` | ${group(fault.b)}`}`;
}
