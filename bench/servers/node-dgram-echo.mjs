// node:dgram UDP echo server, the Node baseline for the UDP echo benchmarks.
//   node bench/servers/node-dgram-echo.mjs [HOST:PORT]   (default 127.0.0.1:0)
// Prints the bound address first, sends every datagram back to its sender, runs until killed.
import dgram from 'node:dgram';

const [host, port] = (process.argv[2] ?? '127.0.0.1:0').split(/:(?=\d+$)/);
const socket = dgram.createSocket('udp4');
socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
socket.bind(Number(port), host, () => {
  const a = socket.address();
  console.log(`${a.address}:${a.port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
