#!/usr/bin/env node
// evloop-sim: the simulation tools from a shell (docs/simulation.md, "Tools").
// Exit codes: 0 nothing found (no divergence, same traces, no failure),
// 1 something found (a divergence, a difference, a failing seed), 2 a usage
// error or a run that could not be made.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  diffTraces,
  FAULT_FAMILIES,
  parseTrace,
  planInput,
  renderDiff,
  renderReplay,
  replay,
  runProgram,
  shrink,
  stringifyTrace,
  sweep,
} from '../sim/tools/node.js';

const USAGE = `usage:
  evloop-sim run <program.mjs> --seed N [--swarm] [--families f,g] [--out trace.json]
  evloop-sim replay <trace.json> <program.mjs>
  evloop-sim diff <a.json> <b.json> [--context N]
  evloop-sim shrink <program.mjs> --seed N [--swarm] [--families f,g] [--from trace.json] [--out trace.json]
  evloop-sim sweep <program.mjs> --seeds N [--first S] [--swarm] [--families f,g] [--workers K]
                   [--stop-after M] [--out dir]
fault families: ${FAULT_FAMILIES.join(', ')}`;

class UsageError extends Error {}

/** `--name value` and `--flag` options after the positional arguments. */
function parseArgs(argv, spec) {
  const positional = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const name = arg.slice(2);
    if (!(name in spec)) throw new UsageError(`unknown option ${arg}`);
    if (spec[name] === 'flag') {
      flags[name] = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`${arg} needs a value`);
    flags[name] = spec[name] === 'int' ? intArg(arg, value) : value;
  }
  return { positional, flags };
}

function intArg(name, value) {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${name} needs an integer >= 0, got ${value}`);
  return n;
}

function need(positional, count, what) {
  if (positional.length !== count) throw new UsageError(`expected ${what}`);
  return positional;
}

const readTrace = (path) => parseTrace(readFileSync(path, 'utf8'));
const importProgram = (path) => import(pathToFileURL(resolve(path)).href);
const families = (flags) => (flags.families === undefined ? undefined : flags.families.split(',').filter(Boolean));
const say = (text) => process.stderr.write(`${text}\n`);
// The first line: a property's message may explain at length; the trace file keeps all of it.
const failureText = (f) => (f ? `${f.name}: ${f.message.split('\n')[0]}` : 'none');

function writeTrace(path, trace) {
  if (path === undefined) process.stdout.write(stringifyTrace(trace));
  else writeFileSync(path, stringifyTrace(trace));
}

const commands = {
  async run(argv) {
    const { positional, flags } = parseArgs(argv, { seed: 'int', swarm: 'flag', families: 'text', out: 'text' });
    const [programPath] = need(positional, 1, 'a program module');
    if (flags.seed === undefined) throw new UsageError('run needs --seed N');
    const program = await importProgram(programPath);
    const input = await planInput(program, flags.seed, { swarm: Boolean(flags.swarm), families: families(flags) });
    const { trace, error } = await runProgram(program, { seed: flags.seed, input });
    writeTrace(flags.out, trace);
    say(`seed ${flags.seed}: ${trace.records.length} records, failure: ${failureText(trace.failure)}`);
    return error === null ? 0 : 1;
  },

  async replay(argv) {
    const { positional } = parseArgs(argv, {});
    const [tracePath, programPath] = need(positional, 2, 'a trace file and a program module');
    const report = await replay(readTrace(tracePath), await importProgram(programPath));
    console.log(renderReplay(report));
    return report.diverged === null ? 0 : 1;
  },

  async diff(argv) {
    const { positional, flags } = parseArgs(argv, { context: 'int' });
    const [a, b] = need(positional, 2, 'two trace files');
    const report = diffTraces(readTrace(a), readTrace(b), { context: flags.context });
    console.log(renderDiff(report, { labels: ['a', 'b'] }));
    return report.identical ? 0 : 1;
  },

  async shrink(argv) {
    const { positional, flags } = parseArgs(argv, { seed: 'int', swarm: 'flag', families: 'text', from: 'text', out: 'text' });
    const [programPath] = need(positional, 1, 'a program module');
    const from = flags.from === undefined ? undefined : readTrace(flags.from);
    const seed = flags.seed ?? from?.seed;
    if (seed === undefined) throw new UsageError('shrink needs --seed N (or --from a trace file that has its seed)');
    const trace = await shrink({
      program: await importProgram(programPath),
      seed,
      input: from?.input,
      swarm: Boolean(flags.swarm),
      families: families(flags),
    });
    writeTrace(flags.out, trace);
    const { from: a, to: b, runs } = trace.shrink;
    say(`shrunk seed ${seed} in ${runs} runs: faults ${a.faults} -> ${b.faults}, workload ${a.workload} -> ${b.workload}`);
    say(`failure: ${failureText(trace.failure)}`);
    return 0;
  },

  async sweep(argv) {
    const spec = { seeds: 'int', first: 'int', swarm: 'flag', families: 'text', workers: 'int', 'stop-after': 'int', out: 'text' };
    const { positional, flags } = parseArgs(argv, spec);
    const [programPath] = need(positional, 1, 'a program module');
    if (flags.seeds === undefined) throw new UsageError('sweep needs --seeds N');
    const result = await sweep({
      program: programPath,
      seeds: flags.seeds,
      firstSeed: flags.first ?? 0,
      swarm: Boolean(flags.swarm),
      families: families(flags),
      workers: flags.workers || undefined,
      stopAfter: flags['stop-after'] || undefined,
      progress: true,
    });
    if (flags.out !== undefined) mkdirSync(flags.out, { recursive: true });
    for (const f of result.failures) {
      const saved = flags.out === undefined ? '' : ` -> ${join(flags.out, `seed-${f.seed}.json`)}`;
      if (flags.out !== undefined) writeFileSync(join(flags.out, `seed-${f.seed}.json`), stringifyTrace(f.trace));
      console.log(`seed ${f.seed} [${f.families.join(',') || 'no faults'}]: ${failureText(f.error)}${saved}`);
    }
    console.log(`${result.runs} seeds run, ${result.failures.length} failed`);
    return result.failures.length === 0 ? 0 : 1;
  },
};

async function main(argv) {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) throw new UsageError(`unknown command '${name}'`);
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    if (e instanceof UsageError) say(`evloop-sim: ${e.message}\n${USAGE}`);
    else say(`evloop-sim: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 2;
  },
);
