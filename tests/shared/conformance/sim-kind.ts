// The simulated kind: hosts of one `evloop/sim` Simulation, driven in
// virtual time. The server listens on host "server", the body runs on host
// "client". Shared by the Node and the browser suites (the module is passed
// in: each runtime imports its own entry).
import { expect } from 'vitest';
import type * as Sim from 'evloop/sim';
import type { ConfApi, ConfLoop, Env, Fresh, LoopKind } from './kit.js';
import { track } from './kit.js';

/**
 * Real time a simulated case may take. The driver only awaits microtasks
 * between steps, so a case that keeps a host busy at one virtual instant
 * would starve the test runner's timers: the kit checks the clock itself.
 */
const REAL_TIME_LIMIT_MS = 60_000;

type SimModule = typeof Sim;

/** The shared interface, checked against the simulation's Host type. */
function asLoop(host: Sim.Host): ConfLoop {
  return host;
}

/** Closes the hosts and the simulation, then checks the hosts are closed. */
function closeAll(sim: Sim.Simulation, hosts: Sim.Host[]): void {
  try {
    for (const h of hosts) {
      if (!h.isClosed()) h.close();
      expect(h.isClosed(), `host ${h.name} closed`).toBe(true);
    }
  } finally {
    sim.close();
  }
}

export function simKind(sim: SimModule, seed: number): LoopKind {
  const api: ConfApi = sim;
  const fresh = (): Fresh => {
    const s = new sim.Simulation({ seed });
    const host = s.host('solo');
    return {
      loop: asLoop(host),
      runUntilComplete: (aw) => s.runUntilComplete(aw),
      runForever: null,
      dispose: async () => closeAll(s, [host]),
    };
  };
  return {
    name: `sim (seed ${seed})`,
    unavailable: null,
    lacks: {
      runForever: 'a simulated host is driven by its Simulation, runForever() rejects',
      fds: 'a simulated host has no file descriptors (addReader is NotImplementedError)',
      unix: 'a simulated host has no Unix sockets',
    },
    api,
    fresh,
    async run(body) {
      const s = new sim.Simulation({ seed });
      const server = s.host('server');
      const client = s.host('client');
      // In a simulation the running host after an await is the one whose step
      // released the continuation (docs/simulation.md), so a body on the client
      // that awaited the server would open connections from the server: the
      // package functions that use the running loop run in tasks of the client.
      const clientApi: ConfApi = {
        ...api,
        sleep: (delay) => client.createTask(() => sim.sleep(delay)),
        openConnection: (host, port, opts) => client.createTask(() => sim.openConnection(host, port, opts)),
      };
      const env: Env = {
        loop: asLoop(client),
        serverLoop: asLoop(server),
        listenHost: 'server',
        connectHost: 'server',
        serverAddress: 'server',
        clientAddress: 'client',
        family: 'sim',
        // A task of the server host: the package functions use the running host.
        onServer: (fn) => server.createTask(fn),
        unixPath: () => {
          throw new Error('no Unix sockets on a simulated host');
        },
        api: clientApi,
      };
      try {
        const task = client.createTask(() => body(env));
        const state = track(task);
        const started = Date.now();
        for (let steps = 1; !state.done; steps++) {
          if (!(await s.step())) break; // runUntilComplete below reports that nothing was left
          if (steps % 1000 === 0 && Date.now() - started > REAL_TIME_LIMIT_MS) {
            throw new Error(`${this.name}: the case ran ${REAL_TIME_LIMIT_MS} ms of real time (virtual time ${s.now()} s)`);
          }
        }
        return await s.runUntilComplete(task);
      } finally {
        closeAll(s, [client, server]);
      }
    },
  };
}
