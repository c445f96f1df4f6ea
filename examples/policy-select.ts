// The seed's policy example: a policy whose every new loop is a
// select(2)-based SelectorEventLoop, then ordinary code that never names
// the selector.
//
//   pnpm -s example policy-select
//
// Prints the selector each new loop uses, then runs a small echo round
// trip on such a loop and prints what came back.
import net from 'node:net';
import {
  DefaultEventLoopPolicy,
  SelectorEventLoop,
  newEventLoop,
  run,
  setEventLoopPolicy,
  type Transport,
} from 'evloop';

class SelectPolicy extends DefaultEventLoopPolicy {
  override newEventLoop() {
    return new SelectorEventLoop({ selector: 'select' });
  }
}

setEventLoopPolicy(new SelectPolicy());

const probe = newEventLoop();
console.log(`newEventLoop() uses ${(probe as SelectorEventLoop).selector}`);
probe.close();

// run() takes its loop from the policy too.
const reply = await run(async (loop) => {
  console.log(`run() uses ${(loop as SelectorEventLoop).selector}`);
  const server = await loop.createServer(() => {
    let transport: Transport;
    return {
      connectionMade: (t: Transport) => { transport = t; },
      dataReceived: (data: Uint8Array) => transport.write(data),
    };
  }, '127.0.0.1', 0);
  const { port } = server.sockets[0].getsockname() as { port: number };
  const got = await new Promise<string>((resolve, reject) => {
    const client = net.connect(port, '127.0.0.1', () => client.write('hello through select(2)'));
    client.on('data', (d) => { resolve(d.toString()); client.end(); });
    client.on('error', reject);
  });
  server.close();
  await server.waitClosed();
  return got;
});
console.log(`echoed: ${reply}`);
setEventLoopPolicy(null);
