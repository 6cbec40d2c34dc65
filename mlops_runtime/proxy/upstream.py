"""Pooled keep-alive HTTP/1.1 connections to the model container: asyncio protocols, llhttp.

The proxy talks to one origin, the model container in its own pod, so the client is lean: a
request head is written as bytes in one call, the answer is parsed by llhttp (``httptools``, the
parser uvicorn and aiohttp's C extension use), and an answered connection goes back to a LIFO
pool of idle ones. What a general-purpose client adds per request (URL objects, cookie jars,
redirects, tracing signals, auto headers, decompression) is work the proxy does not need.

Behaviour a caller relies on:

- An answer is delimited by ``Content-Length``, chunked coding or, failing both, the close of
  the connection; interim 1xx answers are skipped; a ``HEAD`` answer has no body.
- A connection goes back to the pool only when the model keeps it alive and the exchange ended
  cleanly; an idle one is closed after ``idle_seconds``. The pool has no size limit.
- A reused connection that the model closed before answering is retried once on a fresh one for
  idempotent methods (as aiohttp does); ``POST`` is never sent twice.
- :class:`UpstreamError` when the model cannot be reached or its answer is cut or malformed;
  ``TimeoutError`` when it does not answer within ``timeout`` seconds (the connection is closed).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import Iterable
from typing import cast
from urllib.parse import urlsplit

import httptools

RawHeaders = list[tuple[bytes, bytes]]
IDEMPOTENT = frozenset({b"GET", b"HEAD", b"OPTIONS", b"TRACE", b"PUT", b"DELETE"})


class UpstreamError(Exception):
    """The model could not be reached, or its answer was cut short or malformed."""


class Answer:
    """The model's answer: status, raw headers (as sent) and the whole body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: RawHeaders, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Answer] | None = None
        self._reset(head=False)

    def _reset(self, head: bool) -> None:
        self._head = head
        self._started = False
        self._headers_done = False
        self._headers: RawHeaders = []
        self._body: list[bytes] = []
        self._framed = False  # Content-Length or chunked last: not delimited by the close
        self._keep_alive = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a TCP connection's

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            self._close()  # bytes nobody asked for: the connection's framing is lost
            return
        self._started = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(UpstreamError(f"the model's answer is malformed: {error}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._headers_done and not self._framed:
            self._complete()  # an answer delimited by the close of the connection
            return
        reason = f": {exc}" if exc else ""
        waiter.set_exception(_Disconnected(f"the model closed the connection{reason}", self))

    # httptools callbacks

    def on_message_begin(self) -> None:
        if self._waiter is None or self._waiter.done():
            self._close()  # a second answer to one request: the framing is lost

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"content-length":
            self._framed = True
        elif lowered == b"transfer-encoding":  # framed only when its last coding is chunked
            self._framed = value.rsplit(b",", 1)[-1].strip().lower() == b"chunked"
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._headers_done = True
        if self._head and not 100 <= self._parser.get_status_code() < 200:
            self._complete()  # llhttp cannot be told a HEAD answer has no body
            self._close()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:  # interim (100 Continue, 103 Early Hints): the answer follows
            self._reset(self._head)
            return
        self._keep_alive = self._parser.should_keep_alive()  # reset once this returns
        if self._waiter is not None and not self._waiter.done():
            self._complete()

    # exchange

    def send(self, head: bytes, body: bytes, is_head: bool) -> asyncio.Future[Answer]:
        assert self.transport is not None
        self._reset(is_head)
        self._waiter = asyncio.get_running_loop().create_future()
        if body:
            self.transport.writelines((head, body))
        else:
            self.transport.write(head)
        return self._waiter

    def reusable(self) -> bool:
        return not self.closed and self._keep_alive

    def _complete(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            status = self._parser.get_status_code()
            waiter.set_result(Answer(status, self._headers, b"".join(self._body)))

    def _fail(self, error: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)
        self._close()

    def _close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _Disconnected(UpstreamError):
    def __init__(self, message: str, connection: _Connection) -> None:
        super().__init__(message)
        self.before_answer = not connection._started


class UpstreamPool:
    """Keep-alive connections to the origin of ``url`` (http or https); ``await request(...)``
    sends a request whose target is appended to the URL's path."""

    def __init__(self, url: str, timeout: float, idle_seconds: float = 60.0) -> None:
        parts = urlsplit(url)
        tls = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if tls else 80)
        self._ssl = ssl.create_default_context() if tls else None
        host = f"[{self._host}]" if ":" in self._host else self._host
        self._authority = f"{host}:{self._port}".encode("idna")
        self._prefix = parts.path.rstrip("/").encode("utf-8")
        self._timeout = timeout
        self._idle_seconds = idle_seconds
        self._idle: deque[_Connection] = deque()

    async def request(
        self, method: bytes, target: bytes, headers: Iterable[tuple[bytes, bytes]], body: bytes
    ) -> Answer:
        """Send one request and return the model's whole answer."""
        head = _head(method, self._prefix + target, self._authority, headers, body)
        is_head = method == b"HEAD"
        async with asyncio.timeout(self._timeout):
            connection, reused = await self._acquire()
            try:
                answer = await connection.send(head, body, is_head)
            except _Disconnected as error:
                if not (reused and error.before_answer and method in IDEMPOTENT):
                    raise
                connection, _ = await self._acquire(fresh=True)
                answer = await self._exchange(connection, head, body, is_head)
            except BaseException:  # a timeout or a cancelled client: the framing is unknown
                connection._close()
                raise
            self._release(connection)
            return answer

    async def _exchange(
        self, connection: _Connection, head: bytes, body: bytes, is_head: bool
    ) -> Answer:
        try:
            return await connection.send(head, body, is_head)
        except BaseException:
            connection._close()
            raise

    async def _acquire(self, fresh: bool = False) -> tuple[_Connection, bool]:
        while self._idle and not fresh:
            connection = self._idle.pop()
            if not connection.closed:
                return connection, True
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                _Connection, self._host, self._port, ssl=self._ssl
            )
        except OSError as error:
            raise UpstreamError(f"cannot connect to {self._host}:{self._port}: {error}") from error
        return connection, False

    def _release(self, connection: _Connection) -> None:
        if not connection.reusable():
            connection._close()
            return
        now = time.monotonic()
        connection.idle_since = now
        self._idle.append(connection)
        while self._idle and now - self._idle[0].idle_since > self._idle_seconds:
            self._idle.popleft()._close()

    def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            self._idle.pop()._close()


def _head(
    method: bytes,
    target: bytes,
    authority: bytes,
    headers: Iterable[tuple[bytes, bytes]],
    body: bytes,
) -> bytes:
    lines = [method, b" ", target, b" HTTP/1.1\r\nHost: ", authority, b"\r\n"]
    for name, value in headers:
        lines += (name, b": ", value, b"\r\n")
    if body or method not in (b"GET", b"HEAD"):
        lines += (b"Content-Length: ", str(len(body)).encode("ascii"), b"\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)
