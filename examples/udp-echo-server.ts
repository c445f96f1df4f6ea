// A UDP echo server on evloop's datagram endpoints, as one would write it
// with asyncio's create_datagram_endpoint.
//
//   pnpm -s example udp-echo-server HOST:PORT [--selector NAME | --proactor]
//
// Prints the bound address (HOST:PORT) as its first line, sends every
// datagram back to its sender, and runs until killed (SIGINT/SIGTERM close
// it). Port 0 picks a free port. NAME: default, epoll, poll or select.
import {
  ProactorEventLoop,
  SelectorEventLoop,
  type DatagramProtocol,
  type DatagramTransport,
  type InetAddress,
  type SelectorName,
  type SocketAddress,
} from 'evloop';

/** Sends each datagram back where it came from. */
class Echo implements DatagramProtocol {
  private transport: DatagramTransport | null = null;

  connectionMade(transport: DatagramTransport): void {
    this.transport = transport;
  }

  datagramReceived(data: Uint8Array, addr: SocketAddress | null): void {
    if (addr !== null) this.transport?.sendto(data, addr as InetAddress);
  }
}

const argv = process.argv.slice(2);
let selector: SelectorName | 'proactor' = 'default';
const rest: string[] = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--proactor') selector = 'proactor';
  else if (argv[i] === '--selector') selector = argv[++i] as SelectorName;
  else rest.push(argv[i]);
}
const m = /^([^:]*):(\d+)$/.exec(rest[0] ?? '');
if (m === null || rest.length !== 1) {
  console.error('usage: pnpm -s example udp-echo-server HOST:PORT [--selector default|epoll|poll|select | --proactor]');
  process.exit(2);
}
const loop = selector === 'proactor' ? new ProactorEventLoop() : new SelectorEventLoop({ selector });

await loop.runUntilComplete(
  loop.createTask(async () => {
    const [transport] = await loop.createDatagramEndpoint(() => new Echo(), { localAddr: [m[1], Number(m[2])] });
    const addr = transport.getExtraInfo('sockname') as InetAddress;
    console.log(`${addr.address}:${addr.port}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    transport.close();
  }),
);
loop.close();
