// Types of faults.js (for the type-checked tests).

/** A fault as a trace `fault` record has it (what `sim.schedule` and trace files take). */
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

export declare function describeFault(fault: Fault): string;
