"""CPython asyncio UDP echo server for the UDP echo benchmarks.

    python asyncio_udp_echo.py [HOST:PORT] [--uvloop]

Prints the bound address first, sends every datagram back to its sender, runs until
killed. --uvloop: the same code on uvloop's loop.
"""

import asyncio
import signal
import sys


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


async def main(host, port):
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=(host, port))
    addr = transport.get_extra_info("sockname")
    print(f"{addr[0]}:{addr[1]}", flush=True)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    await stop
    transport.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    use_uvloop = "--uvloop" in args
    args = [a for a in args if not a.startswith("--")]
    host, _, port = (args[0] if args else "127.0.0.1:0").rpartition(":")
    if use_uvloop:
        import uvloop

        uvloop.install()
    asyncio.run(main(host, int(port)))
