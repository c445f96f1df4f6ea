// The playground page: controls + timeline, over a Run (scenarios.js) drawn by timeline.js.
import { Run, scenarios } from './scenarios.js';
import { drawTimeline, layout } from './timeline.js';

const html = `
<style>
  .playground { font: 14px system-ui, sans-serif; color: #222; padding: 0.5em 1em; background: #fff; }
  .playground h1 { font-size: 1.3em; margin: 0.3em 0; }
  .playground .controls { display: flex; flex-wrap: wrap; gap: 0.5em 1em; align-items: center; }
  .playground .status { font-family: monospace; color: #444; }
  .playground svg.timeline { border: 1px solid #ccc; background: #fff; display: block; }
</style>
<h1>evloop simulation playground</h1>
<form class="controls" onsubmit="return false">
  <label>scenario <select name="scenario"></select></label>
  <label>seed <input name="seed" type="number" value="42" step="1" style="width:6em"></label>
  <button type="button" name="reset">Reset</button>
  <button type="button" name="play">Play</button>
  <button type="button" name="step">Step</button>
  <label>speed <select name="speed">
    <option value="0.1">0.1×</option><option value="0.25">0.25×</option>
    <option value="0.5" selected>0.5×</option><option value="1">1×</option><option value="2">2×</option>
  </select></label>
  <span class="faults">
    <button type="button" name="partition">Partition</button>
    <button type="button" name="heal">Heal</button>
    <select name="crashHost"></select>
    <button type="button" name="crash">Crash</button>
  </span>
  <button type="button" name="export">Export trace</button>
</form>
<p class="status"></p>
<svg class="timeline" xmlns="http://www.w3.org/2000/svg"></svg>
`;

/**
 * Mounts the playground into `root`. `sim` is the "evloop/sim" module.
 * Returns a controller used by the buttons and by tests.
 */
export function mount(root, sim) {
  const container = document.createElement('div');
  container.className = 'playground';
  container.innerHTML = html;
  root.appendChild(container);
  const form = container.querySelector('form');
  const $ = (name) => form.elements.namedItem(name);
  const svg = container.querySelector('svg.timeline');
  const status = container.querySelector('.status');
  for (const [name, s] of Object.entries(scenarios)) {
    const option = document.createElement('option');
    option.value = name;
    option.textContent = s.label;
    $('scenario').appendChild(option);
  }

  let run = null;
  let playing = false;
  let frame = 0;
  let lastFrame = 0;
  let busy = Promise.resolve();

  // One driver call at a time: the simulation rejects overlapping ones.
  const serial = (fn) => (busy = busy.then(fn, fn));

  function render() {
    const model = layout(run.trace(), run.hosts, { end: run.now() });
    drawTimeline(svg, model);
    const host = $('crashHost').value;
    $('crash').textContent = run.isCrashed(host) ? 'Restart' : 'Crash';
    $('partition').textContent = `Partition ${run.hosts[0]} | ${run.hosts[1]}`;
    $('play').textContent = playing ? 'Pause' : 'Play';
    status.textContent =
      `${run.name}, seed ${run.seed}: t = ${run.now().toFixed(3)}s, ${run.simulation.events()} events, ` +
      `${model.calls.length} callbacks, ${model.arrows.length} messages, ${model.drops.length} drops, ${model.faults.length} faults`;
    return model;
  }

  function reset(name = $('scenario').value, seed = Number($('seed').value) || 0) {
    pause();
    return serial(() => {
      run?.close();
      $('scenario').value = name;
      $('seed').value = String(seed);
      run = new Run(sim, name, seed);
      const select = $('crashHost');
      select.replaceChildren(...run.hosts.map((h) => new Option(h, h)));
      select.value = run.hosts[run.hosts.length - 1];
      render();
    });
  }

  function pause() {
    playing = false;
    cancelAnimationFrame(frame);
    if (run) $('play').textContent = 'Play';
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
        await run.runFor(dt * Number($('speed').value));
        render();
      }).then(() => {
        if (playing) frame = requestAnimationFrame(tick);
      });
    };
    frame = requestAnimationFrame(tick);
  }

  const controller = {
    container,
    svg,
    get run() { return run; },
    reset,
    play,
    pause,
    /** Runs `seconds` of virtual time and redraws. */
    runFor: (seconds) => serial(async () => { await run.runFor(seconds); render(); }),
    step: () => serial(async () => { await run.step(); render(); }),
    partition: () => serial(() => { run.partition(); render(); }),
    heal: () => serial(() => { run.heal(); render(); }),
    toggleCrash: (host = $('crashHost').value) => serial(() => { run.toggleCrash(host); render(); }),
    exportTrace() {
      const json = JSON.stringify(run.trace());
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
      a.download = `evloop-${run.name}-seed${run.seed}.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 0);
      return json;
    },
    destroy() {
      pause();
      run?.close();
      container.remove();
    },
  };

  $('scenario').addEventListener('change', () => reset());
  $('seed').addEventListener('change', () => reset());
  $('reset').addEventListener('click', () => reset());
  $('play').addEventListener('click', () => (playing ? pause() : play()));
  $('step').addEventListener('click', () => { pause(); controller.step(); });
  $('partition').addEventListener('click', () => controller.partition());
  $('heal').addEventListener('click', () => controller.heal());
  $('crash').addEventListener('click', () => controller.toggleCrash());
  $('crashHost').addEventListener('change', () => serial(render));
  $('export').addEventListener('click', () => controller.exportTrace());

  controller.ready = reset();
  return controller;
}
