// The native loop lives inside Node's own libuv loop: it never blocks Node,
// never keeps the process alive when not running, runs promise continuations
// right after each callback, and survives throwing callbacks.
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { makeLoop, runNode } from './loop-helpers.js';

describe('driven from libuv', () => {
  it('Node I/O and timers run while the loop runs', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    let nodeDone = false;
    // A 200 ms evloop timer that keeps re-arming until Node's work is done,
    // so the loop is running and waiting on its own timer throughout.
    const tick = () => {
      seen.push('evloop tick');
      if (!nodeDone) loop.callLater(0.2, tick);
    };
    loop.callLater(0.2, tick);
    const run = loop.runForever();

    const server = net.createServer((sock) => sock.pipe(sock));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    expect(loop.isRunning()).toBe(true);
    client.write('ping over node:net');
    const [echoed] = await once(client, 'data');
    seen.push(`echo ${String(echoed)} running=${loop.isRunning()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
    seen.push(`setTimeout running=${loop.isRunning()}`);
    client.destroy();
    server.close();
    await once(server, 'close');

    // Wake the waiting loop from Node: a callSoon made outside any iteration.
    nodeDone = true;
    loop.callSoon(() => {
      seen.push('callSoon from node');
      loop.stop();
    });
    await run;
    expect(seen.filter((s) => s !== 'evloop tick')).toEqual([
      'echo ping over node:net running=true',
      'setTimeout running=true',
      'callSoon from node',
    ]);
  });

  it('an await inside a callback resumes before the next callback', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    let resolveLater!: (v: string) => void;
    const settledByA = new Promise<string>((r) => (resolveLater = r));
    void settledByA.then((v) => seen.push(`continuation of ${v}`));
    loop.callSoon(async () => {
      seen.push('a: start');
      await null;
      seen.push('a: after await');
      await Promise.resolve();
      process.nextTick(() => seen.push('a: nextTick'));
      resolveLater('a');
    });
    loop.callSoon(() => seen.push('b'));
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    // Node drains microtasks, then nextTicks, after each callback; both
    // come before the loop's next callback.
    expect(seen.slice(0, 2)).toEqual(['a: start', 'a: after await']);
    expect(seen.slice(2, 4).sort()).toEqual(['a: nextTick', 'continuation of a']);
    expect(seen.slice(4)).toEqual(['b']);
  });

  it('a throwing callback goes to the exception handler and the loop goes on', async () => {
    const res = await runNode(`
      import { newEventLoop } from 'evloop';
      const loop = newEventLoop();
      const seen = [];
      loop.callSoon(function thrower() { seen.push('thrower'); throw new Error('boom from a callback'); });
      loop.callSoon(() => seen.push('after'));
      loop.callLater(0.01, () => { seen.push('timer'); loop.stop(); });
      await loop.runForever();
      console.log(JSON.stringify(seen));
    `);
    expect(res.signal).toBeNull();
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual(['thrower', 'after', 'timer']);
    expect(res.stderr).toContain('Exception in callback thrower()');
    expect(res.stderr).toContain('Error: boom from a callback');
  });

  it('a loop that is not running does not keep the process alive', async () => {
    const neverRun = await runNode(`
      import { newEventLoop } from 'evloop';
      const loop = newEventLoop();
      loop.callLater(3600, () => console.log('never'));
      loop.callSoon(() => console.log('never'));
      console.log('created');
    `);
    expect(neverRun.signal).toBeNull();
    expect(neverRun.code).toBe(0);
    expect(neverRun.stdout.trim()).toBe('created');

    const afterRun = await runNode(`
      import { newEventLoop } from 'evloop';
      const loop = newEventLoop();
      loop.callLater(3600, () => console.log('never'));
      loop.callSoon(() => loop.stop());
      await loop.runForever();
      console.log('resolved', loop.isRunning());
      const v = await loop.runUntilComplete(new Promise((r) => loop.callLater(0.01, r, 'v')));
      console.log('completed', v);
    `);
    expect(afterRun.signal).toBeNull();
    expect(afterRun.code).toBe(0);
    expect(afterRun.stdout.trim().split('\n')).toEqual(['resolved false', 'completed v']);
  });

  it('a running loop keeps the process alive until it stops', async () => {
    const res = await runNode(`
      import { newEventLoop } from 'evloop';
      const loop = newEventLoop();
      loop.callLater(0.05, () => { console.log('timer'); loop.stop(); });
      loop.runForever().then(() => console.log('stopped'));
    `);
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n')).toEqual(['timer', 'stopped']);
  });

  it('a worker thread runs its own loop and can be terminated mid-run', async () => {
    // The worker's loop is driven by the worker's libuv loop; terminate()
    // tears the env down under a running loop (the env cleanup hook path).
    const res = await runNode(`
      import { Worker } from 'node:worker_threads';
      const src = \`
        import { parentPort } from 'node:worker_threads';
        import { newEventLoop } from 'evloop';
        const loop = newEventLoop();
        let n = 0;
        const tick = (tag) => {
          if (++n === 3) parentPort.postMessage(tag + ' ticking');
          loop.callLater(0.001, tick, tag);
        };
        loop.callSoon(tick, 'worker');
        loop.runForever();
      \`;
      for (let k = 0; k < 3; k++) {
        const w = new Worker(src, { eval: true }); // ESM: it inherits --input-type=module
        console.log(await new Promise((r) => w.once('message', r)));
        await w.terminate();
      }
    `);
    expect(res.signal).toBeNull();
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n')).toEqual(['worker ticking', 'worker ticking', 'worker ticking']);
    expect(res.stderr).toBe('');
  });

  it('a worker whose proactor is receiving a stream can be terminated mid-stream', async () => {
    // The proactor's kernel writes received bytes straight into V8's memory
    // (its receive blocks are Buffers), which the worker's teardown frees
    // with its isolate. Here the teardown closes the connection under
    // traffic, the worker exits cleanly, and later workers' buffers are
    // intact. That the kernel writes no block once the driver is disposed,
    // even if the loop outlived it, is release_recv_memory()'s job, asserted
    // directly in crates/evloop/tests/proactor_recv_memory.rs.
    const res = await runNode(`
      import { Worker } from 'node:worker_threads';
      import net from 'node:net';
      const src = \`
        import { parentPort } from 'node:worker_threads';
        import { ProactorEventLoop } from 'evloop';
        const loop = new ProactorEventLoop();
        let got = 0, said = false;
        loop.createServer(() => ({
          connectionMade() {},
          dataReceived(d) { got += d.length; if (got > 4e6 && !said) { said = true; parentPort.postMessage('received'); } },
          eofReceived() {}, connectionLost() {},
        }), '127.0.0.1', 0).then((srv) => parentPort.postMessage(srv.sockets[0].getsockname().port));
        loop.runForever();
      \`;
      const holder = \`
        import { parentPort } from 'node:worker_threads';
        const bufs = [];
        for (let i = 0; i < 400; i++) bufs.push(Buffer.alloc(65536, i & 0xff));
        setTimeout(() => {
          const bad = bufs.filter((b, i) => !b.every((x) => x === (i & 0xff))).length;
          parentPort.postMessage(bad);
        }, 200);
      \`;
      const w = new Worker(src, { eval: true });
      const port = await new Promise((r) => w.once('message', r));
      const c = net.connect(port, '127.0.0.1');
      let closed = false;
      c.on('error', () => {}); c.on('close', () => { closed = true; });
      await new Promise((r) => c.once('connect', r));
      const chunk = Buffer.alloc(1 << 20, 0x5a);
      let writing = true;
      const pump = () => { while (writing && !closed && c.write(chunk)) {} };
      c.on('drain', pump); pump();
      await new Promise((r) => w.once('message', r));
      await w.terminate();
      let bad = 0;
      for (let k = 0; k < 3; k++) {
        const h = new Worker(holder, { eval: true });
        bad += await new Promise((r) => h.once('message', r));
        await h.terminate();
      }
      writing = false;
      console.log('closed after terminate:', closed, 'corrupted buffers:', bad);
      c.destroy();
    `);
    expect(res.signal).toBeNull();
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toBe('closed after terminate: true corrupted buffers: 0');
    expect(res.stderr).toBe('');
  }, 30_000);
});
