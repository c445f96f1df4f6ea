// A server that shuts down gracefully on SIGTERM (or SIGINT), as an asyncio service does with
// loop.add_signal_handler: it stops accepting, lets the clients it has finish, and exits 0.
//
//   pnpm -s example graceful-shutdown HOST:PORT
//
// Prints `serving HOST:PORT` first (port 0 picks a free port), echoes every byte, and on the
// signal prints `SIGTERM: closed the server, waiting for N client(s)`; once the last client has
// gone, `all clients done` and the process ends with exit code 0.
import { SelectorEventLoop, SIGINT, SIGTERM, type Protocol, type Transport } from 'evloop';

let clients = 0;

/** Echoes what it receives; counts the clients still connected. */
class Echo implements Protocol {
  private transport: Transport | null = null;

  connectionMade(transport: Transport): void {
    this.transport = transport;
    clients += 1;
  }

  dataReceived(data: Buffer): void {
    this.transport?.write(data);
  }

  eofReceived(): boolean {
    return false; // the client is done: close our side too
  }

  connectionLost(): void {
    this.transport = null;
    clients -= 1;
  }
}

const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(process.argv[2] ?? '');
if (m === null || process.argv.length !== 3) {
  console.error('usage: pnpm -s example graceful-shutdown HOST:PORT');
  process.exit(2);
}
const [host, port] = [m[1] ?? m[2], Number(m[3])];

const loop = new SelectorEventLoop();
await loop.runUntilComplete(
  loop.createTask(async () => {
    const server = await loop.createServer(() => new Echo(), host, port);
    const addr = server.sockets[0].getsockname();
    console.log(`serving ${typeof addr === 'string' ? addr : addr.family === 'IPv6' ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`}`);

    // The handlers run as loop callbacks, so they may touch the loop's objects freely.
    const signalled = loop.createFuture<string>();
    const onSignal = (name: string): void => {
      if (!signalled.done()) signalled.setResult(name);
    };
    loop.addSignalHandler(SIGTERM, onSignal, 'SIGTERM');
    loop.addSignalHandler(SIGINT, onSignal, 'SIGINT');
    const name = await signalled;

    server.close(); // no new connections; the ones we have go on
    console.log(`${name}: closed the server, waiting for ${clients} client(s)`);
    await server.waitClosed(); // until the last client has gone
    loop.removeSignalHandler(SIGTERM);
    loop.removeSignalHandler(SIGINT);
    console.log('all clients done');
  }),
);
loop.close();
