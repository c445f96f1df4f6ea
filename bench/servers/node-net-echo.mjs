// node:net TCP echo server, the Node baseline for the echo benchmarks.
//   node bench/servers/node-net-echo.mjs [HOST:PORT]   (default 127.0.0.1:0)
// Prints the bound address first, echoes every byte back, runs until killed.
import net from 'node:net';

const [host, port] = (process.argv[2] ?? '127.0.0.1:0').split(/:(?=\d+$)/);
// noDelay: like asyncio, which sets TCP_NODELAY on every TCP transport.
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => {}); // resets are part of the churn benchmark
  socket.pipe(socket);
});
server.listen({ host, port: Number(port), backlog: 1024 }, () => {
  const a = server.address();
  console.log(`${a.address}:${a.port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
