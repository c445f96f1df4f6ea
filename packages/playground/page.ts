// The playground's markup and styles (app.ts wires them up).

export const html: string = `
<style>
  .playground { font: 14px system-ui, sans-serif; color: #222; padding: 0.5em 1em; background: #fff; }
  .playground h1 { font-size: 1.3em; margin: 0.3em 0; }
  .playground h2 { font-size: 1em; margin: 0.2em 0; font-family: monospace; }
  .playground h3 { font-size: 0.95em; margin: 0.5em 0 0.2em; }
  .playground .controls, .playground .seek, .playground .compare {
    display: flex; flex-wrap: wrap; gap: 0.5em 1em; align-items: center; margin: 0.3em 0;
  }
  .playground .seek input[type=range] { flex: 1; min-width: 12em; max-width: 40em; }
  .playground .status, .playground output { font-family: monospace; color: #444; }
  .playground svg.timeline { border: 1px solid #ccc; background: #fff; display: block; }
  .playground .panels { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
  .playground section { border: 1px solid #ddd; padding: 0.3em 0.6em; margin-top: 0.5em; }
  .playground .inspector { min-width: 30em; max-width: 960px; }
  .playground .diff { flex-basis: 100%; max-width: 960px; }
  .playground ol.records { font: 12px monospace; margin: 0.2em 0; padding-left: 3.5em; color: #5b1577; }
  .playground table { border-collapse: collapse; font: 12px monospace; }
  .playground th, .playground td { border-top: 1px solid #eee; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
  .playground td ol { margin: 0; padding-left: 1.6em; }
  .playground ul.actions { font: 12px monospace; margin: 0.2em 0; padding-left: 1.2em; color: #b36b00; }
  .playground ul.actions li.ahead { color: #bbb; }
  .playground li.empty { color: #999; list-style: none; margin-left: -1.6em; }
  .playground .summary.differs { color: #a00; font-family: monospace; }
  .playground .summary.same { color: #2e7d32; font-family: monospace; }
  .playground tr.differs th { color: #a00; }
  .playground .error { color: #a00; }
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
<form class="seek" onsubmit="return false">
  <button type="button" name="back" title="one event back (re-runs from the start)">◀ Back</button>
  <input type="range" name="cursor" min="0" max="0" value="0" step="1" aria-label="event">
  <button type="button" name="forward" title="one event forward">Forward ▶</button>
  <output name="position"></output>
</form>
<p class="status"></p>
<svg class="timeline" xmlns="http://www.w3.org/2000/svg"></svg>
<div class="panels">
  <section class="inspector"></section>
  <section class="diff">
    <form class="compare" onsubmit="return false">
      <label>compare with seed <input name="otherSeed" type="number" value="1" step="1" style="width:6em"></label>
      <button type="button" name="compareSeed">Compare</button>
      <label>or a trace file <input name="traceFile" type="file" accept=".json,application/json"></label>
    </form>
    <div class="diff-result"></div>
  </section>
</div>
`;
