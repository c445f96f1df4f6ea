// An echo server on evloop's protocols and transports, as one would write
// it with asyncio's create_server.
//
//   pnpm -s example echo-server HOST:PORT [--selector NAME | --proactor] [--cert CERT.pem --key KEY.pem]
//
// Prints the bound address (HOST:PORT, [HOST]:PORT for IPv6) as its first
// line, echoes every byte, and runs until killed (SIGINT/SIGTERM close it).
// Port 0 picks a free port. NAME: default, epoll, poll or select. With
// --cert (and --key, unless the key is in CERT.pem) it serves TLS: the same
// protocol behind createServer's `ssl` option.
import {
  CancelledError,
  ProactorEventLoop,
  SSLContext,
  SelectorEventLoop,
  type Protocol,
  type SelectorName,
  type Transport,
} from 'evloop';

/** Echoes what it receives; stops reading while its writes are paused. */
class Echo implements Protocol {
  private transport: Transport | null = null;

  connectionMade(transport: Transport): void {
    this.transport = transport;
  }

  dataReceived(data: Buffer): void {
    this.transport?.write(data);
  }

  eofReceived(): boolean {
    return false; // close our side too
  }

  // Flow control: a client that does not read makes us stop reading.
  pauseWriting(): void {
    this.transport?.pauseReading();
  }

  resumeWriting(): void {
    this.transport?.resumeReading();
  }

  connectionLost(): void {
    this.transport = null;
  }
}

interface Options {
  host: string;
  port: number;
  selector: SelectorName | 'proactor';
  cert?: string;
  key?: string;
}

function parseArgs(argv: string[]): Options {
  let selector: SelectorName | 'proactor' = 'default';
  let cert: string | undefined;
  let key: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--proactor') selector = 'proactor';
    else if (argv[i] === '--cert') cert = argv[++i];
    else if (argv[i] === '--key') key = argv[++i];
    else if (argv[i] === '--selector') selector = argv[++i] as SelectorName;
    else if (argv[i].startsWith('--selector=')) selector = argv[i].slice('--selector='.length) as SelectorName;
    else rest.push(argv[i]);
  }
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(rest[0] ?? '');
  if (m === null || rest.length !== 1) {
    console.error('usage: pnpm -s example echo-server HOST:PORT [--selector default|epoll|poll|select | --proactor] [--cert CERT.pem --key KEY.pem]');
    process.exit(2);
  }
  return { host: m[1] ?? m[2], port: Number(m[3]), selector, cert, key };
}

const { host, port, selector, cert, key } = parseArgs(process.argv.slice(2));
const loop = selector === 'proactor' ? new ProactorEventLoop() : new SelectorEventLoop({ selector });
let ssl: SSLContext | undefined;
if (cert !== undefined) {
  ssl = new SSLContext('server');
  ssl.loadCertChain(cert, key);
}

await loop.runUntilComplete(
  loop.createTask(async () => {
    const server = await loop.createServer(() => new Echo(), host, port, { ssl });
    const addr = server.sockets[0].getsockname();
    console.log(typeof addr === 'string' ? addr : addr.family === 'IPv6' ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`);
    const forever = server.serveForever();
    const stop = () => {
      server.closeClients(); // serveForever waits for clients, as asyncio's does
      forever.cancel();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await forever;
    } catch (e) {
      if (!(e instanceof CancelledError)) throw e;
    }
  }),
);
loop.close();
