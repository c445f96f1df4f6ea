// The evloop-sim command: each subcommand's exit code (0 nothing found,
// 1 found, 2 usage) and output, run with node on the bin file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliBin, programUrl } from './sim-tools-helpers.js';

const root = resolve(import.meta.dirname, '../..');
const bin = cliBin;
const work = mkdtempSync(join(tmpdir(), 'evloop-sim-cli-'));
const program = (name: string) => fileURLToPath(programUrl(name));

afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('evloop-sim', () => {
  const a = join(work, 'a.json');
  const b = join(work, 'b.json');

  it('run writes a trace file; exit 1 when the property fails, 0 when it holds', () => {
    const failing = cli('run', program('stale-register'), '--seed', '8', '--families', 'partition', '--out', a);
    expect(failing.err).toContain('failure: NotLinearizable');
    expect(failing.code).toBe(1);
    const passing = cli('run', program('stale-register'), '--seed', '9', '--out', b);
    expect(passing.code).toBe(0);
    expect(JSON.parse(readFileSync(a, 'utf8')).format).toBe('evloop-sim-trace');
  });

  it('replay: exit 0 without a divergence, 1 with the first divergent record', () => {
    const same = cli('replay', a, program('stale-register'));
    expect(same.out).toContain('no divergence');
    expect(same.code).toBe(0);
    const changed = cli('replay', a, program('stale-register-changed'));
    expect(changed.code).toBe(1);
    expect(changed.out).toMatch(/diverged at record \d+:\n {2}expected: .*\n {2}actual: {3}t=0\.1 probe call name=planted/);
  });

  it('diff: exit 0 for the same trace, 1 for different ones', () => {
    const same = cli('diff', a, a);
    expect(same.code).toBe(0);
    expect(same.out).toMatch(/^identical: \d+ records/);
    const differ = cli('diff', a, b);
    expect(differ.code).toBe(1);
    expect(differ.out).toContain('traces differ');
    expect(differ.out).toContain('per host:');
  });

  it('shrink prints the minimal run as a replayable trace', () => {
    const out = join(work, 'min.json');
    const r = cli('shrink', program('stale-register'), '--seed', '8', '--families', 'partition', '--out', out);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/shrunk seed 8 in \d+ runs: faults 2 -> 1, workload 8 -> 2/);
    const min = JSON.parse(readFileSync(out, 'utf8'));
    expect(min.input.faults).toHaveLength(1);
    expect(cli('replay', out, program('stale-register')).code).toBe(0);
  });

  // Two commands, each starting worker threads: near vitest's default 5 s on a busy machine.
  it('sweep: exit 1 with the failing seeds, 0 when none fails; progress on stderr', () => {
    const dir = join(work, 'failures');
    const found = cli('sweep', program('stale-register'), '--seeds', '16', '--swarm', '--workers', '2', '--stop-after', '1', '--out', dir);
    expect(found.code).toBe(1);
    const seed = /seed (\d+) \[/.exec(found.out)?.[1];
    expect(seed).toBeDefined();
    expect(existsSync(join(dir, `seed-${seed}.json`))).toBe(true);
    expect(found.err).toMatch(/sweep: \d+\/16 seeds, 1 failure/);
    const none = cli('sweep', program('stale-register'), '--seeds', '4', '--workers', '2');
    expect(none.code).toBe(0);
    expect(none.out).toContain('4 seeds run, 0 failed');
  }, 60_000);

  it('exit 2 on a usage error', () => {
    const none = cli();
    expect(none.code).toBe(2);
    expect(none.out).toBe('');
    expect(none.err).toMatch(/^usage:/);
    expect(cli('frobnicate').code).toBe(2);
    expect(cli('replay', a).code).toBe(2);
    expect(cli('sweep', program('stale-register')).err).toContain('evloop-sim sweep: missing --seeds N');
    expect(cli('diff', a, join(work, 'missing.json')).code).toBe(2);
    expect(cli('--help').code).toBe(0);
  });

  // Fourteen commands, each starting Node and the wasm module: more than vitest's default 5 s on a busy machine.
  it('a usage error names the command and the argument, with no stack, and exits 2', () => {
    const noDefault = join(work, 'no-default.mjs');
    writeFileSync(noDefault, 'export const options = {};\n');
    const badJson = join(work, 'bad.json');
    writeFileSync(badJson, '{ not json');
    const notTrace = join(work, 'not-trace.json');
    writeFileSync(notTrace, '{ "a": 1 }');
    const missing = join(work, 'missing.json');
    const stale = program('stale-register');
    const cases: [string[], string][] = [
      [['run', join(work, 'missing.mjs'), '--seed', '1'], "evloop-sim run: <program.mjs> '"],
      [['run', noDefault, '--seed', '1'], 'must export a default async function'],
      [['run', stale, '--seed', 'x'], "evloop-sim run: --seed needs an integer >= 0, got 'x'"],
      [['run', stale, '--seed', '1', '--families', 'partiton'], "evloop-sim run: --families: unknown fault family 'partiton'"],
      [['run', stale, '--seed', '1', '--out', join(work, 'no-dir', 'a.json')], 'evloop-sim run: --out '],
      [['run'], 'evloop-sim run: expected <program.mjs>, got none'],
      [['replay', missing, stale], `evloop-sim replay: <trace.json> '${missing}': no such file`],
      [['replay', badJson, stale], `evloop-sim replay: <trace.json> '${badJson}': not a trace file`],
      [['replay', a, noDefault], 'evloop-sim replay: <program.mjs>'],
      [['diff', a, notTrace], `evloop-sim diff: <b.json> '${notTrace}': not a valid trace file`],
      [['shrink', stale, '--from', badJson], `evloop-sim shrink: --from '${badJson}': not a trace file`],
      [['sweep', noDefault, '--seeds', '2'], 'evloop-sim sweep: <program.mjs>'],
      [['sweep', stale, '--seeds', '2', '--swarm', '--families', 'loss,nope'], "evloop-sim sweep: --families: unknown fault family 'nope'"],
    ];
    for (const [args, message] of cases) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toContain(message);
      expect(r.err, args.join(' ')).toContain(`usage:\n  evloop-sim ${args[0]} `);
      expect(r.err, args.join(' ')).not.toMatch(/\n\s+at /);
    }
    expect(cli('run', noDefault, '--seed', '1').err).toContain(`'${noDefault}'`);
  }, 120_000);

  it('--name=value and per-command --help', () => {
    const r = cli('run', program('stale-register'), '--seed=9', `--out=${join(work, 'c.json')}`);
    expect(r.code).toBe(0);
    expect(r.err).toContain('seed 9:');
    const help = cli('diff', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toBe('usage:\n  evloop-sim diff <a.json> <b.json> [--context N]\n');
  });

  it('is linked for the workspace: pnpm exec evloop-sim', () => {
    const r = spawnSync('pnpm', ['exec', 'evloop-sim', 'diff', a, a], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toMatch(/^identical/);
    expect(r.status).toBe(0);
  });

  describe('relative paths are the caller\'s', () => {
    // A directory outside the workspace, and the paths from it to the program and to a trace.
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const rel = (path: string) => relative(elsewhere, path);
    const files = (name: string) => existsSync(join(elsewhere, name));

    it('from the cwd when nothing moved the process', () => {
      const r = spawnSync(process.execPath, [bin, 'run', rel(program('stale-register')), '--seed', '9', '--out', 'cwd.json'], {
        cwd: elsewhere,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.stderr).toContain('seed 9:');
      expect(r.status).toBe(0);
      expect(files('cwd.json')).toBe(true);
    });

    it('from the shell\'s directory when pnpm exec started the command in the project (-C, --filter, -w)', () => {
      // What pnpm -C <root> exec leaves a command: the project's directory as cwd, npm_command=exec,
      // and the PWD of the shell it was typed in.
      const env = { ...process.env, npm_command: 'exec', PWD: elsewhere, INIT_CWD: '' };
      const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
      const made = run('run', rel(program('stale-register')), '--seed', '9', '--out', 'pwd.json');
      expect(made.status).toBe(0);
      expect(files('pwd.json')).toBe(true);
      expect(existsSync(join(root, 'pwd.json'))).toBe(false);
      const replayed = run('replay', 'pwd.json', rel(program('stale-register')));
      expect(replayed.stdout).toContain('no divergence');
      expect(replayed.status).toBe(0);
      const missing = run('diff', 'pwd.json', 'nope.json');
      expect(missing.stderr).toContain("evloop-sim diff: <b.json> 'nope.json': no such file");
    });

    it('from the directory a package script was run in (INIT_CWD)', () => {
      const env = { ...process.env, npm_command: 'run-script', INIT_CWD: elsewhere };
      const r = spawnSync(process.execPath, [bin, 'run', rel(program('stale-register')), '--seed', '9', '--out', 'init.json'], {
        cwd: root,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status).toBe(0);
      expect(files('init.json')).toBe(true);
    });

    it('through pnpm: pnpm exec evloop-sim from a subdirectory of the workspace', () => {
      // A directory of the workspace that is no package: pnpm finds the bin from there.
      const sub = join(root, 'tests/sim-programs');
      const out = relative(sub, join(elsewhere, 'pnpm.json'));
      const r = spawnSync('pnpm', ['exec', 'evloop-sim', 'run', 'stale-register.mjs', '--seed', '9', '--out', out], {
        cwd: sub,
        env: { ...process.env, INIT_CWD: '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.stderr).toContain('seed 9:');
      expect(r.status).toBe(0);
      expect(files('pnpm.json')).toBe(true);
    });
  });
});
