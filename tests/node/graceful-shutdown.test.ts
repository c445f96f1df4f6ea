// The graceful-shutdown example as documented (`pnpm -s example graceful-shutdown HOST:PORT`, run
// here as `node examples/run.mjs ...`, which is what the script runs): a client connected before
// SIGTERM is still served after it, new connections are refused, and once the client is done the
// example (and the runner with it) exits 0.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Resolves with the next chunk the socket receives. */
function nextData(socket: net.Socket): Promise<string> {
  return once(socket, 'data').then(([d]) => String(d));
}

it('serves until SIGTERM, lets its client finish, and exits 0', async () => {
  const child = spawn(process.execPath, ['examples/run.mjs', 'graceful-shutdown', '127.0.0.1:0'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async (): Promise<string> => (await lines.next()).value as string;
    const exited = once(child, 'exit');

    const first = await next();
    expect(first).toMatch(/^serving 127\.0\.0\.1:\d+$/);
    const port = Number(first.split(':')[1]);

    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    client.write('before');
    expect(await nextData(client)).toBe('before');

    child.kill('SIGTERM');
    expect(await next()).toBe('SIGTERM: closed the server, waiting for 1 client(s)');

    // Closed to newcomers...
    const late = net.connect(port, '127.0.0.1');
    const [err] = (await once(late, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
    // ...but the client it has is still served.
    client.write('after');
    expect(await nextData(client)).toBe('after');
    client.end();
    await once(client, 'close');

    expect(await next()).toBe('all clients done');
    const [code, signal] = (await exited) as [number | null, string | null];
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}, 30_000);
