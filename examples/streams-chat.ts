// A line-based chat server on evloop's streams (asyncio.start_server in
// TypeScript): every line a client sends goes to every other client,
// prefixed with the sender's address.
//
//   pnpm -s example streams-chat HOST:PORT [--selector NAME]
//
// Prints the bound address (HOST:PORT) as its first line and runs until
// killed. Try it with two `nc HOST PORT` sessions.
import {
  CancelledError,
  SelectorEventLoop,
  startServer,
  type SelectorName,
  type StreamReader,
  type StreamWriter,
} from 'evloop';

const text = new TextDecoder();

const clients = new Set<StreamWriter>();

function nameOf(writer: StreamWriter): string {
  const peer = writer.getExtraInfo('peername');
  return peer === null ? '?' : typeof peer === 'string' ? peer || 'unix' : `${peer.address}:${peer.port}`;
}

/** Sends `line` to everyone but `from`, waiting for slow readers (flow control). */
async function broadcast(from: StreamWriter | null, line: string): Promise<void> {
  const bytes = new TextEncoder().encode(line);
  const slow: Promise<void>[] = [];
  for (const w of clients) {
    if (w === from || w.isClosing()) continue;
    w.write(bytes);
    slow.push(w.drain().catch(() => clients.delete(w)) as Promise<void>);
  }
  await Promise.all(slow);
}

async function chat(reader: StreamReader, writer: StreamWriter): Promise<void> {
  const who = nameOf(writer);
  clients.add(writer);
  writer.write(new TextEncoder().encode(`welcome ${who}, ${clients.size - 1} other(s) here\n`));
  await broadcast(writer, `* ${who} joined\n`);
  try {
    for await (const line of reader) {
      await broadcast(writer, `${who}: ${text.decode(line)}${line.at(-1) === 10 ? '' : '\n'}`);
    }
  } finally {
    clients.delete(writer);
    writer.close();
    await broadcast(null, `* ${who} left\n`);
  }
}

function parseArgs(argv: string[]): { host: string; port: number; selector: SelectorName } {
  let selector: SelectorName = 'default';
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--selector') selector = argv[++i] as SelectorName;
    else if (argv[i].startsWith('--selector=')) selector = argv[i].slice('--selector='.length) as SelectorName;
    else rest.push(argv[i]);
  }
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(rest[0] ?? '');
  if (m === null || rest.length !== 1) {
    console.error('usage: pnpm -s example streams-chat HOST:PORT [--selector default|epoll|poll|select]');
    process.exit(2);
  }
  return { host: m[1] ?? m[2], port: Number(m[3]), selector };
}

const { host, port, selector } = parseArgs(process.argv.slice(2));
const loop = new SelectorEventLoop({ selector });

await loop.runUntilComplete(
  loop.createTask(async () => {
    const server = await startServer(chat, host, port);
    const addr = server.sockets[0].getsockname();
    console.log(typeof addr === 'string' ? addr : addr.family === 'IPv6' ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`);
    const forever = server.serveForever();
    const stop = () => {
      server.closeClients();
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
