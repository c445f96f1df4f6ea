#!/usr/bin/env node
// evloop-sim: the simulation tools from a shell (docs/simulation.md, "Tools").
// Exit codes: 0 nothing found (no divergence, same traces, no failure),
// 1 something found (a divergence, a difference, a failing seed), 2 a usage
// error or a run that could not be made. A usage error names the command and
// the argument, and is followed by that command's usage only. Relative paths
// are the caller's (caller-dir.ts): messages show them as given.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { unknownFamilies } from '../../sim/tools/nemesis.js';
import { failureLine } from '../../sim/tools/trace-file.js';
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
  type ProgramModule,
  type TraceFile,
} from '../sim-tools.js';
import { callerDir } from './caller-dir.js';
import { parseArgs, positionals, UsageError } from './cli-args.js';

const here = callerDir();
/** A path of the command line, as the file system needs it. */
const at = (path: string): string => resolve(here, path);

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const codeOf = (e: unknown): unknown => (e !== null && typeof e === 'object' ? (e as { code?: unknown }).code : undefined);

/** Reads and checks a trace file; `what` is the argument it came from (`<a.json>`, `--from`). */
function readTrace(command: string, what: string, path: string): TraceFile {
  let text: string;
  try {
    text = readFileSync(at(path), 'utf8');
  } catch (e) {
    throw new UsageError(command, `${what} '${path}': ${codeOf(e) === 'ENOENT' ? 'no such file' : messageOf(e)}`);
  }
  try {
    return parseTrace(text);
  } catch (e) {
    throw new UsageError(command, `${what} '${path}': ${messageOf(e)}`);
  }
}

/** Imports a program module and checks its shape (a default export, options, workload). */
async function importProgram(command: string, path: string): Promise<ProgramModule> {
  const what = `<program.mjs> '${path}'`;
  if (!existsSync(at(path))) throw new UsageError(command, `${what}: no such file`);
  let mod: ProgramModule;
  try {
    // Whatever the file exports: loadProgram checks the shape.
    mod = (await import(pathToFileURL(at(path)).href)) as ProgramModule;
  } catch (e) {
    throw new UsageError(command, `${what} could not be imported: ${messageOf(e)}`);
  }
  try {
    loadProgram(mod);
  } catch (e) {
    throw new UsageError(command, `${what}: ${messageOf(e)}`);
  }
  return mod;
}

function families(command: string, flags: { families?: string }): string[] | undefined {
  if (flags.families === undefined) return undefined;
  const list = flags.families.split(',').filter(Boolean);
  const unknown = unknownFamilies(list);
  if (unknown.length > 0) {
    throw new UsageError(command, `--families: unknown fault family '${unknown[0]}' (known: ${FAULT_FAMILIES.join(', ')})`);
  }
  return list;
}

const say = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

function writeTrace(command: string, path: string | undefined, trace: TraceFile): void {
  if (path === undefined) {
    process.stdout.write(stringifyTrace(trace));
    return;
  }
  try {
    writeFileSync(at(path), stringifyTrace(trace));
  } catch (e) {
    throw new UsageError(command, `--out '${path}': ${messageOf(e)}`);
  }
}

interface Command {
  usage: string;
  main(argv: string[]): Promise<number>;
}

const RUN = { seed: 'int', swarm: 'flag', families: 'text', out: 'text' } as const;
const SHRINK = { seed: 'int', swarm: 'flag', families: 'text', from: 'text', out: 'text' } as const;
const SWEEP = { seeds: 'int', first: 'int', swarm: 'flag', families: 'text', workers: 'int', 'stop-after': 'int', out: 'text', shard: 'text' } as const;

/** `--shard i/n` (1 <= i <= n), as test runners take it. */
function shardArg(text: string | undefined): [number, number] | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!(n >= 1 && i >= 1 && i <= n)) throw new UsageError('sweep', `--shard: expected i/n with 1 <= i <= n, got '${text}'`);
  return [i, n];
}

const commands: Record<string, Command> = {
  run: {
    usage: 'run <program.mjs> --seed N [--swarm] [--families f,g] [--out trace.json]',
    async main(argv) {
      const { positional, flags } = parseArgs('run', argv, RUN);
      const [programPath] = positionals('run', positional, ['<program.mjs>']) as [string];
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
      const [tracePath, programPath] = positionals('replay', positional, ['<trace.json>', '<program.mjs>']) as [string, string];
      const trace = readTrace('replay', '<trace.json>', tracePath);
      const report = await replay(trace, await importProgram('replay', programPath));
      console.log(renderReplay(report));
      return report.diverged === null ? 0 : 1;
    },
  },

  diff: {
    usage: 'diff <a.json> <b.json> [--context N]',
    async main(argv) {
      const { positional, flags } = parseArgs('diff', argv, { context: 'int' } as const);
      const [a, b] = positionals('diff', positional, ['<a.json>', '<b.json>']) as [string, string];
      const report = diffTraces(readTrace('diff', '<a.json>', a), readTrace('diff', '<b.json>', b), { context: flags.context });
      console.log(renderDiff(report, { labels: ['a', 'b'] }));
      return report.identical ? 0 : 1;
    },
  },

  shrink: {
    usage: 'shrink <program.mjs> --seed N [--swarm] [--families f,g] [--from trace.json] [--out trace.json]',
    async main(argv) {
      const { positional, flags } = parseArgs('shrink', argv, SHRINK);
      const [programPath] = positionals('shrink', positional, ['<program.mjs>']) as [string];
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
                   [--stop-after M] [--shard i/n] [--out dir]`,
    async main(argv) {
      const { positional, flags } = parseArgs('sweep', argv, SWEEP);
      const [programPath] = positionals('sweep', positional, ['<program.mjs>']) as [string];
      if (flags.seeds === undefined) throw new UsageError('sweep', 'missing --seeds N');
      const fam = families('sweep', flags);
      const shard = shardArg(flags.shard);
      // Checked here, once, so that a bad module is a usage error rather than every worker's failure.
      await importProgram('sweep', programPath);
      const out = flags.out;
      if (out !== undefined) {
        try {
          mkdirSync(at(out), { recursive: true });
        } catch (e) {
          throw new UsageError('sweep', `--out '${out}': ${messageOf(e)}`);
        }
      }
      const result = await sweep({
        program: pathToFileURL(at(programPath)),
        seeds: flags.seeds,
        firstSeed: flags.first ?? 0,
        swarm: Boolean(flags.swarm),
        families: fam,
        workers: flags.workers || undefined,
        stopAfter: flags['stop-after'] || undefined,
        shard,
        progress: true,
      });
      for (const f of result.failures) {
        let saved = '';
        if (out !== undefined) {
          const file = join(out, `seed-${f.seed}.json`);
          writeFileSync(at(file), stringifyTrace(f.trace));
          saved = ` -> ${file}`;
        }
        console.log(`seed ${f.seed} [${f.families.join(',') || 'no faults'}]: ${failureLine(f.error)}${saved}`);
      }
      const of = shard === undefined ? '' : ` (shard ${shard[0]}/${shard[1]})`;
      console.log(`${result.runs} seeds run${of}, ${result.failures.length} failed`);
      return result.failures.length === 0 ? 0 : 1;
    },
  },
};

const usage = (names: string[]): string => `usage:\n${names.map((n) => `  evloop-sim ${commands[n]?.usage}`).join('\n')}`;
const USAGE = `${usage(Object.keys(commands))}\nfault families: ${FAULT_FAMILIES.join(', ')}`;
const isHelp = (arg: string): boolean => arg === '--help' || arg === '-h';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    say(USAGE);
    return 2;
  }
  if (isHelp(name) || name === 'help') {
    console.log(USAGE);
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) throw new UsageError(undefined, `unknown command '${name}' (commands: ${Object.keys(commands).join(', ')})`);
  if (rest.some(isHelp)) {
    console.log(usage([name]));
    return 0;
  }
  return command.main(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      say(`evloop-sim${e.command === undefined ? '' : ` ${e.command}`}: ${e.message}`);
      say(e.command === undefined ? USAGE : usage([e.command]));
    } else {
      say(`evloop-sim ${process.argv[2]}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    process.exitCode = 2;
  },
);
