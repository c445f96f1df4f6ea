// Step back and seek. A simulation cannot be snapshotted or run backwards, but it is
// deterministic: (scenario, seed, the user's faults with the virtual time of each) re-creates
// every event. So the snapshot is that list, and seeking to event k re-runs from the start and
// steps to k. The live run is kept: seeking forward continues it, only seeking back re-runs.
//
// A clicked fault is an event of the run: it is scheduled (`sim.schedule`) just after the
// current time, so it runs once the events due at this very time have, and a re-created run
// schedules the same faults up front and gets it at the same place. That is what the tools'
// harness does with a trace file's `input.faults`, so an exported run replays with
// `evloop-sim replay` and the scenario's module (scenarios/<name>.mjs).
import type { Fault as SimFault, HostState, Simulation, TraceRecord } from 'evloop/sim';
import { asScheduledFaults, asSimFault, type Fault, type TimedFault } from './faults.js';
import { Run, type SimModule } from './scenarios.js';

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The next double after `x` (>= 0) towards +inf (`up`) or 0. */
function nextAfter(x: number, up: boolean): number {
  f64[0] = x;
  i64[0]! += up ? 1n : -1n;
  return f64[0]!;
}

/**
 * The duration `d` with `now + d === t` exactly: `runFor` ends at `now + seconds`, and
 * `t - now` rounded may miss `t` by an ulp.
 */
export function exactDuration(now: number, t: number): number {
  let d = t - now;
  for (let i = 0; i < 8 && d > 0 && now + d !== t; i++) d = nextAfter(d, now + d < t);
  return Math.max(d, 0);
}

/** Actions as `{ at, ...fault }`: the trace file's `input.faults`, what `Run` schedules. */
const asFaults = (actions: readonly Action[]): TimedFault[] => actions.map((a) => ({ at: a.t, ...a.fault }));

/** A user's fault: it ran at virtual time `t` as event number `event` (scheduled there with `sim.schedule`). */
export interface Action {
  event: number;
  t: number;
  fault: Fault;
}

export type { HostState };

/**
 * One playground run that can seek. `actions` are the user's faults
 * `{ event, t, fault }` (in order): `fault` runs at virtual time `t` as
 * event number `event`.
 */
export class Session {
  readonly sim: SimModule;
  readonly name: string;
  readonly seed: number;
  readonly actions: Action[];
  /** The furthest event count reached with these actions (the slider's end). */
  horizon: number;
  /** The furthest virtual time reached (the timeline's axis, so seeking back keeps the scale). */
  horizonTime: number;
  /** The trace of the furthest run with these actions, once a seek went back (the page draws it faded); else null. */
  ahead: TraceRecord[] | null;
  run!: Run;
  hosts!: string[];
  /** The trace so far, pulled incrementally (`trace(from)`) so a step costs only its records. */
  records!: TraceRecord[];
  /** event count -> trace length once the run stood there (known where it stopped or stepped). */
  marks!: Map<number, number>;

  /**
   * `sim`: the "evloop/sim" module; `name`: a scenario name; `actions`:
   * faults recorded by an earlier session (to re-create it).
   */
  constructor(sim: SimModule, name: string, seed: number, actions: readonly Action[] = []) {
    this.sim = sim;
    this.name = name;
    this.seed = seed;
    this.actions = actions.map((a) => ({ ...a }));
    this.horizon = 0;
    this.horizonTime = 0;
    this.ahead = null;
    this.#fresh();
  }

  /** Starts again from event 0, with every recorded fault scheduled. */
  #fresh(): void {
    // Unset only while the constructor runs its first #fresh().
    (this.run as Run | undefined)?.close();
    this.run = new Run(this.sim, this.name, this.seed, asFaults(this.actions));
    this.hosts = this.run.hosts;
    this.records = [];
    this.marks = new Map([[0, 0]]);
  }

  get simulation(): Simulation {
    return this.run.simulation;
  }

  /** Events run so far: the cursor. */
  get events(): number {
    return this.run.simulation.events();
  }

  /**
   * How many of `actions` this run has applied: a scheduled fault runs
   * before anything else due at its time, so those up to now have.
   */
  get applied(): number {
    const now = this.now();
    let n = 0;
    while (n < this.actions.length && (this.actions[n] as Action).t <= now) n++;
    return n;
  }

  now(): number {
    return this.run.now();
  }

  #pull(): void {
    const sim = this.run.simulation;
    const fresh = sim.trace(this.records.length);
    for (const r of fresh) this.records.push(r);
    const events = sim.events();
    this.marks.set(events, this.records.length);
    if (events > this.horizon) this.horizon = events;
    if (sim.now() > this.horizonTime) this.horizonTime = sim.now();
  }

  /** Steps while `more()`; false if the run ended first. */
  async #stepWhile(more: () => boolean): Promise<boolean> {
    this.#pull();
    while (more()) {
      if (!(await this.run.step())) return false;
      this.#pull();
    }
    return true;
  }

  /**
   * Seeks to event `k`: the trace and host state become exactly those of
   * a fresh run stepped to `k`. Back re-runs from the start; forward
   * continues. Resolves with the event reached (less than `k` when the run
   * had nothing left to do).
   */
  async seek(k: number): Promise<number> {
    const target = Math.max(0, Math.floor(k));
    if (target < this.events) {
      if (!this.ahead || this.records.length > this.ahead.length) this.ahead = this.records;
      this.#fresh();
    }
    await this.#stepWhile(() => this.events < target);
    return this.events;
  }

  /** One event forward (Step, Forward); false when nothing was left. */
  async step(): Promise<boolean> {
    const before = this.events;
    await this.seek(before + 1);
    return this.events > before;
  }

  /** Runs `seconds` of virtual time (Play); the recorded faults in that window run at their times. */
  async runFor(seconds: number): Promise<void> {
    await this.run.runFor(seconds);
    this.#pull();
  }

  /**
   * Applies a user's fault: schedules it just after now and runs to it
   * (the events due at this very time go first), so it is in effect when
   * this resolves. Recorded faults after this point are dropped: the run
   * has a new future (as an editor drops the redo list).
   */
  async apply(fault: Fault): Promise<void> {
    if (this.applied < this.actions.length) {
      // The dropped faults are scheduled in this run already: re-create it
      // without them, to the same event and time.
      const [k, t] = [this.events, this.now()];
      this.actions.length = this.applied;
      this.#fresh();
      await this.seek(k);
      if (this.now() < t) await this.runFor(exactDuration(this.now(), t));
    }
    this.horizon = this.events;
    this.horizonTime = this.now();
    this.ahead = null;
    const at = nextAfter(this.now(), true);
    this.run.simulation.schedule(at, asSimFault(fault));
    const action: Action = { event: this.events, t: at, fault };
    this.actions.push(action);
    await this.#stepWhile(() => this.now() < at);
    action.event = this.events;
  }

  /** Indices of the trace records the current event added. */
  selectedRecords(): number[] {
    const k = this.events;
    const start = this.marks.get(k - 1);
    const end = this.records.length;
    // Reached by runFor: the event's first record is unknown; the newest one stands for it.
    const from = start === undefined ? Math.max(0, end - 1) : start;
    return Array.from({ length: end - from }, (_, i) => from + i);
  }

  /** `sim.hostState` of every host, or null when this build of evloop/sim has none. */
  hostStates(): Record<string, HostState> | null {
    const sim = this.run.simulation;
    // An older build of evloop/sim has no hostState: the inspector then says so.
    if (typeof sim.hostState !== 'function') return null;
    return Object.fromEntries(this.hosts.map((h) => [h, sim.hostState(h)]));
  }

  /** The faults applied so far as `{ at, ...fault }` (the trace file's `input.faults`). */
  faults(): TimedFault[] {
    return asFaults(this.actions.slice(0, this.applied));
  }

  /**
   * The input of the run at the cursor, for a trace file: the faults
   * applied so far and the event count, where the scenario's program
   * (scenarios/<name>.mjs) stops when it replays the file.
   */
  input(): { faults: TimedFault[]; until: { events: number } } {
    return { faults: this.faults(), until: { events: this.events } };
  }

  /**
   * The trace file of the run at the cursor, made with `tools.exportTrace`
   * (of "evloop/sim/tools"): what "Export trace" downloads, and what
   * `evloop-sim replay <file> packages/playground/scenarios/<name>.mjs` re-runs.
   */
  traceFile<T = object>(tools: {
    exportTrace(sim: Simulation, input: { faults: (SimFault & { at: number })[]; until: { events: number } }, extra?: { seed?: number }): T;
  }): T {
    const { faults, until } = this.input();
    return tools.exportTrace(this.run.simulation, { faults: asScheduledFaults(faults), until }, { seed: this.seed });
  }

  close(): void {
    this.run.close();
  }
}

/**
 * The trace of scenario `name` with `seed`, run to virtual time `until`
 * with the faults of `actions` at their times (their event counts belong
 * to another seed's run). For the diff view's "compare with seed".
 */
export async function traceByTime(sim: SimModule, name: string, seed: number, actions: readonly Action[], until: number): Promise<TraceRecord[]> {
  const run = new Run(sim, name, seed, asFaults(actions.filter((a) => a.t <= until)));
  try {
    await run.runFor(until);
    return run.trace();
  } finally {
    run.close();
  }
}
