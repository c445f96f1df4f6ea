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
      `import { newEventLoop, RuntimeError, SelectorEventLoop, type Handle, type Protocol, type Transport } from "evloop";
import { SimLoop, Simulation } from "evloop/sim";

// One Protocol class, used unchanged on a real loop and on a simulated host.
class Echo implements Protocol {
  transport: Transport | null = null;
  connectionMade(transport: Transport): void { this.transport = transport; }
  dataReceived(data: Uint8Array): void { this.transport?.write(data); }
}
class Client implements Protocol {
  received = "";
  done: (text: string) => void = () => {};
  dataReceived(data: Uint8Array): void {
    this.received += new TextDecoder().decode(data);
    if (this.received.length >= 4) this.done(this.received);
  }
}

const loop = newEventLoop();
const order: string[] = [];
const h: Handle = loop.callSoon(() => order.push("soon"));
loop.callLater(0.001, () => { order.push("later"); loop.stop(); });
await loop.runForever();
loop.close();
let closed = false;
try { loop.callSoon(() => {}); } catch (e) { closed = e instanceof RuntimeError; }

const real = new SelectorEventLoop();
const realEcho = await real.runUntilComplete((async () => {
  const server = await real.createServer(() => new Echo(), "127.0.0.1", 0);
  const address = server.sockets[0]!.getsockname();
  const port = typeof address === "string" ? 0 : address.port;
  const [transport, client] = await real.createConnection(() => new Client(), "127.0.0.1", port);
  const text = await new Promise<string>((resolve) => { client.done = resolve; transport.write(new TextEncoder().encode("ping")); });
  transport.close();
  server.close();
  return text;
})());
real.close();

const sim = new Simulation({ seed: 1 });
sim.host("server", async (host) => {
  const server = await host.createServer(() => new Echo(), null, 8080);
  await server.serveForever();
});
const client = sim.host("client");
const simEcho = await sim.runUntilComplete((async () => {
  const [transport, c] = await client.createConnection(() => new Client(), "server", 8080);
  return new Promise<string>((resolve) => { c.done = resolve; transport.write(new TextEncoder().encode("pong")); });
})());

const simLoop = new SimLoop();
simLoop.callLater(3600, () => simLoop.stop());
simLoop.runForever();
console.log(JSON.stringify({ order, cancelled: h.cancelled(), closed, realEcho, simEcho, simTime: simLoop.time() }));
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
    expect(JSON.parse(out)).toEqual({ order: ['soon', 'later'], cancelled: false, closed: true, realEcho: 'ping', simEcho: 'pong', simTime: 3600 });
  }, 120_000);
});
