// close() releases what a loop holds at once, not when the garbage collector
// gets to its object: 20 loops of each kind made, run and closed in a child
// process leave its open fds where they were (no GC runs in between).
import { describe, expect, it } from 'vitest';
import { runNode } from './loop-helpers.js';

describe('loops close clean', () => {
  it('every kind returns to the baseline of open fds after close()', async () => {
    const source = `
      import { readdirSync } from 'node:fs';
      import { ProactorEventLoop, SelectorEventLoop } from 'evloop';
      const fds = () => readdirSync('/proc/self/fd').length;
      const kinds = {
        epoll: () => new SelectorEventLoop({ selector: 'epoll' }),
        poll: () => new SelectorEventLoop({ selector: 'poll' }),
        select: () => new SelectorEventLoop({ selector: 'select' }),
        proactor: () => new ProactorEventLoop(),
      };
      const kept = [];
      const out = {};
      for (const [name, make] of Object.entries(kinds)) {
        const before = fds();
        for (let i = 0; i < 20; i++) {
          const loop = make();
          loop.callSoon(() => loop.stop());
          await loop.runForever();
          loop.close();
          kept.push(loop); // alive: only close() can have released its fds
        }
        out[name] = fds() - before;
      }
      console.log(JSON.stringify(out));
    `;
    const r = await runNode(source);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim())).toEqual({ epoll: 0, poll: 0, select: 0, proactor: 0 });
  });
});
