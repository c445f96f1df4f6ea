// The parts the playground's scenarios share: their protocols, a sender that
// reconnects, and how a scenario's program drives its run. No DOM, no Node:
// the page and `evloop-sim` load the same modules. Plain JavaScript (Node
// imports it as it is), typed by the JSDoc that the playground's tsconfig checks.
/** @import { Host, Protocol, Simulation, Transport } from 'evloop/sim' */
/** @import { ProgramInput } from 'evloop/sim/tools' */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Virtual seconds a scenario runs for when its input does not say where to stop. */
export const RUN_SECONDS = 2;

/** Echoes what it receives. @implements {Protocol} */
export class EchoServer {
  /** @type {Transport | null} */
  transport = null;
  /** @param {Transport} transport */
  connectionMade(transport) {
    this.transport = transport;
  }
  /** @param {Uint8Array} data */
  dataReceived(data) {
    this.transport?.write(data);
  }
}

/** A follower: answers each heartbeat with an ack. @implements {Protocol} */
export class Follower {
  /** @type {Transport | null} */
  transport = null;
  /** @param {Transport} transport */
  connectionMade(transport) {
    this.transport = transport;
  }
  /** @param {Uint8Array} data */
  dataReceived(data) {
    this.transport?.write(encoder.encode(`ack ${decoder.decode(data)}`));
  }
}

/** A client protocol that calls `onLost` when its connection ends. @implements {Protocol} */
class Peer {
  /** @type {Transport | null} */
  transport = null;
  received = 0;
  /** @param {() => void} onLost */
  constructor(onLost) {
    this.onLost = onLost;
  }
  /** @param {Transport} transport */
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
 * @param {Host} loop
 * @param {string} to
 * @param {number} port
 * @param {{ interval: number, count: number, message: (i: number) => string }} what
 */
export function sender(loop, to, port, { interval, count, message }) {
  let sent = 0;
  /** @type {Peer | null} */
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
    // The newest peer when the connection is made, as the factory runs then.
    loop.createConnection(() => /** @type {Peer} */ (peer), to, port).catch(() => loop.callLater(interval, connect));
  };
  connect();
  loop.callLater(interval, tick);
}

/**
 * Drives a scenario's run. A file exported by the page says where its run
 * stood (`input.until.events`, the event count at the cursor): stepping to
 * that count gives the same events, so a replay compares the same records.
 * Without it (`evloop-sim run`, `sweep`) the run lasts RUN_SECONDS.
 * @param {Simulation} sim
 * @param {Partial<ProgramInput>} [input]
 * @returns {Promise<void>}
 */
export async function drive(sim, input) {
  const events = input?.until?.events;
  if (events === undefined) return sim.runFor(RUN_SECONDS);
  while (sim.events() < events) {
    if (!(await sim.step())) break;
  }
}
