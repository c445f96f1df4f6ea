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
import { Run } from './scenarios.js';

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The next double after `x` (>= 0) towards +inf (`up`) or 0. */
function nextAfter(x, up) {
  f64[0] = x;
  i64[0] += up ? 1n : -1n;
  return f64[0];
}

/**
 * The duration `d` with `now + d === t` exactly: `runFor` ends at `now + seconds`, and
 * `t - now` rounded may miss `t` by an ulp.
 */
export function exactDuration(now, t) {
  let d = t - now;
  for (let i = 0; i < 8 && d > 0 && now + d !== t; i++) d = nextAfter(d, now + d < t);
  return Math.max(d, 0);
}

/** Actions as `{ at, ...fault }`: the trace file's `input.faults`, what `Run` schedules. */
const asFaults = (actions) => actions.map((a) => ({ at: a.t, ...a.fault }));

/**
 * One playground run that can seek. `actions` are the user's faults
 * `{ event, t, fault }` (in order): `fault` runs at virtual time `t` as
 * event number `event`.
 */
export class Session {
  /**
   * @param sim the "evloop/sim" module
   * @param name a scenario name
   * @param seed the seed
   * @param actions faults recorded by an earlier session (to re-create it)
   */
  constructor(sim, name, seed, actions = []) {
    this.sim = sim;
    this.name = name;
    this.seed = seed;
    this.actions = actions.map((a) => ({ ...a }));
    /** The furthest event count reached with these actions (the slider's end). */
    this.horizon = 0;
    /** The furthest virtual time reached (the timeline's axis, so seeking back keeps the scale). */
    this.horizonTime = 0;
    /** The trace of the furthest run with these actions, once a seek went back (the page draws it faded). */
    this.ahead = null;
    this.#fresh();
  }

  /** Starts again from event 0, with every recorded fault scheduled. */
  #fresh() {
    this.run?.close();
    this.run = new Run(this.sim, this.name, this.seed, asFaults(this.actions));
    this.hosts = this.run.hosts;
    /** The trace so far, pulled incrementally (`trace(from)`) so a step costs only its records. */
    this.records = [];
    /** event count -> trace length once the run stood there (known where it stopped or stepped). */
    this.marks = new Map([[0, 0]]);
  }

  get simulation() {
    return this.run.simulation;
  }

  /** Events run so far: the cursor. */
  get events() {
    return this.run.simulation.events();
  }

  /**
   * How many of `actions` this run has applied: a scheduled fault runs
   * before anything else due at its time, so those up to now have.
   */
  get applied() {
    const now = this.now();
    let n = 0;
    while (n < this.actions.length && this.actions[n].t <= now) n++;
    return n;
  }

  now() {
    return this.run.now();
  }

  #pull() {
    const sim = this.run.simulation;
    const fresh = sim.trace(this.records.length);
    for (const r of fresh) this.records.push(r);
    const events = sim.events();
    this.marks.set(events, this.records.length);
    if (events > this.horizon) this.horizon = events;
    if (sim.now() > this.horizonTime) this.horizonTime = sim.now();
  }

  /** Steps while `more()`; false if the run ended first. */
  async #stepWhile(more) {
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
  async seek(k) {
    const target = Math.max(0, Math.floor(k));
    if (target < this.events) {
      if (!this.ahead || this.records.length > this.ahead.length) this.ahead = this.records;
      this.#fresh();
    }
    await this.#stepWhile(() => this.events < target);
    return this.events;
  }

  /** One event forward (Step, Forward); false when nothing was left. */
  async step() {
    const before = this.events;
    await this.seek(before + 1);
    return this.events > before;
  }

  /** Runs `seconds` of virtual time (Play); the recorded faults in that window run at their times. */
  async runFor(seconds) {
    await this.run.runFor(seconds);
    this.#pull();
  }

  /**
   * Applies a user's fault: schedules it just after now and runs to it
   * (the events due at this very time go first), so it is in effect when
   * this resolves. Recorded faults after this point are dropped: the run
   * has a new future (as an editor drops the redo list).
   */
  async apply(fault) {
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
    this.run.simulation.schedule(at, fault);
    const action = { event: this.events, t: at, fault };
    this.actions.push(action);
    await this.#stepWhile(() => this.now() < at);
    action.event = this.events;
  }

  /** Indices of the trace records the current event added. */
  selectedRecords() {
    const k = this.events;
    const start = this.marks.get(k - 1);
    const end = this.records.length;
    // Reached by runFor: the event's first record is unknown; the newest one stands for it.
    const from = start === undefined ? Math.max(0, end - 1) : start;
    return Array.from({ length: end - from }, (_, i) => from + i);
  }

  /** `sim.hostState` of every host, or null when this build of evloop/sim has none. */
  hostStates() {
    const sim = this.run.simulation;
    if (typeof sim.hostState !== 'function') return null;
    return Object.fromEntries(this.hosts.map((h) => [h, sim.hostState(h)]));
  }

  /** The faults applied so far as `{ at, ...fault }` (the trace file's `input.faults`). */
  faults() {
    return asFaults(this.actions.slice(0, this.applied));
  }

  /**
   * The input of the run at the cursor, for a trace file: the faults
   * applied so far and the event count, where the scenario's program
   * (scenarios/<name>.mjs) stops when it replays the file.
   */
  input() {
    return { faults: this.faults(), until: { events: this.events } };
  }

  /**
   * The trace file of the run at the cursor, made with `tools.exportTrace`
   * (of "evloop/sim/tools"): what "Export trace" downloads, and what
   * `evloop-sim replay <file> packages/playground/scenarios/<name>.mjs` re-runs.
   */
  traceFile(tools) {
    return tools.exportTrace(this.run.simulation, this.input(), { seed: this.seed });
  }

  close() {
    this.run.close();
  }
}

/**
 * The trace of scenario `name` with `seed`, run to virtual time `until`
 * with the faults of `actions` at their times (their event counts belong
 * to another seed's run). For the diff view's "compare with seed".
 */
export async function traceByTime(sim, name, seed, actions, until) {
  const run = new Run(sim, name, seed, asFaults(actions.filter((a) => a.t <= until)));
  try {
    await run.runFor(until);
    return run.trace();
  } finally {
    run.close();
  }
}
