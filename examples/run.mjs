// Runs an example: `pnpm -s example NAME [args...]` (no NAME: the demo).
//
// `examples/NAME.mjs` runs as is. `examples/NAME.ts` is turned into
// JavaScript first: Node 20 cannot run TypeScript, so its type annotations
// are stripped with the TypeScript compiler's transpileModule (no type
// check here: `tsc -p examples` does that, and the test suite runs it) into
// node_modules/.cache/evloop-examples/, where `import 'evloop'` resolves
// to the workspace package. The example then runs as a child process with
// the remaining arguments; signals are passed on, its exit code returned.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const [name = 'demo', ...args] = process.argv.slice(2);

if (!/^[\w-]+$/.test(name)) {
  console.error(`example: bad name '${name}'`);
  process.exit(2);
}

async function entry() {
  const mjs = path.join(here, `${name}.mjs`);
  if (fs.existsSync(mjs)) return mjs;
  const ts = path.join(here, `${name}.ts`);
  if (!fs.existsSync(ts)) {
    const known = fs.readdirSync(here).filter((f) => /\.(ts|mjs)$/.test(f) && f !== 'run.mjs');
    console.error(`example: no examples/${name}.ts or .mjs (there are: ${known.map((f) => f.replace(/\.\w+$/, '')).join(', ')})`);
    process.exit(2);
  }
  const outDir = path.join(root, 'node_modules', '.cache', 'evloop-examples');
  const out = path.join(outDir, `${name}.mjs`);
  const stale = !fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(ts).mtimeMs;
  if (stale) {
    const { default: typescript } = await import('typescript');
    const source = fs.readFileSync(ts, 'utf8');
    const { outputText } = typescript.transpileModule(source, {
      fileName: ts,
      compilerOptions: {
        module: typescript.ModuleKind.ESNext,
        target: typescript.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(out, outputText);
  }
  return out;
}

const child = spawn(process.execPath, [await entry(), ...args], { stdio: 'inherit', cwd: process.cwd() });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  if (signal !== null) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
