// node:tls echo server, the Node baseline for the TLS benchmarks.
//   node bench/servers/node-tls-echo.mjs HOST:PORT --cert CERT.pem --key KEY.pem
// Prints the bound address first, echoes every decrypted byte back, runs until killed.
import fs from 'node:fs';
import tls from 'node:tls';

const argv = process.argv.slice(2);
const flag = (name) => {
  const i = argv.indexOf(name);
  if (i < 0 || i + 1 >= argv.length) {
    console.error(`usage: node bench/servers/node-tls-echo.mjs HOST:PORT --cert CERT.pem --key KEY.pem (missing ${name})`);
    process.exit(2);
  }
  return argv[i + 1];
};
const [host, port] = (argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--')) ?? '127.0.0.1:0').split(/:(?=\d+$)/);
const options = {
  cert: fs.readFileSync(flag('--cert')),
  key: fs.readFileSync(flag('--key')),
  noDelay: true, // as asyncio and the other servers here
};
const server = tls.createServer(options, (socket) => {
  socket.on('error', () => {}); // resets are part of the handshake benchmark
  socket.pipe(socket);
});
server.on('tlsClientError', () => {}); // a client reset during its handshake
server.listen({ host, port: Number(port), backlog: 1024 }, () => {
  const a = server.address();
  console.log(`${a.address}:${a.port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
