"""A model server under the SageMaker hosting contract, on threads, for the batch transform tests.

``POST /invocations`` scores every line of the body: CSV (``text/csv``) lines answer the sum
of their values (``%g``), one line each; JSON lines (``application/jsonlines``) answer
``{"score": <sum of the line's list, or of its "features">}`` one line each. ``GET /ping``
answers 200 once ``ready_after`` seconds have passed since start (503 before).
A test plays a failing model by setting ``fail``: a list of what the next requests get (an
HTTP status, or ``"drop"`` to close the connection without answering); then they succeed.
``always`` answers every request with that status. Every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class StubState:
    ready_after: float = 0.0
    fail: list[Any] = field(default_factory=list)
    always: int | None = None
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def invocations(self) -> list[tuple[str, dict[str, str], bytes]]:
        return [r for r in self.requests if r[0] == "/invocations"]


def score_csv(line: str) -> str:
    return f"{sum(float(v) for v in line.split(',')):g}"


def score_json(line: str) -> str:
    value = json.loads(line)
    values = value["features"] if isinstance(value, dict) else value
    return json.dumps({"score": sum(float(v) for v in values)})


def _handler(state: StubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            ready = time.monotonic() - state.started >= state.ready_after
            with state.lock:
                state.requests.append((self.path, dict(self.headers), b""))
            self._answer(200 if ready and self.path == "/ping" else 503, b"")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                state.requests.append((self.path, dict(self.headers), body))
                planned = state.fail.pop(0) if state.fail else state.always
            if planned == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if planned is not None:
                self._answer(int(planned), b"stub failure")
                return
            kind = self.headers.get("Content-Type", "text/csv")
            score = score_json if "json" in kind else score_csv
            lines = [line for line in body.decode().split("\n") if line.strip()]
            self._answer(200, "".join(score(line) + "\n" for line in lines).encode())

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def serving(state: StubState | None = None) -> Iterator[tuple[str, StubState]]:
    """A stub model server on 127.0.0.1 (a free port): (its URL, its state)."""
    state = state or StubState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
