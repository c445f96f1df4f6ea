"""CPython asyncio TCP and TLS echo servers for the echo benchmarks.

    python asyncio_echo.py [HOST:PORT] [--streams] [--uvloop] [--cert CERT.pem --key KEY.pem]

Prints the bound address first, echoes every byte back, runs until killed.
Default: a Protocol (data_received -> transport.write). --streams: StreamReader/StreamWriter
(read, write, drain). --uvloop: the same code on uvloop's loop. --cert/--key: over TLS, with
the `ssl` module's server context (ssl=... on create_server / start_server).
"""

import asyncio
import signal
import ssl
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    def connection_lost(self, exc):
        self.transport = None


async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main(host, port, streams, sslctx):
    loop = asyncio.get_running_loop()
    if streams:
        server = await asyncio.start_server(handle, host, port, backlog=1024, ssl=sslctx)
    else:
        server = await loop.create_server(Echo, host, port, backlog=1024, ssl=sslctx)
    addr = server.sockets[0].getsockname()
    print(f"{addr[0]}:{addr[1]}", flush=True)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    await stop
    server.close()


def parse(args):
    flags, values, addr = set(), {}, "127.0.0.1:0"
    it = iter(args)
    for a in it:
        if a in ("--cert", "--key"):
            values[a] = next(it)
        elif a.startswith("--"):
            flags.add(a)
        else:
            addr = a
    return addr, flags, values


if __name__ == "__main__":
    addr, flags, values = parse(sys.argv[1:])
    host, _, port = addr.rpartition(":")
    sslctx = None
    if "--cert" in values:
        sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sslctx.load_cert_chain(values["--cert"], values.get("--key"))
    if "--uvloop" in flags:
        import uvloop

        runner = uvloop.run
    else:
        runner = asyncio.run
    runner(main(host, int(port), "--streams" in flags, sslctx))
