// The playground page: controls, the seek bar, the timeline, the inspector and the diff view,
// over a Session (seek.ts: a run that can step back) drawn by timeline.ts.
import type { TraceRecord } from 'evloop/sim';
import type * as Tools from 'evloop/sim/tools';
import { renderDiff, type DiffReport, type DiffSide } from './diff-view.js';
import type { Fault } from './faults.js';
import { renderInspector } from './inspector.js';
import { html } from './page.js';
import { Run, scenarios, type SimModule } from './scenarios.js';
import { exactDuration, Session, traceByTime } from './seek.js';
import { drawTimeline, layout, type TimelineModel } from './timeline.js';

/** The browser-safe tools of evloop/sim the page uses (by default, from the module itself). */
export type PlaygroundTools = Pick<typeof Tools, 'diffTraces' | 'parseTrace' | 'exportTrace' | 'stringifyTrace'>;

/** What `mount` returns: the buttons' actions, for the page and for tests. */
export interface Playground {
  readonly container: HTMLDivElement;
  readonly svg: SVGSVGElement;
  readonly inspector: HTMLElement;
  readonly diffResult: HTMLElement;
  readonly run: Run;
  readonly session: Session;
  /** The last diff shown, or null. */
  readonly diff: { a: DiffSide; b: DiffSide; report: DiffReport } | null;
  /** Resolves once the first run is drawn. */
  ready: Promise<void>;
  reset(name?: string, seed?: number): Promise<void>;
  play(): void;
  pause(): void;
  /** Seeks to event `k` (re-runs from the start when `k` is behind the cursor). */
  seek(k: number): Promise<void>;
  /** Resolves once the calls queued so far (slider moves, clicks) are done. */
  idle(): Promise<void>;
  back(): Promise<void>;
  forward(): Promise<void>;
  runFor(seconds: number): Promise<void>;
  step(): Promise<void>;
  partition(): Promise<void>;
  heal(): Promise<void>;
  toggleCrash(host?: string): Promise<void>;
  compareSeed(seed?: number): Promise<DiffReport>;
  compareTrace(file: string | object, label?: string): Promise<DiffReport>;
  /** The trace file (evloop-sim-trace format) of the run at the cursor. */
  traceFile(): Tools.TraceFile;
  /** Downloads the trace file; returns its text. */
  exportTrace(): string;
  destroy(): void;
}

/** The element `selector` names in `root`, of type `type`: the page's markup (page.ts) holds each. */
function part<T extends Element>(root: ParentNode, selector: string, type: abstract new () => T): T {
  const e = root.querySelector(selector);
  if (!(e instanceof type)) throw new Error(`the playground's markup has no ${selector}`);
  return e;
}

/**
 * Mounts the playground into `root`. `sim` is the "evloop/sim" module;
 * `tools` holds its browser-safe tools (`diffTraces`, `exportTrace`,
 * `parseTrace`, `stringifyTrace`), by default taken from `sim`, which
 * re-exports them. Returns a controller used by the buttons and by tests.
 */
export function mount(root: HTMLElement, sim: SimModule, tools: Partial<PlaygroundTools> = sim): Playground {
  const container = document.createElement('div');
  container.className = 'playground';
  container.innerHTML = html;
  root.appendChild(container);
  const forms = [...container.querySelectorAll('form')];
  /** The form control named `name`, of type `type`. */
  const field = <T extends Element>(name: string, type: abstract new () => T): T => {
    for (const form of forms) {
      const e = form.elements.namedItem(name);
      if (e instanceof type) return e;
    }
    throw new Error(`the playground's markup has no control ${name}`);
  };
  const select = (name: string): HTMLSelectElement => field(name, HTMLSelectElement);
  const input = (name: string): HTMLInputElement => field(name, HTMLInputElement);
  const button = (name: string): HTMLButtonElement => field(name, HTMLButtonElement);
  const svg = part(container, 'svg.timeline', SVGSVGElement);
  const status = part(container, '.status', HTMLElement);
  const inspector = part(container, '.inspector', HTMLElement);
  const diffResult = part(container, '.diff-result', HTMLElement);
  for (const [name, s] of Object.entries(scenarios)) {
    select('scenario').appendChild(new Option(s.label, name));
  }

  let session: Session | null = null;
  let playing = false;
  let frame = 0;
  let lastFrame = 0;
  let busy: Promise<unknown> = Promise.resolve();
  let seekTarget: number | null = null;
  let diff: Playground['diff'] = null;

  /** The session: made by the first reset, which every other call queues behind. */
  const live = (): Session => {
    if (session === null) throw new Error('the playground has no run yet: await its ready promise');
    return session;
  };

  // One driver call at a time: the simulation rejects overlapping ones.
  const serial = <T>(fn: () => T | Promise<T>): Promise<T> => {
    const next = busy.then(fn, fn);
    busy = next;
    return next;
  };

  function render(): TimelineModel {
    const s = live();
    const now = s.now();
    const model = layout(s.records, s.hosts, { end: s.horizonTime, now });
    const selected = s.selectedRecords();
    const ahead = s.ahead && s.ahead.length > s.records.length ? layout(s.ahead, s.hosts, { end: s.horizonTime }) : undefined;
    drawTimeline(svg, model, { highlight: selected, ghost: ahead });
    renderInspector(inspector, {
      event: s.events, horizon: s.horizon, now, hosts: s.hosts,
      states: s.hostStates(), records: s.records, selected,
      actions: s.actions, applied: s.applied,
    });
    const host = select('crashHost').value;
    button('crash').textContent = s.run.isCrashed(host) ? 'Restart' : 'Crash';
    button('partition').textContent = `Partition ${s.hosts[0]} | ${s.hosts[1]}`;
    button('play').textContent = playing ? 'Pause' : 'Play';
    const cursor = input('cursor');
    cursor.max = String(s.horizon);
    cursor.value = String(s.events);
    field('position', HTMLOutputElement).value = `event ${s.events} / ${s.horizon}`;
    status.textContent =
      `${s.name}, seed ${s.seed}: t = ${now.toFixed(3)}s, ${s.events} events, ` +
      `${model.calls.length} callbacks, ${model.arrows.length} messages, ${model.drops.length} drops, ${model.faults.length} faults`;
    return model;
  }

  function reset(name = select('scenario').value, seed = Number(input('seed').value) || 0): Promise<void> {
    pause();
    return serial(async () => {
      session?.close();
      select('scenario').value = name;
      input('seed').value = String(seed);
      const s = new Session(sim, name, seed);
      session = s;
      await s.seek(0);
      diff = null;
      diffResult.replaceChildren();
      const hosts = select('crashHost');
      hosts.replaceChildren(...s.hosts.map((h) => new Option(h, h)));
      hosts.value = s.hosts[s.hosts.length - 1] ?? '';
      render();
    });
  }

  function pause(): void {
    playing = false;
    cancelAnimationFrame(frame);
    if (session) button('play').textContent = 'Play';
  }

  function play(): void {
    playing = true;
    button('play').textContent = 'Pause';
    lastFrame = performance.now();
    const tick = (now: number): void => {
      if (!playing) return;
      const dt = Math.min(0.1, (now - lastFrame) / 1000);
      lastFrame = now;
      void serial(async () => {
        await live().runFor(dt * Number(select('speed').value));
        render();
      }).then(() => {
        if (playing) frame = requestAnimationFrame(tick);
      });
    };
    frame = requestAnimationFrame(tick);
  }

  /** Seeks to event `k`; a burst of slider moves runs one seek, to the last position. */
  function seek(k: number): Promise<void> {
    seekTarget = k;
    return serial(async () => {
      if (seekTarget === null) return;
      const target = seekTarget;
      seekTarget = null;
      await live().seek(target);
      render();
    });
  }

  const fault = (f: Fault): Promise<void> =>
    serial(async () => {
      await live().apply(f);
      render();
    });

  function need<K extends keyof PlaygroundTools>(name: K): PlaygroundTools[K] {
    const tool = tools[name];
    if (typeof tool !== 'function') throw new Error(`this build of evloop/sim has no ${name}()`);
    return tool as PlaygroundTools[K];
  }

  /** Diffs the current run (at the cursor) with `other` and draws both. */
  function showDiff(other: DiffSide): DiffReport {
    const s = live();
    const a: DiffSide = { label: `${s.name} seed ${s.seed}`, records: s.records.slice() };
    const report = need('diffTraces')(a.records, other.records);
    diff = { a, b: other, report };
    renderDiff(diffResult, { a, b: other, hosts: s.hosts, report });
    return report;
  }

  function showError(error: unknown): never {
    diffResult.replaceChildren();
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = error instanceof Error ? error.message : String(error);
    diffResult.appendChild(p);
    throw error;
  }

  const controller: Playground = {
    container,
    svg,
    inspector,
    diffResult,
    get run() {
      return live().run;
    },
    get session() {
      return live();
    },
    /** The last diff: `{ a, b, report }` (`report` from `diffTraces`), or null. */
    get diff() {
      return diff;
    },
    ready: Promise.resolve(),
    reset,
    play,
    pause,
    seek,
    idle: () => serial(() => {}),
    back: () => seek(Math.max(0, live().events - 1)),
    forward: () =>
      serial(async () => {
        await live().step();
        render();
      }),
    runFor: (seconds) =>
      serial(async () => {
        await live().runFor(seconds);
        render();
      }),
    step: () =>
      serial(async () => {
        await live().step();
        render();
      }),
    partition: () => fault({ fault: 'partition', a: [live().hosts[0] ?? ''], b: [live().hosts[1] ?? ''] }),
    heal: () => fault({ fault: 'heal' }),
    toggleCrash: (host = select('crashHost').value) => fault({ fault: live().run.isCrashed(host) ? 'restart' : 'crash', host }),
    /**
     * Diffs with the same scenario under `seed`, run to the same virtual time
     * with the same faults at the same times; resolves with the report.
     */
    compareSeed: (seed = Number(input('otherSeed').value) || 0) =>
      serial(async () => {
        const s = live();
        input('otherSeed').value = String(seed);
        const records =
          seed === s.seed ? await recreate(s) : await traceByTime(sim, s.name, seed, s.actions.slice(0, s.applied), s.now());
        return showDiff({ label: `${s.name} seed ${seed}`, records });
      }).catch(showError),
    /** Diffs with a trace file (its text, or the parsed object); resolves with the report. */
    compareTrace: (file, label = 'trace file') =>
      serial(() => {
        const trace = need('parseTrace')(file);
        return showDiff({ label, records: trace.records });
      }).catch(showError),
    /**
     * The trace file of the run at the cursor (the tools' format), as an object:
     * `evloop-sim replay <file> packages/playground/scenarios/<name>.mjs` re-runs it.
     */
    traceFile() {
      return live().traceFile({ exportTrace: need('exportTrace') });
    },
    exportTrace() {
      const s = live();
      const text = need('stringifyTrace')(controller.traceFile());
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      a.download = `evloop-${s.name}-seed${s.seed}.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 0);
      return text;
    },
    destroy() {
      pause();
      session?.close();
      container.remove();
    },
  };

  /** The same seed again: a fresh session with the same faults, seeked to the same event. */
  async function recreate(s: Session): Promise<TraceRecord[]> {
    const twin = new Session(sim, s.name, s.seed, s.actions.slice(0, s.applied));
    try {
      await twin.seek(s.events);
      if (twin.now() < s.now()) await twin.runFor(exactDuration(twin.now(), s.now()));
      return twin.records;
    } finally {
      twin.close();
    }
  }

  select('scenario').addEventListener('change', () => void reset());
  input('seed').addEventListener('change', () => void reset());
  button('reset').addEventListener('click', () => void reset());
  button('play').addEventListener('click', () => (playing ? pause() : play()));
  button('step').addEventListener('click', () => {
    pause();
    void controller.step();
  });
  button('back').addEventListener('click', () => {
    pause();
    void controller.back();
  });
  button('forward').addEventListener('click', () => {
    pause();
    void controller.forward();
  });
  input('cursor').addEventListener('input', () => {
    pause();
    void seek(Number(input('cursor').value));
  });
  button('partition').addEventListener('click', () => void controller.partition());
  button('heal').addEventListener('click', () => void controller.heal());
  button('crash').addEventListener('click', () => void controller.toggleCrash());
  select('crashHost').addEventListener('change', () => void serial(render));
  button('export').addEventListener('click', () => controller.exportTrace());
  button('compareSeed').addEventListener('click', () => controller.compareSeed().catch(() => {}));
  input('traceFile').addEventListener('change', async () => {
    const file = input('traceFile').files?.[0];
    if (file) controller.compareTrace(await file.text(), file.name).catch(() => {});
  });

  controller.ready = reset();
  return controller;
}
