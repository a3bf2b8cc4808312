"""A peer baseline: the asyncio Protocol echo on uvloop (libuv), as in the vmbench/uvloop method.

The same protocol code as the asyncio driver, but the loop is uvloop, a
Cython event loop on libuv: the difference between the two is the cost of
the pure-Python parts of asyncio's selector loop.
"""

from __future__ import annotations

import asyncio
import os
import signal

import uvloop


class Echo(asyncio.Protocol):
    """Echo every chunk back; stop reading while the write buffer is over its high-water mark."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)

    def pause_writing(self) -> None:
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.transport.resume_reading()

    def eof_received(self) -> bool:
        return False  # close once the write buffer drained


async def main() -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    port = int(os.environ.get("ECHO_PORT", "8888"))
    server = await loop.create_server(Echo, "0.0.0.0", port, backlog=4096, reuse_address=True)
    print(f"uvloop echo listening on 0.0.0.0:{port}", flush=True)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    uvloop.install()  # uvloop.run() needs 0.18; Debian bookworm ships 0.17
    asyncio.run(main())
