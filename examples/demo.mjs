// A small evloop tour: schedule callbacks and timers, run the loop, print what ran and when.
// 1. "evloop": the native loop, driven by Node's own event loop (real time).
// 2. "evloop/sim": the wasm loop on a virtual clock, where an hour passes at once,
//    and a deterministic simulation of two hosts on a simulated network.
import { newEventLoop, coreVersion } from 'evloop';
import { SimLoop, Simulation } from 'evloop/sim';

console.log(`evloop ${coreVersion()}\n\nNode, native loop (real time):`);
const loop = newEventLoop();
const t0 = loop.time();
const log = (what) => console.log(`  t=${(loop.time() - t0).toFixed(3)}s  ${what}`);
loop.callLater(0.05, () => { log('callLater(0.05)'); loop.stop(); });
loop.callLater(0.02, () => {
  log('callLater(0.02)');
  loop.callSoon(() => log('callSoon scheduled from the 0.02 s timer'));
});
loop.callSoon(() => log('callSoon #1'));
loop.callSoon((who) => log(`callSoon #2 (FIFO, after #1), args: ${who}`), 'world');
await loop.runForever();
loop.close();

console.log('\nwasm SimLoop (virtual time):');
const sim = new SimLoop();
const simLog = (what) => console.log(`  t=${sim.time().toFixed(3).padStart(8)}s  ${what}`);
sim.callLater(3600, () => { simLog('callLater(3600): an hour later'); sim.stop(); });
sim.callAt(60, () => simLog('callAt(60)'));
sim.callSoon(() => simLog('callSoon'));
const realStart = performance.now();
sim.runForever();
sim.close();
console.log(`  ${sim.time()} virtual seconds took ${(performance.now() - realStart).toFixed(1)} ms of real time`);

console.log('\nwasm Simulation (two hosts, a simulated network, a crash):');
const world = new Simulation({ seed: 42 });
const say = (what) => console.log(`  t=${world.now().toFixed(4).padStart(8)}s  ${what}`);
world.host('server', async (host) => {
  const srv = await host.createServer(() => ({
    connectionMade(t) { this.t = t; },
    dataReceived(data) { this.t.write(data); }, // echo
  }), null, 8080);
  say(`server listening on ${JSON.stringify(srv.sockets[0].getsockname())}`);
  await srv.serveForever().catch(() => {});
});
const client = world.host('client');
const [transport] = await world.runUntilComplete(client.createConnection(() => ({
  dataReceived(data) { say(`client got '${new TextDecoder().decode(data)}' back`); },
  connectionLost(exc) { say(`client lost the connection: ${exc}`); },
}), 'server', 8080));
say('client connected');
transport.write(new TextEncoder().encode('hello'));
await world.runFor(1);
world.crash('server');
say('server crashed');
await world.runFor(1);
const stats = world.stats();
console.log(`  ${world.trace().length} trace records, ${stats.sent} messages sent; the same seed gives the same trace`);
world.close();
