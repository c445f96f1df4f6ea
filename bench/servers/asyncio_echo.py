"""CPython asyncio TCP echo servers for the echo benchmarks.

    python asyncio_echo.py [HOST:PORT] [--streams] [--uvloop]

Prints the bound address first, echoes every byte back, runs until killed.
Default: a Protocol (data_received -> transport.write). --streams: StreamReader/StreamWriter
(read, write, drain). --uvloop: the same code on uvloop's loop.
"""

import asyncio
import signal
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


async def main(host, port, streams):
    loop = asyncio.get_running_loop()
    if streams:
        server = await asyncio.start_server(handle, host, port, backlog=1024)
    else:
        server = await loop.create_server(Echo, host, port, backlog=1024)
    addr = server.sockets[0].getsockname()
    print(f"{addr[0]}:{addr[1]}", flush=True)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    await stop
    server.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    addr = next((a for a in args if not a.startswith("--")), "127.0.0.1:0")
    host, _, port = addr.rpartition(":")
    if "--uvloop" in args:
        import uvloop

        runner = uvloop.run
    else:
        runner = asyncio.run
    runner(main(host, int(port), "--streams" in args))
