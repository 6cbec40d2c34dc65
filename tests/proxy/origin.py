"""A scripted HTTP origin for the proxy's client tests: answers each request with the next
bytes of its script, and records what reached it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from typing import Any

CONTENT_LENGTH = re.compile(rb"(?im)^content-length:\s*(\d+)\s*$")


class Closing(bytes):
    """An answer after which the origin closes the connection."""


DROP = None
"""Close the connection without answering."""
HANG = ...
"""Never answer (wait until the client closes the connection)."""


def ok(body: bytes = b"0.5\n", *headers: str) -> bytes:
    """A keep-alive 200 answer with a Content-Length."""
    fields = "".join(f"{h}\r\n" for h in headers)
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n{fields}Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Origin:
    """``async with Origin([...]) as origin``: serves ``origin.url``; ``origin.requests`` holds
    (connection number, request bytes) in arrival order; ``origin.closed`` counts connections the
    client closed."""

    def __init__(self, script: list[Any]) -> None:
        self.script = list(script)
        self.requests: list[tuple[int, bytes]] = []
        self.connections = 0
        self.closed = 0
        self.url = ""

    async def __aenter__(self) -> Origin:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *_: object) -> None:
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while await self._answer(number, reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed += 1
        finally:
            writer.close()

    async def _answer(
        self, number: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        length = CONTENT_LENGTH.search(head)
        body = await reader.readexactly(int(length.group(1))) if length else b""
        self.requests.append((number, head + body))
        answer = self.script.pop(0)
        if answer is HANG:
            await reader.read()  # until the client gives up and closes
            raise ConnectionResetError
        if answer is DROP:
            return False
        writer.write(answer)
        await writer.drain()
        return not isinstance(answer, Closing)


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coroutine`` on a new event loop."""
    return asyncio.run(coroutine)
