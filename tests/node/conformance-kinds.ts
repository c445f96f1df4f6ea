// The loop kinds the Node suites run shared case bodies on: SelectorEventLoop
// over epoll, poll and select, the io_uring ProactorEventLoop, and hosts of a
// Simulation (evloop/sim). Used by the conformance suite and the random call
// sequences. EVLOOP_CONF_SEED=<n> picks the simulation's seed (it is in the
// kind's name).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import * as evloop from 'evloop';
import * as sim from 'evloop/sim';
import type { ConfApi, ConfLoop, Env, Fresh, LoopKind } from '../shared/conformance/kit.js';
import { simKind } from '../shared/conformance/sim-kind.js';

const api: ConfApi = evloop;

let tmp: string | null = null;
let unixCount = 0;
function unixPath(): string {
  tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), 'evloop-conf-'));
  return path.join(tmp, `s${unixCount++}.sock`);
}
afterAll(() => {
  if (tmp !== null) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The shared interface, checked against the package's loop types. */
function asLoop(loop: evloop.SelectorEventLoop | evloop.ProactorEventLoop): ConfLoop {
  return loop;
}

/** Stops a loop a failed body left running, closes it, and checks that it is closed. */
async function dispose(loop: ConfLoop): Promise<void> {
  if (loop.isRunning()) {
    loop.stop();
    for (let i = 0; i < 1000 && loop.isRunning(); i++) await new Promise((r) => setTimeout(r, 1));
  }
  loop.close();
  expect(loop.isClosed()).toBe(true);
}

/** Why a ProactorEventLoop cannot be made here, or null. */
function proactorRefusal(): string | null {
  try {
    new evloop.ProactorEventLoop().close();
    return null;
  } catch (e) {
    const err = e as Error;
    return `io_uring is refused here (${err.name}: ${err.message})`;
  }
}

function nativeKind(name: string, make: () => ConfLoop, unavailable: string | null = null): LoopKind {
  const fresh = (): Fresh => {
    const loop = make();
    return {
      loop,
      runUntilComplete: (aw) => (loop as unknown as evloop.SelectorEventLoop).runUntilComplete(aw),
      runForever: () => (loop as unknown as evloop.SelectorEventLoop).runForever(),
      dispose: () => dispose(loop),
    };
  };
  return {
    name,
    unavailable,
    lacks: {},
    api,
    fresh,
    async run(body) {
      const { loop, runUntilComplete, dispose: done } = fresh();
      const env: Env = {
        loop,
        serverLoop: loop,
        listenHost: '127.0.0.1',
        connectHost: '127.0.0.1',
        serverAddress: '127.0.0.1',
        clientAddress: '127.0.0.1',
        family: 'IPv4',
        onServer: (fn) => fn(),
        unixPath,
        api,
      };
      try {
        return await runUntilComplete(loop.createTask(() => body(env)));
      } finally {
        await done();
      }
    },
  };
}

/** Every kind, the simulation with seed `simSeed`. */
export const conformanceKinds = (simSeed = Number(process.env.EVLOOP_CONF_SEED ?? 1)): LoopKind[] => [
  ...(['epoll', 'poll', 'select'] as const).map((selector) =>
    nativeKind(`SelectorEventLoop ${selector}`, () => asLoop(new evloop.SelectorEventLoop({ selector }))),
  ),
  nativeKind('ProactorEventLoop io_uring', () => asLoop(new evloop.ProactorEventLoop()), proactorRefusal()),
  simKind(sim, simSeed),
];

