// Hardening (docs/reliability.md): bad input across the whole TypeScript API.
// The table is in hardening-bad-input.cases.ts; each group runs here on its
// own loop, then the whole table runs in a child `node`, whose exit code and
// stderr show that no input aborted the process or printed a Rust panic.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cases, runTable } from './hardening-bad-input.cases.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

describe('bad input: every public call, table-driven', () => {
  const rows = cases();
  const groups = [...new Set(rows.map((r) => r.group))];

  it('covers every group of the API with enough rows', () => {
    expect(groups).toEqual(
      expect.arrayContaining(['loop scheduling', 'loop fds', 'loop state', 'closed loop', 'Future', 'createServer',
        'createConnection', 'Server', 'Transport', 'TransportSocket', 'streams', 'run and policies', 'LoopRemote', 'errors']),
    );
    expect(rows.length).toBeGreaterThan(300);
  });

  for (const group of groups) {
    it(`${group}: a clear error (class and message), and the loop keeps working`, async () => {
      const result = await runTable(rows.filter((r) => r.group === group));
      expect(result.failures).toEqual([]);
    });
  }

  it('the whole table in a child process: exit 0, no panic, no abort', async () => {
    // Node 20 cannot run TypeScript: strip the types (as examples/run.mjs does).
    const { default: ts } = await import('typescript');
    const outDir = path.join(root, 'node_modules', '.cache', 'evloop-hardening');
    fs.mkdirSync(outDir, { recursive: true });
    const source = fs.readFileSync(path.join(here, 'hardening-bad-input.cases.ts'), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const file = path.join(outDir, 'bad-input-cases.mjs');
    fs.writeFileSync(file, outputText);
    const { code, signal, stdout, stderr } = await new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          ['--input-type=module', '-e', `import(${JSON.stringify(file)}).then((m) => m.main())`],
          { cwd: root, timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
          (err, out, errOut) => {
            const c = err ? (typeof err.code === 'number' ? err.code : null) : 0;
            resolve({ code: c, signal: err?.signal ?? null, stdout: out, stderr: errOut });
          },
        );
      },
    );
    expect(stderr).not.toMatch(/panicked|RUST_BACKTRACE|Aborted|FATAL ERROR|Segmentation fault|core dumped/);
    expect(signal).toBeNull();
    const last = stdout.trim().split('\n').pop() ?? '';
    const result = JSON.parse(last) as { total: number; failures: string[] };
    expect(result.failures).toEqual([]);
    expect(result.total).toBeGreaterThan(300);
    expect(code).toBe(0);
  }, 150_000);
});
