// The playground page: controls, the seek bar, the timeline, the inspector and the diff view,
// over a Session (seek.js: a run that can step back) drawn by timeline.js.
import { renderDiff } from './diff-view.js';
import { renderInspector } from './inspector.js';
import { html } from './page.js';
import { scenarios } from './scenarios.js';
import { exactDuration, Session, traceByTime } from './seek.js';
import { drawTimeline, layout } from './timeline.js';

/**
 * Mounts the playground into `root`. `sim` is the "evloop/sim" module;
 * `tools` holds its browser-safe tools (`diffTraces`, `exportTrace`,
 * `parseTrace`, `stringifyTrace`), by default taken from `sim`, which
 * re-exports them. Returns a controller used by the buttons and by tests.
 */
export function mount(root, sim, tools = sim) {
  const container = document.createElement('div');
  container.className = 'playground';
  container.innerHTML = html;
  root.appendChild(container);
  const [form, seekForm, compareForm] = container.querySelectorAll('form');
  const $ = (name) => form.elements.namedItem(name) ?? seekForm.elements.namedItem(name) ?? compareForm.elements.namedItem(name);
  const svg = container.querySelector('svg.timeline');
  const status = container.querySelector('.status');
  const inspector = container.querySelector('.inspector');
  const diffResult = container.querySelector('.diff-result');
  for (const [name, s] of Object.entries(scenarios)) {
    $('scenario').appendChild(new Option(s.label, name));
  }

  /** @type {Session} */
  let session = null;
  let playing = false;
  let frame = 0;
  let lastFrame = 0;
  let busy = Promise.resolve();
  let seekTarget = null;
  let diff = null;

  // One driver call at a time: the simulation rejects overlapping ones.
  const serial = (fn) => (busy = busy.then(fn, fn));

  function render() {
    const now = session.now();
    const model = layout(session.records, session.hosts, { end: session.horizonTime, now });
    const selected = session.selectedRecords();
    const ahead = session.ahead && session.ahead.length > session.records.length
      ? layout(session.ahead, session.hosts, { end: session.horizonTime })
      : undefined;
    drawTimeline(svg, model, { highlight: selected, ghost: ahead });
    renderInspector(inspector, {
      event: session.events, horizon: session.horizon, now, hosts: session.hosts,
      states: session.hostStates(), records: session.records, selected,
      actions: session.actions, applied: session.applied,
    });
    const host = $('crashHost').value;
    $('crash').textContent = session.run.isCrashed(host) ? 'Restart' : 'Crash';
    $('partition').textContent = `Partition ${session.hosts[0]} | ${session.hosts[1]}`;
    $('play').textContent = playing ? 'Pause' : 'Play';
    const cursor = $('cursor');
    cursor.max = String(session.horizon);
    cursor.value = String(session.events);
    $('position').value = `event ${session.events} / ${session.horizon}`;
    status.textContent =
      `${session.name}, seed ${session.seed}: t = ${now.toFixed(3)}s, ${session.events} events, ` +
      `${model.calls.length} callbacks, ${model.arrows.length} messages, ${model.drops.length} drops, ${model.faults.length} faults`;
    return model;
  }

  function reset(name = $('scenario').value, seed = Number($('seed').value) || 0) {
    pause();
    return serial(async () => {
      session?.close();
      $('scenario').value = name;
      $('seed').value = String(seed);
      session = new Session(sim, name, seed);
      await session.seek(0);
      diff = null;
      diffResult.replaceChildren();
      const select = $('crashHost');
      select.replaceChildren(...session.hosts.map((h) => new Option(h, h)));
      select.value = session.hosts[session.hosts.length - 1];
      render();
    });
  }

  function pause() {
    playing = false;
    cancelAnimationFrame(frame);
    if (session) $('play').textContent = 'Play';
  }

  function play() {
    playing = true;
    $('play').textContent = 'Pause';
    lastFrame = performance.now();
    const tick = (now) => {
      if (!playing) return;
      const dt = Math.min(0.1, (now - lastFrame) / 1000);
      lastFrame = now;
      serial(async () => {
        await session.runFor(dt * Number($('speed').value));
        render();
      }).then(() => {
        if (playing) frame = requestAnimationFrame(tick);
      });
    };
    frame = requestAnimationFrame(tick);
  }

  /** Seeks to event `k`; a burst of slider moves runs one seek, to the last position. */
  function seek(k) {
    seekTarget = k;
    return serial(async () => {
      if (seekTarget === null) return;
      const target = seekTarget;
      seekTarget = null;
      await session.seek(target);
      render();
    });
  }

  const fault = (f) => serial(async () => { await session.apply(f); render(); });

  function need(name) {
    if (typeof tools[name] !== 'function') throw new Error(`this build of evloop/sim has no ${name}()`);
    return tools[name];
  }

  /** Diffs the current run (at the cursor) with `other` and draws both. */
  function showDiff(other) {
    const a = { label: `${session.name} seed ${session.seed}`, records: session.records.slice() };
    const report = need('diffTraces')(a.records, other.records);
    diff = { a, b: other, report };
    renderDiff(diffResult, { a, b: other, hosts: session.hosts, report });
    return report;
  }

  function showError(error) {
    diffResult.replaceChildren();
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = error instanceof Error ? error.message : String(error);
    diffResult.appendChild(p);
    throw error;
  }

  const controller = {
    container,
    svg,
    inspector,
    diffResult,
    get run() { return session.run; },
    get session() { return session; },
    /** The last diff: `{ a, b, report }` (`report` from `diffTraces`), or null. */
    get diff() { return diff; },
    reset,
    play,
    pause,
    seek,
    /** Resolves once the calls queued so far (slider moves, clicks) are done. */
    idle: () => serial(() => {}),
    back: () => seek(Math.max(0, session.events - 1)),
    forward: () => serial(async () => { await session.step(); render(); }),
    /** Runs `seconds` of virtual time and redraws. */
    runFor: (seconds) => serial(async () => { await session.runFor(seconds); render(); }),
    step: () => serial(async () => { await session.step(); render(); }),
    partition: () => fault({ fault: 'partition', a: [session.hosts[0]], b: [session.hosts[1]] }),
    heal: () => fault({ fault: 'heal' }),
    toggleCrash: (host = $('crashHost').value) =>
      fault({ fault: session.run.isCrashed(host) ? 'restart' : 'crash', host }),
    /**
     * Diffs with the same scenario under `seed`, run to the same virtual time
     * with the same faults at the same times; resolves with the report.
     */
    compareSeed: (seed = Number($('otherSeed').value) || 0) => serial(async () => {
      $('otherSeed').value = String(seed);
      const records = seed === session.seed
        ? await recreate(session)
        : await traceByTime(sim, session.name, seed, session.actions.slice(0, session.applied), session.now());
      return showDiff({ label: `${session.name} seed ${seed}`, records });
    }).catch(showError),
    /** Diffs with a trace file (its text, or the parsed object); resolves with the report. */
    compareTrace: (file, label = 'trace file') => serial(() => {
      const trace = need('parseTrace')(file);
      return showDiff({ label, records: trace.records });
    }).catch(showError),
    /**
     * The trace file of the run at the cursor (the tools' format), as an object:
     * `evloop-sim replay <file> packages/playground/scenarios/<name>.mjs` re-runs it.
     */
    traceFile() {
      need('exportTrace');
      return session.traceFile(tools);
    },
    /** Downloads the trace file; returns its text. */
    exportTrace() {
      const text = need('stringifyTrace')(controller.traceFile());
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      a.download = `evloop-${session.name}-seed${session.seed}.json`;
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
  async function recreate(s) {
    const twin = new Session(sim, s.name, s.seed, s.actions.slice(0, s.applied));
    try {
      await twin.seek(s.events);
      if (twin.now() < s.now()) await twin.runFor(exactDuration(twin.now(), s.now()));
      return twin.records;
    } finally {
      twin.close();
    }
  }

  $('scenario').addEventListener('change', () => reset());
  $('seed').addEventListener('change', () => reset());
  $('reset').addEventListener('click', () => reset());
  $('play').addEventListener('click', () => (playing ? pause() : play()));
  $('step').addEventListener('click', () => { pause(); controller.step(); });
  $('back').addEventListener('click', () => { pause(); controller.back(); });
  $('forward').addEventListener('click', () => { pause(); controller.forward(); });
  $('cursor').addEventListener('input', () => { pause(); seek(Number($('cursor').value)); });
  $('partition').addEventListener('click', () => controller.partition());
  $('heal').addEventListener('click', () => controller.heal());
  $('crash').addEventListener('click', () => controller.toggleCrash());
  $('crashHost').addEventListener('change', () => serial(render));
  $('export').addEventListener('click', () => controller.exportTrace());
  $('compareSeed').addEventListener('click', () => controller.compareSeed().catch(() => {}));
  $('traceFile').addEventListener('change', async () => {
    const file = $('traceFile').files?.[0];
    if (file) controller.compareTrace(await file.text(), file.name).catch(() => {});
  });

  controller.ready = reset();
  return controller;
}
