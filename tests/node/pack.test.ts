// The package as users get it: `pnpm pack` makes a tarball, a fresh
// project installs it, and both entries ("evloop", "evloop/sim") import
// and typecheck from there, outside the workspace.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'evloop-pack-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('packed package', () => {
  it('installs from its tarball and works with types', () => {
    execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: join(root, 'packages/evloop'), stdio: 'pipe' });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const app = join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // npm installs a local tarball without reaching any registry (no dependencies).
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', join(work, tarball!)], { cwd: app, stdio: 'pipe' });

    writeFileSync(
      join(app, 'main.ts'),
      `import { newEventLoop, RuntimeError, type Handle } from "evloop";
import { SimLoop } from "evloop/sim";
const loop = newEventLoop();
const order: string[] = [];
const h: Handle = loop.callSoon(() => order.push("soon"));
loop.callLater(0.001, () => { order.push("later"); loop.stop(); });
await loop.runForever();
loop.close();
let closed = false;
try { loop.callSoon(() => {}); } catch (e) { closed = e instanceof RuntimeError; }
const sim = new SimLoop();
sim.callLater(3600, () => sim.stop());
sim.runForever();
console.log(JSON.stringify({ order, cancelled: h.cancelled(), closed, simTime: sim.time() }));
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true,
          outDir: 'dist', skipLibCheck: false, lib: ['ES2022', 'DOM'],
          // As a Node user's project has them: @types/node (Buffer, Symbol.asyncDispose).
          typeRoots: [join(root, 'node_modules/@types')], types: ['node'],
        },
        files: ['main.ts'],
      }),
    );
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], { stdio: 'pipe' });
    const out = execFileSync(process.execPath, [join(app, 'dist/main.js')], { cwd: app }).toString();
    expect(JSON.parse(out)).toEqual({ order: ['soon', 'later'], cancelled: false, closed: true, simTime: 3600 });
  }, 120_000);
});
