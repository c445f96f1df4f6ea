#!/usr/bin/env node
// evloop-sim: the simulation tools from a shell (docs/simulation.md, "Tools").
// Exit codes: 0 nothing found (no divergence, same traces, no failure),
// 1 something found (a divergence, a difference, a failing seed), 2 a usage
// error or a run that could not be made. A usage error names the command and
// the argument, and is followed by that command's usage only.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  diffTraces,
  FAULT_FAMILIES,
  loadProgram,
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
import { unknownFamilies } from '../sim/tools/nemesis.js';
import { failureLine } from '../sim/tools/trace-file.js';

/** A bad command line or input file: `evloop-sim <command>: <message>`, exit 2, no stack. */
class UsageError extends Error {
  constructor(command, message) {
    super(message);
    this.command = command;
  }
}

/** `--name value` (or `--name=value`) and `--flag` options among the positional arguments. */
function parseArgs(command, argv, spec) {
  const positional = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!Object.hasOwn(spec, name)) throw new UsageError(command, `unknown option --${name}`);
    if (spec[name] === 'flag') {
      if (eq >= 0) throw new UsageError(command, `--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(command, `--${name} needs a value`);
    flags[name] = spec[name] === 'int' ? intArg(command, name, value) : value;
  }
  return { positional, flags };
}

function intArg(command, name, value) {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(command, `--${name} needs an integer >= 0, got '${value}'`);
  }
  return n;
}

/** The positional arguments, exactly as many as `names` (`<trace.json>`, ...). */
function positionals(command, positional, names) {
  if (positional.length !== names.length) {
    const got = positional.length === 0 ? 'none' : positional.map((p) => `'${p}'`).join(' ');
    throw new UsageError(command, `expected ${names.join(' ')}, got ${got}`);
  }
  return positional;
}

/** Reads and checks a trace file; `what` is the argument it came from (`<a.json>`, `--from`). */
function readTrace(command, what, path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(command, `${what} '${path}': ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  try {
    return parseTrace(text);
  } catch (e) {
    throw new UsageError(command, `${what} '${path}': ${e.message}`);
  }
}

/** Imports a program module and checks its shape (a default export, options, workload). */
async function importProgram(command, path) {
  const what = `<program.mjs> '${path}'`;
  if (!existsSync(path)) throw new UsageError(command, `${what}: no such file`);
  let mod;
  try {
    mod = await import(pathToFileURL(resolve(path)).href);
  } catch (e) {
    throw new UsageError(command, `${what} could not be imported: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    loadProgram(mod);
  } catch (e) {
    throw new UsageError(command, `${what}: ${e.message}`);
  }
  return mod;
}

function families(command, flags) {
  if (flags.families === undefined) return undefined;
  const list = flags.families.split(',').filter(Boolean);
  const unknown = unknownFamilies(list);
  if (unknown.length > 0) {
    throw new UsageError(command, `--families: unknown fault family '${unknown[0]}' (known: ${FAULT_FAMILIES.join(', ')})`);
  }
  return list;
}

const say = (text) => process.stderr.write(`${text}\n`);

function writeTrace(command, path, trace) {
  if (path === undefined) {
    process.stdout.write(stringifyTrace(trace));
    return;
  }
  try {
    writeFileSync(path, stringifyTrace(trace));
  } catch (e) {
    throw new UsageError(command, `--out '${path}': ${e.message}`);
  }
}

const commands = {
  run: {
    usage: 'run <program.mjs> --seed N [--swarm] [--families f,g] [--out trace.json]',
    async main(argv) {
      const { positional, flags } = parseArgs('run', argv, { seed: 'int', swarm: 'flag', families: 'text', out: 'text' });
      const [programPath] = positionals('run', positional, ['<program.mjs>']);
      if (flags.seed === undefined) throw new UsageError('run', 'missing --seed N');
      const options = { swarm: Boolean(flags.swarm), families: families('run', flags) };
      const program = await importProgram('run', programPath);
      const input = await planInput(program, flags.seed, options);
      const { trace, error } = await runProgram(program, { seed: flags.seed, input });
      writeTrace('run', flags.out, trace);
      say(`seed ${flags.seed}: ${trace.records.length} records, failure: ${failureLine(trace.failure)}`);
      return error === null ? 0 : 1;
    },
  },

  replay: {
    usage: 'replay <trace.json> <program.mjs>',
    async main(argv) {
      const { positional } = parseArgs('replay', argv, {});
      const [tracePath, programPath] = positionals('replay', positional, ['<trace.json>', '<program.mjs>']);
      const trace = readTrace('replay', '<trace.json>', tracePath);
      const report = await replay(trace, await importProgram('replay', programPath));
      console.log(renderReplay(report));
      return report.diverged === null ? 0 : 1;
    },
  },

  diff: {
    usage: 'diff <a.json> <b.json> [--context N]',
    async main(argv) {
      const { positional, flags } = parseArgs('diff', argv, { context: 'int' });
      const [a, b] = positionals('diff', positional, ['<a.json>', '<b.json>']);
      const report = diffTraces(readTrace('diff', '<a.json>', a), readTrace('diff', '<b.json>', b), { context: flags.context });
      console.log(renderDiff(report, { labels: ['a', 'b'] }));
      return report.identical ? 0 : 1;
    },
  },

  shrink: {
    usage: 'shrink <program.mjs> --seed N [--swarm] [--families f,g] [--from trace.json] [--out trace.json]',
    async main(argv) {
      const spec = { seed: 'int', swarm: 'flag', families: 'text', from: 'text', out: 'text' };
      const { positional, flags } = parseArgs('shrink', argv, spec);
      const [programPath] = positionals('shrink', positional, ['<program.mjs>']);
      const from = flags.from === undefined ? undefined : readTrace('shrink', '--from', flags.from);
      const seed = flags.seed ?? from?.seed;
      if (seed === undefined) throw new UsageError('shrink', 'missing --seed N (or --from a trace file that has its seed)');
      const fam = families('shrink', flags);
      const trace = await shrink({
        program: await importProgram('shrink', programPath),
        seed,
        input: from?.input,
        swarm: Boolean(flags.swarm),
        families: fam,
      });
      writeTrace('shrink', flags.out, trace);
      const { from: a, to: b, runs } = trace.shrink;
      say(`shrunk seed ${seed} in ${runs} runs: faults ${a.faults} -> ${b.faults}, workload ${a.workload} -> ${b.workload}`);
      say(`failure: ${failureLine(trace.failure)}`);
      return 0;
    },
  },

  sweep: {
    usage: `sweep <program.mjs> --seeds N [--first S] [--swarm] [--families f,g] [--workers K]
                   [--stop-after M] [--out dir]`,
    async main(argv) {
      const spec = { seeds: 'int', first: 'int', swarm: 'flag', families: 'text', workers: 'int', 'stop-after': 'int', out: 'text' };
      const { positional, flags } = parseArgs('sweep', argv, spec);
      const [programPath] = positionals('sweep', positional, ['<program.mjs>']);
      if (flags.seeds === undefined) throw new UsageError('sweep', 'missing --seeds N');
      const fam = families('sweep', flags);
      // Checked here, once, so that a bad module is a usage error rather than every worker's failure.
      await importProgram('sweep', programPath);
      if (flags.out !== undefined) {
        try {
          mkdirSync(flags.out, { recursive: true });
        } catch (e) {
          throw new UsageError('sweep', `--out '${flags.out}': ${e.message}`);
        }
      }
      const result = await sweep({
        program: programPath,
        seeds: flags.seeds,
        firstSeed: flags.first ?? 0,
        swarm: Boolean(flags.swarm),
        families: fam,
        workers: flags.workers || undefined,
        stopAfter: flags['stop-after'] || undefined,
        progress: true,
      });
      for (const f of result.failures) {
        let saved = '';
        if (flags.out !== undefined) {
          const file = join(flags.out, `seed-${f.seed}.json`);
          writeFileSync(file, stringifyTrace(f.trace));
          saved = ` -> ${file}`;
        }
        console.log(`seed ${f.seed} [${f.families.join(',') || 'no faults'}]: ${failureLine(f.error)}${saved}`);
      }
      console.log(`${result.runs} seeds run, ${result.failures.length} failed`);
      return result.failures.length === 0 ? 0 : 1;
    },
  },
};

const usage = (names) => `usage:\n${names.map((n) => `  evloop-sim ${commands[n].usage}`).join('\n')}`;
const USAGE = `${usage(Object.keys(commands))}\nfault families: ${FAULT_FAMILIES.join(', ')}`;
const isHelp = (arg) => arg === '--help' || arg === '-h';

async function main(argv) {
  const [name, ...rest] = argv;
  if (name === undefined) {
    say(USAGE);
    return 2;
  }
  if (isHelp(name) || name === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (!Object.hasOwn(commands, name)) throw new UsageError(undefined, `unknown command '${name}' (commands: ${Object.keys(commands).join(', ')})`);
  if (rest.some(isHelp)) {
    console.log(usage([name]));
    return 0;
  }
  return commands[name].main(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    if (e instanceof UsageError) {
      say(`evloop-sim${e.command === undefined ? '' : ` ${e.command}`}: ${e.message}`);
      say(e.command === undefined ? USAGE : usage([e.command]));
    } else {
      say(`evloop-sim ${process.argv[2]}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    process.exitCode = 2;
  },
);
