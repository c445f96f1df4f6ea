// The playground's scenarios and driver: no DOM here, so a test (or Node) can drive a run.
// `sim` is the "evloop/sim" module, passed in so the caller chooses the entry.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Echoes what it receives. */
class EchoServer {
  connectionMade(transport) {
    this.transport = transport;
  }
  dataReceived(data) {
    this.transport.write(data);
  }
}

/** A follower: answers each heartbeat with an ack. */
class Follower {
  connectionMade(transport) {
    this.transport = transport;
  }
  dataReceived(data) {
    this.transport.write(encoder.encode(`ack ${decoder.decode(data)}`));
  }
}

/** A client protocol that calls `onLost` when its connection ends. */
class Peer {
  constructor(onLost) {
    this.onLost = onLost;
    this.received = 0;
  }
  connectionMade(transport) {
    this.transport = transport;
  }
  dataReceived() {
    this.received++;
  }
  connectionLost() {
    this.transport = null;
    this.onLost();
  }
}

/**
 * Keeps a connection from `loop` to `to`:`port`, sending `message(i)` every
 * `interval` virtual seconds, `count` times in all; reconnects after a loss.
 */
function sender(loop, to, port, { interval, count, message }) {
  let sent = 0;
  let peer = null;
  const tick = function tick() {
    if (sent >= count || loop.isCrashed()) return;
    if (peer?.transport && !peer.transport.isClosing()) {
      peer.transport.write(encoder.encode(message(sent)));
      sent++;
    }
    loop.callLater(interval, tick);
  };
  const connect = function connect() {
    if (loop.isCrashed()) return;
    peer = new Peer(() => loop.callLater(interval, connect));
    loop.createConnection(() => peer, to, port).catch(() => loop.callLater(interval, connect));
  };
  connect();
  loop.callLater(interval, tick);
}

/** name -> { label, hosts, setup(simulation) } */
export const scenarios = {
  echo: {
    label: 'echo',
    hosts: ['client', 'server'],
    setup(s) {
      s.host('client', (loop) => {
        sender(loop, 'server', 7, { interval: 0.1, count: 6, message: (i) => `hello ${i}` });
      });
      s.host('server', async (loop) => {
        const server = await loop.createServer(() => new EchoServer(), null, 7);
        await server.serveForever().catch(() => {});
      });
    },
  },
  'leader-follower': {
    label: 'leader/follower',
    hosts: ['leader', 'follower1', 'follower2'],
    setup(s) {
      s.host('leader', (loop) => {
        for (const f of ['follower1', 'follower2']) {
          sender(loop, f, 9, { interval: 0.1, count: 1000, message: (i) => `heartbeat ${i}` });
        }
      });
      for (const f of ['follower1', 'follower2']) {
        s.host(f, async (loop) => {
          const server = await loop.createServer(() => new Follower(), null, 9);
          await server.serveForever().catch(() => {});
        });
      }
    },
  },
};

/** One run of a scenario: the simulation plus the playground's controls. */
export class Run {
  /**
   * @param sim the "evloop/sim" module
   * @param name a key of `scenarios`
   * @param seed the simulation's seed
   */
  constructor(sim, name, seed) {
    const scenario = scenarios[name];
    if (!scenario) throw new Error(`unknown scenario ${name}`);
    this.name = name;
    this.seed = seed;
    this.hosts = scenario.hosts.slice();
    this.simulation = new sim.Simulation({ seed, latency: [0.005, 0.03] });
    scenario.setup(this.simulation);
    this.partitioned = false;
  }
  now() {
    return this.simulation.now();
  }
  /** Runs `seconds` of virtual time. */
  runFor(seconds) {
    return this.simulation.runFor(seconds);
  }
  /** Runs one event; false when nothing was left. */
  step() {
    return this.simulation.step();
  }
  /** Partitions the first two hosts. */
  partition() {
    this.simulation.partition(this.hosts[0], this.hosts[1]);
    this.partitioned = true;
  }
  heal() {
    this.simulation.heal();
    this.partitioned = false;
  }
  isCrashed(name) {
    return this.simulation.getHost(name)?.isCrashed() ?? false;
  }
  /** Crashes `name`, or restarts it if it is down; returns whether it is down now. */
  toggleCrash(name) {
    if (this.isCrashed(name)) this.simulation.restart(name);
    else this.simulation.crash(name);
    return this.isCrashed(name);
  }
  trace() {
    return this.simulation.trace();
  }
  close() {
    this.simulation.close();
  }
}
